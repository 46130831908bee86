#!/usr/bin/env bash
# Makes Debian's Ceph daemons available for the S3 store tests
# (test/integration/assets-store-s3*.test.ts), which start their own private
# cluster: one monitor, one memstore OSD and a RADOS Gateway on loopback
# ports (test/helpers/rgw.ts). Idempotent and quiet when everything is there.
# Needs root on Debian/Ubuntu. The packages' system services are never
# started: they would claim the default ports and a cluster of their own.
set -euo pipefail

BINARIES=(radosgw ceph-mon ceph-osd monmaptool radosgw-admin)

fail() {
  echo "ensure-ceph: $*" >&2
  exit 1
}

has_all() {
  local binary
  for binary in "${BINARIES[@]}"; do
    command -v "$binary" >/dev/null 2>&1 || return 1
  done
}

has_all && exit 0
command -v apt-get >/dev/null 2>&1 || fail "the Ceph daemons are missing and apt-get is not available"
[ "$(id -u)" -eq 0 ] || fail "the Ceph daemons are missing; run as root to install them (apt-get install radosgw ceph-mon ceph-osd ceph-mgr)"

echo "ensure-ceph: installing radosgw ceph-mon ceph-osd ceph-mgr with apt-get"
# shellcheck source=lib/apt-install.sh
source "$(dirname "$0")/lib/apt-install.sh"
apt_install_without_services radosgw ceph-mon ceph-osd ceph-mgr

has_all || fail "apt-get finished but one of ${BINARIES[*]} is still missing"
echo "ensure-ceph: $(ceph-mon --version 2>&1 | head -n1)"
