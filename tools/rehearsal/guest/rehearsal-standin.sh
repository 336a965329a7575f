#!/bin/bash
# Stand-in for an agent unit's program (agent.service, node-zero.service,
# agent-interactive-console.service): the units keep upstream's names and ordering; the
# programs only record what the rehearsal checks.
#   rehearsal-standin agent|node-zero      record that the unit started, and when
#   rehearsal-standin console              pull the release in a loop until it succeeds,
#                                          as agent-tui does before it lets the boot go on
set -uo pipefail
# shellcheck source=rehearsal-lib.sh
. /usr/local/lib/hostmirror-rehearsal/rehearsal-lib.sh
mkdir -p "$HMR_STATE"
case "${1:-}" in
  agent | node-zero)
    hmr_now_us >"$HMR_STATE/$1.started"
    hmr_console "HMR-INFO $(hmr_host) $1 started"
    ;;
  console)
    start=$SECONDS attempts=0
    # agent-tui pulls the release with podman and has no give-up, only a Quit button
    # (openshift/agent-installer-utils tools/agent_tui); TimeoutStartSec=0 in its unit.
    until skopeo inspect --raw "docker://$HMR_RELEASE_REF" >/dev/null 2>"$HMR_STATE/console.err"; do
      attempts=$((attempts + 1))
      [ $((attempts % 6)) -ne 1 ] || hmr_console "HMR-INFO $(hmr_host) console release pull failing for $((SECONDS - start)) s: $(tail -n1 "$HMR_STATE/console.err")"
      sleep 5
    done
    printf '%s\n' "$((SECONDS - start))" >"$HMR_STATE/console.pulled"
    hmr_console "HMR-INFO $(hmr_host) console pulled the release after $((SECONDS - start)) s, $attempts failed attempts"
    ;;
  *) echo "usage: $0 agent|node-zero|console" >&2; exit 2 ;;
esac
