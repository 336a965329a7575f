#!/usr/bin/env bash
# The one test command (README): installs what the tests need, then type-checks, lints and
# runs every test with node:test. Usage: tools/run-tests.sh [all|unit|system] [FILTER...]
#   unit   tests beside the code (packages/*/src/**/*.test.ts)
#   system cross-package and real-system tests (test/**/*.test.ts)
set -euo pipefail
shopt -s globstar nullglob
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
which=${1:-all}

bash tools/install-system-deps.sh
PATH="$(bash tools/ensure-pnpm.sh):$PATH"
export PATH npm_config_nodedir=${npm_config_nodedir:-/usr}
pnpm install --frozen-lockfile --reporter=silent

pnpm run --silent typecheck
pnpm run --silent lint

files=()
case "$which" in
  unit) files=(packages/*/src/**/*.test.ts) ;;
  system) files=(test/**/*.test.ts) ;;
  all) files=(packages/*/src/**/*.test.ts test/**/*.test.ts) ;;
  *) echo "usage: $0 [all|unit|system]" >&2; exit 2 ;;
esac
# Two test files at a time: the machine has 2 cores and qemu boots are CPU-bound.
exec node --import tsx --test --test-concurrency=2 --test-reporter=spec "${files[@]}"
