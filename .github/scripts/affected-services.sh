#!/usr/bin/env bash
# Decides which images (the services, the storefront and the load generator) the `images` workflow builds and writes
# `services=<JSON array>` to $GITHUB_OUTPUT (stdout when run by hand or by the workflow tests).
#   push to main   -> services whose package, or any workspace package they depend on, changed
#                     since the previous push (turbo's dependency graph); everything when the
#                     previous commit is unknown or a repository-wide file changed
#   tag / dispatch -> all services, or the ones asked for on a manual run
# Env: SERVICES (canonical list), EVENT, REF_TYPE, BEFORE (github.event.before), REQUESTED.
set -Eeuo pipefail

read -r -a all <<<"${SERVICES:-user product order payment storefront loadgen}"

emit() {
  local json='[' sep='' s
  for s in "$@"; do json+="${sep}\"${s}\""; sep=','; done
  json+=']'
  if [[ -n ${GITHUB_OUTPUT:-} ]]; then echo "services=${json}" >>"$GITHUB_OUTPUT"; else echo "services=${json}"; fi
  echo "affected services: ${json}" >&2
}

known() {
  local s
  for s in "${all[@]}"; do [[ $s == "$1" ]] && return 0; done
  return 1
}

if [[ -n ${REQUESTED:-} ]]; then
  read -r -a requested <<<"$REQUESTED"
  for s in "${requested[@]}"; do
    known "$s" || { echo "unknown service '$s' (expected one of: ${all[*]})" >&2; exit 1; }
  done
  emit "${requested[@]}"
  exit 0
fi

if [[ ${EVENT:-} != push || ${REF_TYPE:-branch} == tag ]]; then
  emit "${all[@]}"
  exit 0
fi

before=${BEFORE:-}
if [[ -z $before || $before =~ ^0+$ ]] || ! git cat-file -e "${before}^{commit}" 2>/dev/null; then
  echo "previous commit unknown (new branch or force push): building everything" >&2
  emit "${all[@]}"
  exit 0
fi

# Files outside any workspace package that change every image (dependencies, toolchain, build).
if git diff --name-only "$before" HEAD | grep -qE '^(package(-lock)?\.json|tsconfig\.base\.json|turbo\.json|\.nvmrc|Dockerfile|\.dockerignore|\.github/workflows/images\.yml)$'; then
  echo "a repository-wide build input changed: building everything" >&2
  emit "${all[@]}"
  exit 0
fi

# turbo's graph adds the dependents: a change in packages/service-kit rebuilds every service.
if [[ -x node_modules/.bin/turbo ]]; then
  turbo=(node_modules/.bin/turbo)
else
  turbo=(npx --yes "turbo@$(node -p "require('./package.json').devDependencies.turbo")")
fi
names=$("${turbo[@]}" ls --filter="...[${before}]" --output=json 2>/dev/null |
  node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>{for(const p of JSON.parse(s).packages.items)console.log(p.name)})')

# The workspace package behind each image: @shop/<svc>-service, @shop/storefront and @shop/loadgen.
package_of() {
  case $1 in
    storefront | loadgen) echo "@shop/$1" ;;
    *) echo "@shop/$1-service" ;;
  esac
}
affected=()
for s in "${all[@]}"; do
  if grep -qx "$(package_of "$s")" <<<"$names"; then affected+=("$s"); fi
done
emit "${affected[@]}"
