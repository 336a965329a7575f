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

# probe MIRROR ADDRESS CURL-ARGUMENTS…: curl to https://MIRROR with our CA; with an ADDRESS the
# mirror's name is sent there (the alias of the first endpoint), else the name is resolved as
# containers/image resolves it (/etc/hosts, then DNS: the cluster's api-int).
probe() {
  local mirror=$1 target=$2
  local -a resolve=()
  shift 2
  if [ -n "$target" ]; then
    # curl(1) --resolve takes an IPv6 address in brackets.
    case $target in *:*) target="[$target]" ;; esac
    resolve=(--resolve "$mirror:$target")
  fi
  curl --silent --show-error --fail --max-time 10 --output /dev/null \
    --cacert "$(hm_path "$HM_CA")" "${resolve[@]}" "$@"
}

# check MIRROR ADDRESS: 0 when the registry at MIRROR answers GET /v2/ and resolves the release
# by digest; 2 when it answers GET /v2/ but has no such release (an HTTP error on the HEAD: curl
# exit 22); 1 when it does not answer (yet). An error that is not an HTTP answer (connection
# refused while the registry restarts, a timeout) is not a verdict: it is retried until the
# deadline, so a registry killed and restarted by systemd between GET /v2/ and the release HEAD
# does not fail the install (found by the rehearsal, tools/rehearse.sh --scenario
# registry-killed). Sets `last` to curl's message.
check() {
  local mirror=$1 target=$2 status=0
  last=$(probe "$mirror" "$target" --header 'Accept: application/json' "https://$mirror/v2/" 2>&1) || return 1
  answered+=" $mirror"
  [ -n "${HOSTMIRROR_RELEASE_REPOSITORY:-}" ] && [ -n "${HOSTMIRROR_RELEASE_DIGEST:-}" ] || return 0
  last=$(probe "$mirror" "$target" --head --header "Accept: $ACCEPT" \
    "https://$mirror/v2/$HOSTMIRROR_RELEASE_REPOSITORY/manifests/$HOSTMIRROR_RELEASE_DIGEST" 2>&1) || status=$?
  [ "$status" -eq 0 ] && return 0
  [ "$status" -eq 22 ] && return 2
  return 1
}

main() {
  local address timeout deadline last='' main_pid='' answered='' index mirror status
  local -a mirrors
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
  # The endpoints in the clients' order (endpoints.ts): the first is this host's registry (or
  # node0's) through the alias; the rest (the installed cluster's api-int) any control-plane
  # node. A host that serves waits for its own registry only: that is what it vouches for.
  mapfile -t mirrors < <(hm_mirrors)
  if [ -e "$(hm_state serve)" ]; then mirrors=("${mirrors[0]}"); fi
  timeout=$HOSTMIRROR_READY_TIMEOUT
  if [ -e "$(hm_state serve)" ] && [ "$HOSTMIRROR_LOCAL_READY_TIMEOUT" -lt "$timeout" ]; then
    timeout=$HOSTMIRROR_LOCAL_READY_TIMEOUT
  fi
  deadline=$((SECONDS + timeout))
  while :; do
    for index in "${!mirrors[@]}"; do
      mirror=${mirrors[$index]}
      status=0
      if [ "$index" -eq 0 ]; then check "$mirror" "$address" || status=$?; else check "$mirror" '' || status=$?; fi
      case $status in
        0)
          hm_log "the registry at https://$mirror answers$([ "$index" -ne 0 ] || printf ' (%s is %s)' "${mirror%:*}" "$address")"
          [ -z "${HOSTMIRROR_RELEASE_DIGEST:-}" ] || hm_log "the release image $HOSTMIRROR_RELEASE_REPOSITORY@$HOSTMIRROR_RELEASE_DIGEST resolves at $mirror"
          return 0
          ;;
        2) hm_die "the registry at https://$mirror does not have the release image $HOSTMIRROR_RELEASE_REPOSITORY@$HOSTMIRROR_RELEASE_DIGEST (${last:-HTTP error}); the archives do not hold the release this ISO was built for." ;;
      esac
    done
    [ -z "$main_pid" ] || kill -0 "$main_pid" 2>/dev/null ||
      hm_die "the registry (pid $main_pid) exited before it answered$([ -z "$answered" ] && printf ' GET /v2/' || printf ' the release HEAD'); systemd starts it again."
    if [ "$SECONDS" -ge "$deadline" ]; then
      if [ -z "$answered" ]; then
        hm_die "the registry at ${mirrors[*]} (${mirrors[0]%:*} is $address) did not answer GET /v2/ within ${timeout}s (last error: ${last:-none}); stopping here so that image pulls do not time out later."
      fi
      hm_die "the registry at ${mirrors[*]} (${mirrors[0]%:*} is $address) did not answer HEAD of the release image within ${timeout}s (last error: ${last:-none}); stopping here so that image pulls do not time out later."
    fi
    sleep 1
  done
}

main "$@"
