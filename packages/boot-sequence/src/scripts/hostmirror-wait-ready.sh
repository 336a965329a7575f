#!/bin/bash
# hostmirror step "ready": wait until the registry answers GET /v2/ over TLS and the release
# manifest resolves by digest. Only then do the agent and release services start; when the
# wait ends without an answer, the step fails and so does the install, with this message.
set -euo pipefail
# shellcheck source=hostmirror-lib.sh
. "$(dirname "$0")/hostmirror-lib.sh"
hm_load_config

: "${HOSTMIRROR_READY_TIMEOUT:=600}"
# A host's own registry answers within a second of starting (docs/mirror.md#registry); waiting longer
# only delays the failure. The long wait is for node0's, which may still be unpacking.
: "${HOSTMIRROR_LOCAL_READY_TIMEOUT:=120}"
# Both manifest kinds a release can be published as: a single manifest or a list.
readonly ACCEPT='application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'

probe() {
  local target=$address
  # curl(1) --resolve takes an IPv6 address in brackets.
  case $target in *:*) target="[$target]" ;; esac
  curl --silent --show-error --fail --max-time 10 --output /dev/null \
    --cacert "$(hm_path "$HM_CA")" \
    --resolve "$HOSTMIRROR_REGISTRY_NAME:$HOSTMIRROR_REGISTRY_PORT:$target" "$@"
}

main() {
  local address base timeout deadline last='' main_pid=''
  # As the registry unit's ExecStartPost, systemd passes the registry's $MAINPID: a registry that
  # dies while it is being probed ends the probe at once, so systemd restarts it now rather than
  # after the probe's timeout.
  if [ "${1:-}" = --main-pid ]; then main_pid=${2:?--main-pid needs a process id}; fi
  [ -e "$(hm_state mirror)" ] || { hm_log "normal mode: no registry to wait for"; return 0; }
  # The volume step decides without the network; now that it is online, a host that pulls
  # from node0 but holds the rendezvous IP is node0 itself, without its volume: no one serves.
  if [ ! -e "$(hm_state serve)" ] && hm_holds_rendezvous_ip; then
    hm_die "this host holds the rendezvous IP $HOSTMIRROR_RENDEZVOUS_IP, so it is node0, but it has no mirror volume labelled '${HOSTMIRROR_VOLUME_LABEL:-data}': no host serves the mirror. Attach the volume to this host (hostmirror volume prepare) and boot it again."
  fi
  address=$(hm_registry_address)
  base=https://$HOSTMIRROR_REGISTRY_NAME:$HOSTMIRROR_REGISTRY_PORT
  timeout=$HOSTMIRROR_READY_TIMEOUT
  if [ -e "$(hm_state serve)" ] && [ "$HOSTMIRROR_LOCAL_READY_TIMEOUT" -lt "$timeout" ]; then
    timeout=$HOSTMIRROR_LOCAL_READY_TIMEOUT
  fi
  deadline=$((SECONDS + timeout))
  until last=$(probe --header 'Accept: application/json' "$base/v2/" 2>&1); do
    [ -z "$main_pid" ] || kill -0 "$main_pid" 2>/dev/null ||
      hm_die "the registry (pid $main_pid) exited before it answered GET /v2/; systemd starts it again."
    [ "$SECONDS" -lt "$deadline" ] ||
      hm_die "the registry at $base ($address) did not answer GET /v2/ within ${timeout}s (last error: ${last:-none}); stopping here so that image pulls do not time out later."
    sleep 1
  done
  hm_log "the registry at $base answers"
  if [ -n "${HOSTMIRROR_RELEASE_REPOSITORY:-}" ] && [ -n "${HOSTMIRROR_RELEASE_DIGEST:-}" ]; then
    # An HTTP error (curl exit 22: 404 for a manifest the storage lacks) is an answer: the
    # archives do not hold the release. Anything else (connection refused while the registry
    # restarts, a timeout) is not, so it is retried until the deadline: a registry killed and
    # restarted by systemd between GET /v2/ and this HEAD must not fail the install (found by
    # the rehearsal, tools/rehearse.sh --scenario registry-killed).
    local status
    until status=0 last=$(probe --head --header "Accept: $ACCEPT" \
      "$base/v2/$HOSTMIRROR_RELEASE_REPOSITORY/manifests/$HOSTMIRROR_RELEASE_DIGEST" 2>&1) || status=$?
      [ "$status" -eq 0 ]; do
      [ -z "$main_pid" ] || kill -0 "$main_pid" 2>/dev/null ||
        hm_die "the registry (pid $main_pid) exited before it answered the release HEAD; systemd starts it again."
      [ "$status" -ne 22 ] ||
        hm_die "the registry at $base does not have the release image $HOSTMIRROR_RELEASE_REPOSITORY@$HOSTMIRROR_RELEASE_DIGEST (${last:-HTTP error}); the archives do not hold the release this ISO was built for."
      [ "$SECONDS" -lt "$deadline" ] ||
        hm_die "the registry at $base ($address) did not answer HEAD of the release image within ${timeout}s (last error: ${last:-none}); stopping here so that image pulls do not time out later."
      sleep 1
    done
    hm_log "the release image $HOSTMIRROR_RELEASE_REPOSITORY@$HOSTMIRROR_RELEASE_DIGEST resolves"
  fi
}

main "$@"
