#!/usr/bin/env bash
# Makes Debian's Varnish and its xkey module (varnish-modules) available for
# the CDN tests (test/integration/cdn-varnish.test.ts). Idempotent and quiet
# when both are there. Needs root on Debian/Ubuntu. The tests start their own
# private varnishd; the system service that the package may start is stopped
# and disabled here, so nothing listens on port 6081 behind the tests' back.
set -euo pipefail

VARNISHD=/usr/sbin/varnishd

# Debian puts vmods under /usr/lib/<triplet>/varnish/vmods.
has_xkey() {
  compgen -G '/usr/lib/*/varnish/vmods/libvmod_xkey.so' >/dev/null || [ -f /usr/lib/varnish/vmods/libvmod_xkey.so ]
}

fail() {
  echo "ensure-varnish: $*" >&2
  exit 1
}

[ -x "$VARNISHD" ] && has_xkey && exit 0
command -v apt-get >/dev/null 2>&1 || fail "varnishd or the xkey vmod is missing and apt-get is not available"
[ "$(id -u)" -eq 0 ] || fail "varnishd or the xkey vmod is missing; run as root to install them (apt-get install varnish varnish-modules)"

echo "ensure-varnish: installing varnish and varnish-modules with apt-get"
# shellcheck source=lib/apt-install.sh
source "$(dirname "$0")/lib/apt-install.sh"
apt_install_without_services varnish varnish-modules
if command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now varnish >/dev/null 2>&1 || true
fi

[ -x "$VARNISHD" ] && has_xkey || fail "apt-get finished but varnishd or libvmod_xkey.so is still missing"
echo "ensure-varnish: $("$VARNISHD" -V 2>&1 | head -n1)"
