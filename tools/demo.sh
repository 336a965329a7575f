#!/usr/bin/env bash
# The README's first command: set up (pnpm from npm, packages from the lockfile) and run the
# main job, `hostmirror build-iso --demo`, on inputs it generates (a CoreOS-layout ISO, a tiny
# oc-mirror v2 archive, example configs). Output goes to ./out (or the folder given): the ISO,
# report.json, PXE files, manifests and the ImageSetConfiguration; it prints the budget table,
# the boot diagram and the report summary.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
out=${1:-out}
PATH="$(bash tools/ensure-pnpm.sh):$PATH"
export PATH npm_config_nodedir=${npm_config_nodedir:-/usr}
pnpm install --frozen-lockfile --reporter=silent
pnpm --silent hostmirror build-iso --demo -o "$out" -f
