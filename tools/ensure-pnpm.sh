#!/usr/bin/env bash
# Make pnpm available without corepack (corepack fails on this registry: it serves no
# signatures; docs/deps.md#tooling). pnpm is installed once into .tools/ with plain npm,
# pinned to the version in package.json "packageManager", and its bin folder is printed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(node -p "require('$root/package.json').packageManager.split('@')[1]")
bin="$root/.tools/node_modules/.bin"
if [ ! -x "$bin/pnpm" ] || [ "$("$bin/pnpm" --version 2>/dev/null)" != "$version" ]; then
  echo "installing pnpm@$version into .tools/" >&2
  npm install --silent --no-save --prefix "$root/.tools" -E "pnpm@$version" >&2
fi
echo "$bin"
