#!/usr/bin/env bash
# Removes the compose projects of the container suites that an interrupted earlier run left behind
# (each suite names its project `shop<suite><6 hex>`: shopct, shopload, shopops, shopsf): their
# containers would hold CPU, memory and ports while the next run measures and restarts its own stack.
# Nothing else is touched: a stack a user started under another name stays up.
set -Eeuo pipefail
docker=${DOCKER:-docker}
default_pattern='^shop(ct|load|ops|sf)[0-9a-f]{6}$'
pattern=${SHOP_TEST_STACKS:-$default_pattern}
projects=$(
  "$docker" ps -a --filter label=com.docker.compose.project \
    --format '{{.Label "com.docker.compose.project"}}' |
    grep -E "$pattern" | sort -u || true
)
for project in $projects; do
  echo "removing leftover test stack $project"
  filter="label=com.docker.compose.project=$project"
  "$docker" ps -aq --filter "$filter" | xargs -r "$docker" rm -fv >/dev/null
  "$docker" network ls -q --filter "$filter" | xargs -r "$docker" network rm >/dev/null
  "$docker" volume ls -q --filter "$filter" | xargs -r "$docker" volume rm >/dev/null
done
