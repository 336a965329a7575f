#!/usr/bin/env bash
# The README's first command: set up (pnpm from npm, packages from the lockfile) and run the
# main job on an embedded default. Output goes to ./out (or the folder given).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${1:-out}
PATH="$(bash tools/ensure-pnpm.sh):$PATH"
export PATH npm_config_nodedir=${npm_config_nodedir:-/usr}
pnpm install --frozen-lockfile --reporter=silent
mkdir -p "$out"
pnpm --silent hostmirror initrd build examples/overlay.yaml -o "$out/overlay.img" -f
pnpm --silent hostmirror initrd ls "$out/overlay.img"
pnpm --silent hostmirror initrd verify "$out/overlay.img"
