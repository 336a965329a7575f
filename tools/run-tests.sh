#!/usr/bin/env bash
# The one test command (README): installs what the tests need, then type-checks, lints and
# runs every test with node:test. Usage: tools/run-tests.sh [all|unit|system|rehearsal] [FILTER...]
#   unit      tests beside the code (packages/*/src/**/*.test.ts)
#   system    cross-package and real-system tests (test/**/*.test.ts)
#   rehearsal only the rehearsal on booted qemu hosts (test/rehearsal/, tools/rehearsal/README.md),
#             which the other modes skip unless HOSTMIRROR_REHEARSAL=1 (it takes 10+ minutes)
set -euo pipefail
shopt -s globstar nullglob
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
which=${1:-all}

bash tools/install-system-deps.sh
PATH="$(bash tools/ensure-pnpm.sh):$PATH"
export PATH npm_config_nodedir=${npm_config_nodedir:-/usr}
pnpm install --frozen-lockfile --reporter=silent
# The CLI bundle the tests about the process start (tools/hostmirror.mjs would make it on first
# use; made here once so that parallel test files do not each make it).
node --import tsx tools/bundle-cli.ts

# Type and lint faults fail the run, but only after the tests have run, so that one
# report shows everything that is wrong.
static_failures=()
pnpm run --silent typecheck || static_failures+=(typecheck)
pnpm run --silent lint || static_failures+=(lint)

files=()
case "$which" in
  unit) files=(packages/*/src/**/*.test.ts) ;;
  system) files=(test/**/*.test.ts) ;;
  rehearsal) files=(test/rehearsal/*.test.ts); export HOSTMIRROR_REHEARSAL=1 ;;
  all) files=(packages/*/src/**/*.test.ts test/**/*.test.ts) ;;
  *) echo "usage: $0 [all|unit|system|rehearsal]" >&2; exit 2 ;;
esac
status=0
# The tests beside the code also run on every supported Node (tools/ensure-node.sh): the floor
# `engines` names, Node 22 (on 22.15+ zstd comes from node:zlib, a backend Node 20 cannot
# exercise) and the newest LTS. First, so that the last summary is the whole suite's.
if [ "$which" != system ] && [ "$which" != rehearsal ] && [ "$(uname -m)" = x86_64 ]; then
  for release in floor 22 newest; do
    other_node=$(bash tools/ensure-node.sh "$release")
    echo "unit tests on $("$other_node" --version):"
    "$other_node" --import tsx --test --test-concurrency=2 --test-reporter=dot \
      packages/*/src/**/*.test.ts || static_failures+=("unit tests on Node $("$other_node" --version)")
  done
fi
# Two test files at a time: the machine has 2 cores and qemu boots are CPU-bound.
node --import tsx --test --test-concurrency=2 --test-reporter=spec "${files[@]}" || status=$?
if [ ${#static_failures[@]} -gt 0 ]; then
  echo "also failed: ${static_failures[*]}" >&2
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
