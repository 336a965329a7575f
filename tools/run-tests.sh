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

# Type and lint faults fail the run, but only after the tests have run, so that one
# report shows everything that is wrong.
static_failures=()
pnpm run --silent typecheck || static_failures+=(typecheck)
pnpm run --silent lint || static_failures+=(lint)

files=()
case "$which" in
  unit) files=(packages/*/src/**/*.test.ts) ;;
  system) files=(test/**/*.test.ts) ;;
  all) files=(packages/*/src/**/*.test.ts test/**/*.test.ts) ;;
  *) echo "usage: $0 [all|unit|system]" >&2; exit 2 ;;
esac
# Two test files at a time: the machine has 2 cores and qemu boots are CPU-bound.
status=0
node --import tsx --test --test-concurrency=2 --test-reporter=spec "${files[@]}" || status=$?
if [ ${#static_failures[@]} -gt 0 ]; then
  echo "failed before the tests: ${static_failures[*]}" >&2
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
