#!/usr/bin/env bash
# The one test command (README): installs what the tests need, then type-checks, lints and
# runs every test with node:test. Usage: tools/run-tests.sh [all|unit|system|rehearsal] [FILTER...]
#   unit      tests beside the code (packages/*/src/**/*.test.ts), on Node 20.19.0 and 24
#             (the codec tests also on 22)
#   system    cross-package and real-system tests (test/**/*.test.ts), on the machine's Node
#   all       unit + system (the default)
#   rehearsal only the rehearsal on booted qemu hosts (test/rehearsal/, tools/rehearsal/README.md),
#             which the other modes skip unless HOSTMIRROR_REHEARSAL=1 (25-45 minutes on a loaded
#             2-core machine, over the CI budget: tools/rehearsal/README.md has the measurements)
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

unit_files=(packages/*/src/**/*.test.ts)
# The codecs whose backend depends on the Node release (zstd from node:zlib on 22.15+/23.8+).
codec_files=(packages/codecs/src/**/*.test.ts)
files=()
case "$which" in
  unit) ;;
  system) files=(test/**/*.test.ts) ;;
  rehearsal) files=(test/rehearsal/*.test.ts); export HOSTMIRROR_REHEARSAL=1 ;;
  all) files=(test/**/*.test.ts) ;;
  *) echo "usage: $0 [all|unit|system|rehearsal]" >&2; exit 2 ;;
esac
status=0
# The tests beside the code run once on the lowest and once on the newest supported Node
# (tools/ensure-node.sh: the floor `engines` names, 20.19.0, and the newest LTS, 24); on Node 22
# only the codec tests, since their backends differ there (zstd from node:zlib on 22.15+, a
# backend Node 20 has not; 24 has it too, the same way). The machine's own Node runs the
# cross-package and system tests only; where ensure-node has no Node to fetch (not x86_64), it
# runs the tests beside the code too.
if [ "$which" = unit ] || [ "$which" = all ]; then
  if [ "$(uname -m)" = x86_64 ]; then
    for release in floor 22 newest; do
      other_node=$(bash tools/ensure-node.sh "$release")
      run=("${unit_files[@]}")
      [ "$release" != 22 ] || run=("${codec_files[@]}")
      echo "tests beside the code on $("$other_node" --version) (${#run[@]} files):"
      "$other_node" --import tsx --test --test-concurrency=2 --test-reporter=dot "${run[@]}" ||
        { status=1; static_failures+=("tests beside the code on Node $("$other_node" --version)"); }
    done
  else
    files=("${unit_files[@]}" "${files[@]}")
  fi
fi
# Two test files at a time: the machine has 2 cores and qemu boots are CPU-bound.
if [ ${#files[@]} -gt 0 ]; then
  node --import tsx --test --test-concurrency=2 --test-reporter=spec "${files[@]}" || status=$?
fi
if [ ${#static_failures[@]} -gt 0 ]; then
  echo "also failed: ${static_failures[*]}" >&2
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
