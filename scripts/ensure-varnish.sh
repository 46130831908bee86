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

if [ -x "$VARNISHD" ] && has_xkey; then
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-varnish: varnishd or the xkey vmod is missing and apt-get is not available" >&2
  exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-varnish: varnishd or the xkey vmod is missing; run as root to install them (apt-get install varnish varnish-modules)" >&2
  exit 1
fi

echo "ensure-varnish: installing varnish and varnish-modules with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# policy-rc.d exit 101: do not start the system service during installation.
POLICY=/usr/sbin/policy-rc.d
created_policy=no
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$POLICY"
  chmod +x "$POLICY"
  created_policy=yes
fi
apt-get install -y -qq --no-install-recommends varnish varnish-modules >/dev/null
[ "$created_policy" = yes ] && rm -f "$POLICY"
if command -v systemctl >/dev/null 2>&1; then
  systemctl disable --now varnish >/dev/null 2>&1 || true
fi

if [ ! -x "$VARNISHD" ] || ! has_xkey; then
  echo "ensure-varnish: apt-get finished but varnishd or libvmod_xkey.so is still missing" >&2
  exit 1
fi
echo "ensure-varnish: $("$VARNISHD" -V 2>&1 | head -n1)"
