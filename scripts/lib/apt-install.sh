# Sourced by the scripts/ensure-*.sh installers: apt-get install without
# starting the packages' system services (policy-rc.d exit 101), which would
# claim default ports behind the tests' back. Needs root.
apt_install_without_services() {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  local policy=/usr/sbin/policy-rc.d
  local placed=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod +x "$policy"
    placed=1
  fi
  local status=0
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null || status=$?
  [ "$placed" -eq 0 ] || rm -f "$policy"
  return "$status"
}
