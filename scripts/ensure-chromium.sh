#!/usr/bin/env bash
# Puts Chromium on this machine for the storefront's browser suites (tests/browser, and the storefront
# file of tests/containers), which drive it with playwright-core (Playwright's own browser download is
# not reachable here). Prints CHROMIUM=<path>. Idempotent: uses $CHROMIUM_PATH or /usr/bin/chromium when
# present; otherwise installs Debian's package (apt-get, as root or through passwordless sudo).
set -Eeuo pipefail
log() { echo "[ensure-chromium] $*" >&2; }

bin=${CHROMIUM_PATH:-/usr/bin/chromium}
if [[ ! -x $bin ]]; then
  as_root() {
    if [[ $EUID -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n "$@"
    else log "chromium is missing and this user cannot install packages: apt-get install -y chromium"; exit 1; fi
  }
  log "installing Debian's chromium"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >&2 ||
    { as_root apt-get update >&2 && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium >&2; }
fi
[[ -x $bin ]] || { log "chromium not found at $bin after installing"; exit 1; }
log "$("$bin" --version 2>/dev/null | head -1)"
echo "CHROMIUM=$bin"
