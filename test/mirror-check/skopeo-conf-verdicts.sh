#!/bin/bash
# Ask the real containers/image (Debian 12's skopeo 1.9.3, c/image 5.23) how it reads each
# registries.conf: run `skopeo --debug inspect --no-tags` with it inside a private network and
# mount namespace (loopback only, DNS to a closed loopback port, system drop-ins and $HOME
# hidden), so every source fails at once and nothing leaves the machine.
# usage: skopeo-conf-verdicts.sh WORK CASES
#   CASES: one line per case: "<registries.conf path> <reference>"
# output (stdout): per case "CASE<TAB>refused<TAB>message" when c/image refuses the file, else
#   "CASE<TAB>read" followed by "<TAB>ref" for each "Trying to access" line.
set -euo pipefail
# shellcheck source=registry-netns.sh
source "$(dirname "$0")/registry-netns.sh"
enter_private_namespaces "$@"
work=$1 cases=$2
closed_dns "$work"
isolate_home "$work/home"
while read -r conf reference; do
  [ -n "$conf" ] || continue
  log=$(timeout 20 skopeo --debug --registries-conf "$conf" inspect --no-tags "docker://$reference" 2>&1 >/dev/null || true)
  refusal=$(printf '%s\n' "$log" | sed -n 's/.*level=fatal msg=".*loading registries configuration \\"[^\\]*\\": \(.*\)"$/\1/p' | head -1)
  if [ -n "$refusal" ]; then
    printf 'CASE\trefused\t%s\n' "$refusal"
  else
    attempts=$(printf '%s\n' "$log" | sed -n 's/.*msg="Trying to access \\"\([^\\]*\)\\"".*/\1/p' | awk '{ printf "\t%s", $0 }')
    printf 'CASE\tread%s\n' "$attempts"
  fi
done <"$cases"
