#!/usr/bin/env bash
# Points a Kustomize overlay at already-built images:
#   set-overlay-images.sh <overlay-dir> <image-namespace> <tag> <service>...
# For each service (or the storefront, or the load generator of k8s/components/loadgen) it runs `kustomize edit set image` on the name the manifests use
# (ghcr.io/shop-demo/shop-<svc>), rewriting newName too, so a fork that pushes to
# ghcr.io/<its-namespace> deploys its own images. Used by images.yml (dev) and promote.yml.
set -Eeuo pipefail

die() { echo "set-overlay-images: $*" >&2; exit 1; }
(($# >= 4)) || die "usage: $0 <overlay-dir> <image-namespace> <tag> <service>..."
overlay=$1 namespace=$2 tag=$3
shift 3

CANONICAL=${CANONICAL_IMAGE_PREFIX:-ghcr.io/shop-demo/shop-}
REGISTRY=${REGISTRY:-ghcr.io}

[[ -f $overlay/kustomization.yaml ]] || die "no kustomization.yaml in '$overlay'"
# Inputs may come from a manual dispatch: accept only what a registry would.
[[ $namespace =~ ^[a-z0-9]+([._-][a-z0-9]+)*$ ]] || die "invalid image namespace '$namespace'"
[[ $tag =~ ^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$ ]] || die "invalid image tag '$tag'"
for svc in "$@"; do
  case $svc in user | product | order | payment | storefront | loadgen) ;; *) die "unknown service '$svc'" ;; esac
done
command -v kustomize >/dev/null || die "kustomize is not on PATH"

for svc in "$@"; do
  (cd "$overlay" && kustomize edit set image "${CANONICAL}${svc}=${REGISTRY}/${namespace}/shop-${svc}:${tag}")
  echo "$overlay: shop-${svc} -> ${REGISTRY}/${namespace}/shop-${svc}:${tag}"
done
