#!/usr/bin/env bash
# Puts PgBouncer on this machine for tests/manifests/pgbouncer.int.test.ts, which runs the data tier's
# pgbouncer.ini (k8s/base/data/pgbouncer.yaml) against the local PostgreSQL. Prints PGBOUNCER=<path>.
# Idempotent: uses pgbouncer from PATH or /usr/sbin; otherwise installs Debian's package (apt-get, as
# root or through passwordless sudo) without starting its system service.
set -Eeuo pipefail
log() { echo "[ensure-pgbouncer] $*" >&2; }

find_bin() { command -v pgbouncer 2>/dev/null || { [[ -x /usr/sbin/pgbouncer ]] && echo /usr/sbin/pgbouncer; } || true; }

bin=$(find_bin)
if [[ -z $bin ]]; then
  as_root() {
    if [[ $EUID -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n "$@"
    else log "pgbouncer is missing and this user cannot install packages: apt-get install pgbouncer"; exit 1; fi
  }
  log "installing Debian's pgbouncer"
  # The package's service would listen on 6432; tests start their own instance on a free port.
  as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y --no-install-recommends pgbouncer >&2 ||
    { as_root apt-get update >&2 && as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y --no-install-recommends pgbouncer >&2; }
  bin=$(find_bin)
fi
[[ -n $bin ]] || { log "pgbouncer not found after installing"; exit 1; }
echo "PGBOUNCER=$bin"
