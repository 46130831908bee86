#!/usr/bin/env bash
# Makes Debian's PostgreSQL server binaries (initdb, postgres) available for
# the suites and benchmarks that need a real PostgreSQL. They start their own
# private server (scripts/start-postgres.js) in a temp folder on a free
# loopback port; the package's system service is never started, so nothing
# claims port 5432 behind their back. Idempotent and quiet when the binaries
# are there. Needs root on Debian/Ubuntu to install.
set -euo pipefail

fail() {
  echo "ensure-postgres: $*" >&2
  exit 1
}

# Debian keeps the server binaries off PATH, under /usr/lib/postgresql/<major>/bin.
has_server() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/initdb" ] && [ -x "$dir/postgres" ] && return 0
  done
  command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1
}

has_server && exit 0
command -v apt-get >/dev/null 2>&1 || fail "initdb and postgres are missing and apt-get is not available"
[ "$(id -u)" -eq 0 ] || fail "initdb and postgres are missing; run as root to install them (apt-get install postgresql)"

echo "ensure-postgres: installing postgresql with apt-get"
# shellcheck source=lib/apt-install.sh
source "$(dirname "$0")/lib/apt-install.sh"
apt_install_without_services postgresql
if command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now postgresql >/dev/null 2>&1 || true
fi

has_server || fail "apt-get finished but initdb or postgres is still missing"
echo "ensure-postgres: installed $(ls -d /usr/lib/postgresql/*/bin | tail -n1)"
