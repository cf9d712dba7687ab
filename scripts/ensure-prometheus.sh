#!/usr/bin/env bash
# Puts Prometheus and promtool on this machine for the alert-rule unit tests
# (tests/manifests/alert-rules.test.ts) and the live scrape test (tests/e2e/prometheus.test.ts).
# Prints PROMETHEUS=<path> and PROMTOOL=<path>. Idempotent: uses them from PATH; otherwise installs
# Debian's package (apt-get, as root or through passwordless sudo) without starting its system service.
set -Eeuo pipefail
log() { echo "[ensure-prometheus] $*" >&2; }

if ! command -v prometheus >/dev/null || ! command -v promtool >/dev/null; then
  as_root() {
    if [[ $EUID -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n "$@"
    else log "prometheus is missing and this user cannot install packages: apt-get install prometheus"; exit 1; fi
  }
  log "installing Debian's prometheus"
  # The package's service would listen on 9090; the tests start their own on a free loopback port.
  as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y --no-install-recommends prometheus >&2 ||
    { as_root apt-get update >&2 && as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y --no-install-recommends prometheus >&2; }
fi
command -v promtool >/dev/null || { log "promtool not found after installing"; exit 1; }
echo "PROMETHEUS=$(command -v prometheus)"
echo "PROMTOOL=$(command -v promtool)"
