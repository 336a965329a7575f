#!/usr/bin/env bash
# The one test command (README): installs what the tests need, then type-checks, lints and
# runs every test with node:test. Usage: tools/run-tests.sh [all|unit|system|rehearsal] [FILTER...]
#   unit      tests beside the code (packages/*/src/**/*.test.ts), on Node 20.19.0 and 24
#             (the codec tests also on 22)
#   system    cross-package and real-system tests (test/**/*.test.ts), on the machine's Node,
#             then the rehearsal
#   all       unit + system (the default)
#   rehearsal only the rehearsal
# The rehearsal (test/rehearsal/rehearsal.test.ts: every scenario of tools/rehearse.sh on
# booted qemu hosts, tools/rehearsal/README.md) runs last, alone, after every other test has
# finished, so that nothing else competes for the cores its VMs need. It needs root (unshare -n,
# mmdebstrap); its live ISO (tools/make-live-iso: apt + mmdebstrap on a fresh machine, cached in
# ~/.cache/hostmirror) is made in the set-up. HOSTMIRROR_REHEARSAL=0 leaves it out.
set -euo pipefail
shopt -s globstar nullglob
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
which=${1:-all}

bash tools/install-system-deps.sh
PATH="$(bash tools/ensure-pnpm.sh):$PATH"
export PATH npm_config_nodedir=${npm_config_nodedir:-/usr}
pnpm install --frozen-lockfile --reporter=silent
# The rehearsal's live ISO, as part of the set-up (the Debian packages come from apt).
rehearsal=0
case "$which" in all | system | rehearsal) rehearsal=1 ;; esac
if [ "${HOSTMIRROR_REHEARSAL:-}" = 0 ]; then
  rehearsal=0
elif [ "$rehearsal" = 1 ] && [ "$(id -u)" -ne 0 ]; then
  echo "note: the rehearsal needs root (unshare -n, mmdebstrap); it does not run" >&2
  rehearsal=0
fi
setup_failures=()
if [ "$rehearsal" = 1 ]; then
  live_iso_started=$SECONDS
  if live_iso=$(bash tools/make-live-iso); then
    echo "rehearsal live ISO: $live_iso ($((SECONDS - live_iso_started)) s)"
  else
    rehearsal=0 setup_failures+=("the rehearsal's live ISO (tools/make-live-iso; the rehearsal did not run)")
  fi
fi
# The CLI bundle the tests about the process start (tools/hostmirror.mjs would make it on first
# use; made here once so that parallel test files do not each make it).
node --import tsx tools/bundle-cli.ts

# Type and lint faults fail the run, but only after the tests have run, so that one
# report shows everything that is wrong.
static_failures=("${setup_failures[@]}")
pnpm run --silent typecheck || static_failures+=(typecheck)
pnpm run --silent lint || static_failures+=(lint)

unit_files=(packages/*/src/**/*.test.ts)
# The codecs whose backend depends on the Node release (zstd from node:zlib on 22.15+/23.8+).
codec_files=(packages/codecs/src/**/*.test.ts)
files=()
rehearsal_file=test/rehearsal/rehearsal.test.ts
case "$which" in
  unit) ;;
  system | all)
    for file in test/**/*.test.ts; do [ "$file" = "$rehearsal_file" ] || files+=("$file"); done
    ;;
  rehearsal) ;;
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
# Last, alone: the rehearsal (every boot set's VMs get the cores to themselves).
if [ "$rehearsal" = 1 ]; then
  HOSTMIRROR_REHEARSAL=1 node --import tsx --test --test-reporter=spec "$rehearsal_file" ||
    { status=1; static_failures+=("the rehearsal ($rehearsal_file)"); }
fi
if [ ${#static_failures[@]} -gt 0 ]; then
  echo "also failed: ${static_failures[*]}" >&2
  [ "$status" -ne 0 ] || status=1
fi
exit "$status"
