#!/usr/bin/env bash
# Makes a Docker engine and docker-compose available for `npm run test:containers`, idempotently:
#   1. installs docker.io + docker-compose from Debian when missing (apt-get update first);
#   2. starts dockerd when no engine answers (log: $SHOP_DOCKER_LOG, default /var/log/shop-dockerd.log);
#   3. runs ../shared/tools/container-standins when it exists next to the repository (offline CI
#      machines: it creates local images under the official names node/postgres/redis/nginx); on a
#      machine with registry access it is absent and nothing is needed.
# Exit codes: 0 ready; 3 no engine can be started here (no root, no apt, dockerd refused) — callers
# skip the container suite with the printed reason; anything else is a real failure.
set -Eeuo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
log() { echo "[ensure-docker] $*" >&2; }
unavailable() { log "no Docker engine: $*"; exit 3; }

as_root() {
  if [[ $EUID -eq 0 ]]; then "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo -n "$@"
  else return 1; fi
}

# The Debian client speaks BuildKit with `--secret` against Debian's engine; prefer it when both exist.
docker_bin() {
  if [[ -x /usr/bin/docker ]]; then echo /usr/bin/docker; else command -v docker || true; fi
}

missing=()
[[ -n $(docker_bin) ]] || missing+=(docker.io)
command -v docker-compose >/dev/null || docker compose version >/dev/null 2>&1 || missing+=(docker-compose)
if ((${#missing[@]})); then
  command -v apt-get >/dev/null || unavailable "${missing[*]} missing and no apt-get to install them"
  log "installing from Debian: ${missing[*]}"
  as_root apt-get update -q >&2 || unavailable "apt-get update failed (not root?)"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >&2 ||
    unavailable "apt-get install ${missing[*]} failed"
fi
DOCKER=$(docker_bin)

if ! "$DOCKER" info >/dev/null 2>&1; then
  command -v dockerd >/dev/null || unavailable "dockerd is not installed and the engine is unreachable"
  dockerd_log=${SHOP_DOCKER_LOG:-/var/log/shop-dockerd.log}
  log "starting dockerd (log: $dockerd_log)"
  as_root sh -c "setsid dockerd >>'$dockerd_log' 2>&1 </dev/null &" || unavailable "cannot start dockerd (not root?)"
  for _ in $(seq 60); do "$DOCKER" info >/dev/null 2>&1 && break; sleep 1; done
  "$DOCKER" info >/dev/null 2>&1 || unavailable "dockerd did not come up (see $dockerd_log; a container without privileges cannot run it)"
fi

standins="$repo_root/../shared/tools/container-standins"
if [[ -x $standins ]]; then
  log "creating local base-image stand-ins with $standins"
  as_root "$standins" >&2 || { log "container-standins failed"; exit 1; }
fi

log "ready: $("$DOCKER" version --format 'client {{.Client.Version}}, engine {{.Server.Version}}')"
echo "DOCKER=$DOCKER"
