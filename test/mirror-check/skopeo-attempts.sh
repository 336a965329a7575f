#!/bin/bash
# Ask the real containers/image which pull sources it tries: for each case, run
# `skopeo --debug inspect --no-tags` with the case's registries.conf, inside a private network
# and mount namespace where a docker-registry listens on loopback (127.0.0.1:5000) and serves
# one image from an OCI layout. DNS goes to a closed loopback port, so other hosts fail at once;
# no packet leaves the machine. System drop-ins and $HOME configs are hidden.
# usage: skopeo-attempts.sh WORK LAYOUT CASES
#   CASES: one line per case: "<registries.conf path> <reference>"
# output (stdout): per case "CASE<TAB>exit<TAB>attempt…" where attempt is "ref" or "ref!blocked"
set -euo pipefail
# shellcheck source=registry-netns.sh
source "$(dirname "$0")/registry-netns.sh"
enter_private_namespaces "$@"
work=$1 layout=$2 cases=$3
closed_dns "$work"
isolate_home "$work/home"
mkdir -p "$work/registry-root"
cat >"$work/registry.yml" <<CONF
version: 0.1
storage: {filesystem: {rootdirectory: $work/registry-root}}
http: {addr: 127.0.0.1:$REGISTRY_PORT, secret: hostmirror-test}
log: {level: error}
CONF
start_registry "$work/registry.yml" "$work/registry.log"
skopeo copy -q --preserve-digests --dest-tls-verify=false "oci:$layout:app" "docker://127.0.0.1:$REGISTRY_PORT/present/app:v1"
while read -r conf reference; do
  [ -n "$conf" ] || continue
  set +e
  log=$(timeout 20 skopeo --debug --registries-conf "$conf" inspect --no-tags "docker://$reference" 2>&1 >/dev/null)
  status=$?
  set -e
  # "Trying to access" then "Accessing … failed: registry X is blocked" (c/image docker_image_src.go).
  attempts=$(printf '%s\n' "$log" | sed -n \
    -e 's/.*msg="Trying to access \\"\([^\\]*\)\\"".*/\1/p' \
    -e 's/.*msg="Accessing \\"\([^\\]*\)\\" failed: registry .* is blocked in .*/\1!blocked/p' |
    awk '/!blocked$/ { sub(/!blocked$/, ""); if (last == $0) { lines[n] = $0 "!blocked"; next } } { lines[++n] = $0; last = $0 } END { for (i = 1; i <= n; i++) printf "\t%s", lines[i] }')
  printf 'CASE\t%s%s\n' "$status" "$attempts"
  if [ "$status" -ne 0 ] && [ -z "$attempts" ]; then
    printf '%s\n' "$log" | grep -m1 'level=fatal' >&2 || true
  fi
done <"$cases"
