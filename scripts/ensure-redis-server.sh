#!/usr/bin/env bash
# Puts redis-server on this machine for packages/service-kit/test/redis-sentinel.int.test.ts, which
# runs a master, a replica and a Sentinel of its own on free loopback ports (the shared Redis on 6379 is
# never touched). Prints REDIS_SERVER=<path>. Idempotent: uses redis-server from PATH; otherwise
# installs Debian's redis-server (as root or through passwordless sudo) without starting its service.
set -Eeuo pipefail
log() { echo "[ensure-redis-server] $*" >&2; }

bin=$(command -v redis-server 2>/dev/null || true)
if [[ -z $bin ]]; then
  as_root() {
    if [[ $EUID -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n "$@"
    else log "redis-server is missing and this user cannot install packages: apt-get install redis-server"; exit 1; fi
  }
  log "installing Debian's redis-server"
  # RUNLEVEL=1: the package's own service would listen on 6379, where the shared Redis already runs.
  as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y --no-install-recommends redis-server >&2 ||
    { as_root apt-get update >&2 && as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y --no-install-recommends redis-server >&2; }
  bin=$(command -v redis-server 2>/dev/null || true)
fi
[[ -n $bin ]] || { log "redis-server not found after installing"; exit 1; }
echo "REDIS_SERVER=$bin"
