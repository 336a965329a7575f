#!/bin/bash
# hostmirror step "sync" (mode node0, installed control-plane nodes without the volume): copy
# node0's registry storage to this node's disk, verified by digest and resumable, then serve it
# and pull from it first. Runs after network-online.target, never waited for: until it is done
# this node pulls from node0 (and api-int) as any client does; systemd runs it again after a
# failure (Restart=on-failure), so node0 still booting the live ISO, or rebooting, only delays it.
#
# 1. From node0's registry (registry.hostmirror.internal:<port>, which this node's /etc/hosts
#    alias sends to the rendezvous IP; TLS verified with our CA), fetch by digest the two blobs
#    node0 publishes in its storage (hostmirror-registry-files.sh): the registry program and the
#    inventory, and check each against the sha256 the build wrote in the settings.
# 2. Run that program as a temporary writable registry on 127.0.0.1 (plain HTTP, delete off)
#    over HOSTMIRROR_DATA_DIR/registry, and copy each inventory line into it with skopeo:
#    `copy --all --preserve-digests`, by digest (and a tag line to its tag). containers/image
#    checks each blob against its digest as it reads it (copy/digesting_reader.go), the manifest
#    fetched by digest against that digest (internal/image/unparsed.go, "Manifest does not match
#    provided manifest digest"), and a digested destination against the source manifest
#    (copy/single.go at 4c27d4c6415517680f9a964e3a46d8ddfb3b616c, "Digest of source image's
#    manifest would not match destination reference"); skopeo 1.9 (Debian 12) accepts such a
#    destination. distribution checks each uploaded blob's digest again. Lines done are kept in
#    state/copied, so a restarted copy skips them; blobs already there are not sent again
#    (containers/image asks the destination first).
# 3. Check that every manifest of the inventory resolves by digest and every tag to its digest
#    in the local storage, stop the temporary registry, write state/complete (the sha256 of the
#    archive manifest, as the unpack step writes), mark this host `serve` + `copy`, start the
#    serving registry (read-only, TLS, every address) and point this node at itself
#    (hostmirror-configure.sh: the /etc/hosts alias becomes 127.0.0.1).
#
# This is what upstream does for the same content on each control-plane node: "a temporary
# registry to serve its content ... copied on each node registry using skopeo" (openshift/enhancements
# enhancements/agent-installer/simplified-registry-less-cluster-operations.md at 9a55d2cb, Upgrade).
set -euo pipefail
# shellcheck source=hostmirror-lib.sh
. "$(dirname "$0")/hostmirror-lib.sh"
hm_load_config

# Ports tried, in order, for the temporary registry on 127.0.0.1 (the first free one).
: "${HOSTMIRROR_SYNC_PORTS:=5001 5002 5003 5004 5005 5006 5007 5008 5009 5010}"
# How the serving registry is started once the copy is complete (tests start it themselves).
: "${HOSTMIRROR_START_REGISTRY:=systemctl start hostmirror-registry.service}"
: "${HOSTMIRROR_SYNC_RETRIES:=3}"
readonly ACCEPT='application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json'
readonly SHA256='^sha256:[0-9a-f]{64}$'

temporary_pid=''
stop_temporary_registry() {
  if [ -n "$temporary_pid" ]; then
    kill "$temporary_pid" 2>/dev/null || true
    wait "$temporary_pid" 2>/dev/null || true
    temporary_pid=''
  fi
}
trap stop_temporary_registry EXIT

# node0's registry: the first mirror endpoint, reached at the rendezvous IP. (Not `| head`: with
# pipefail a writer cut off by head's exit would fail the caller.)
source_registry() {
  local -a mirrors
  mapfile -t mirrors < <(hm_mirrors)
  printf '%s' "${mirrors[0]}"
}

# fetch_blob HEX WHAT TARGET: GET the published blob sha256:HEX from node0 into TARGET, checking
# its sha256 before anything uses it.
fetch_blob() {
  local hex=$1 what=$2 target=$3 mirror address actual status=0
  mirror=$(source_registry)
  address=$HOSTMIRROR_RENDEZVOUS_IP
  case $address in *:*) address="[$address]" ;; esac
  mkdir -p "$(dirname "$target")"
  curl --silent --show-error --fail --max-time 600 --retry 3 --retry-connrefused \
    --cacert "$(hm_path "$HM_CA")" --resolve "$mirror:$address" \
    --output "$target.part" \
    "https://$mirror/v2/$HOSTMIRROR_SYNC_REPOSITORY/blobs/sha256:$hex" 2>"$target.err" || status=$?
  if [ "$status" -ne 0 ]; then
    hm_die "cannot fetch the $what sha256:$hex from node0 (https://$mirror/v2/$HOSTMIRROR_SYNC_REPOSITORY/blobs/sha256:$hex at $HOSTMIRROR_RENDEZVOUS_IP): $(tr '\n' ' ' <"$target.err")(curl exit $status); node0 publishes it once its registry files step ran. Retrying later."
  fi
  read -r actual _ < <(sha256sum <"$target.part")
  if [ "$actual" != "$hex" ]; then
    rm -f "$target.part"
    hm_die "the $what fetched from node0 has sha256 $actual, not sha256:$hex as this build's settings name: refusing it (node0's storage is damaged or not this build's). Nothing was marked complete."
  fi
  mv -f "$target.part" "$target"
  rm -f "$target.err"
}

# The registry program, from node0, unless this node already has exactly it.
install_program() {
  local binary current=''
  binary=$(hm_path "$HOSTMIRROR_REGISTRY_BIN")
  [ ! -f "$binary" ] || read -r current _ < <(sha256sum <"$binary")
  if [ "$current" = "$HOSTMIRROR_SYNC_PROGRAM_SHA256" ]; then return 0; fi
  fetch_blob "$HOSTMIRROR_SYNC_PROGRAM_SHA256" "registry program" "$binary.new"
  chmod 0755 "$binary.new"
  mv -f "$binary.new" "$binary"
  hm_fix_label "$binary"
  hm_log "installed the registry program from node0 at $binary (sha256:$HOSTMIRROR_SYNC_PROGRAM_SHA256)"
}

# The copy must fit on this node's disk and leave what the kubelet needs: the storage tree
# (HOSTMIRROR_SYNC_TREE_BYTES, the build's figure; less what an earlier try copied) must leave
# 15% of the file system free (the registry program, tens of MiB, comes out of that headroom:
# RHCOS's /usr/local is /var/usrlocal, the same file system), the kubelet's default hard eviction threshold
# for the image file system, which on these nodes is the same /var (kubernetes
# pkg/kubelet/apis/config/v1beta1/defaults_linux.go, DefaultEvictionHard: "imagefs.available": "15%"). A full disk on a
# control-plane node would stop etcd; refusing leaves the node pulling from node0 as before.
check_room() {
  local tree=${HOSTMIRROR_SYNC_TREE_BYTES:-} done_bytes need size avail reserve
  [[ $tree =~ ^[0-9]+$ ]] || hm_die "HOSTMIRROR_SYNC_TREE_BYTES '${tree}' is not a byte count in $(hm_path "$HM_ENV_FILE") (the master pool's MachineConfig)."
  read -r done_bytes _ < <(du -s -B1 "$ROOT")
  need=$((tree > done_bytes ? tree - done_bytes : 0))
  read -r size avail < <(df -B1 --output=size,avail "$ROOT" | tail -n 1)
  reserve=$((size * 15 / 100))
  if ((avail - need < reserve)); then
    hm_die "not enough room for the copy of node0's storage on $(df --output=target "$ROOT" | tail -n 1): it needs $need bytes more, $avail are free, and $reserve (15% of the file system, the kubelet's image eviction threshold) must stay free. Nothing more is fetched. Fix: give the control-plane nodes larger install disks (hostmirror budget prints the disk each needs), or build with --control-plane-copy off; until then this node pulls from node0."
  fi
  hm_log "room for the copy: $need bytes needed, $avail free, $reserve kept free"
}

# Start the registry program writable over ROOT on the first free port of HOSTMIRROR_SYNC_PORTS.
start_temporary_registry() {
  local binary config port tries
  binary=$(hm_path "$HOSTMIRROR_REGISTRY_BIN")
  config=$STATE/sync-registry.yml
  for port in $HOSTMIRROR_SYNC_PORTS; do
    # Something answers there already: not ours to use.
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
    cat >"$config" <<YAML
# hostmirror-sync: a temporary writable registry over this node's copy (loopback, plain HTTP).
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $ROOT
  delete:
    enabled: false
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
YAML
    OTEL_TRACES_EXPORTER=none "$binary" serve "$config" >>"$STATE/sync-registry.log" 2>&1 &
    temporary_pid=$!
    for ((tries = 0; tries < 600; tries++)); do
      kill -0 "$temporary_pid" 2>/dev/null || break
      if curl --silent --fail --max-time 2 --output /dev/null "http://127.0.0.1:$port/v2/"; then
        TEMPORARY=127.0.0.1:$port
        hm_log "temporary registry (pid $temporary_pid) on http://$TEMPORARY over $ROOT"
        return 0
      fi
      sleep 0.1
    done
    stop_temporary_registry
    hm_warn "the temporary registry did not answer on 127.0.0.1:$port (log: $STATE/sync-registry.log); trying the next port"
  done
  hm_die "no port of HOSTMIRROR_SYNC_PORTS ($HOSTMIRROR_SYNC_PORTS) could run the temporary registry; see $STATE/sync-registry.log."
}

# copy_line REPOSITORY DIGEST [TAG]: one inventory line from node0 into the temporary registry.
copy_line() {
  local repository=$1 digest=$2 tag=${3:-} mirror destination log
  mirror=$(source_registry)
  if [ -n "$tag" ]; then destination=$repository:$tag; else destination=$repository@$digest; fi
  log=$STATE/skopeo.log
  # Content is named by digest end to end, so the signature policy of the node (which an
  # administrator's image.config may restrict to their registries) is not what judges this copy.
  if ! skopeo copy --quiet --all --preserve-digests --retry-times "$HOSTMIRROR_SYNC_RETRIES" \
    --policy "$STATE/policy.json" \
    --src-cert-dir "$(hm_path "/etc/containers/certs.d/$mirror")" --dest-tls-verify=false \
    "docker://$mirror/$repository@$digest" "docker://$TEMPORARY/$destination" </dev/null 2>"$log"; then
    hm_die "copying $repository@$digest${tag:+ (tag $tag)} from node0 ($mirror) failed: $(tail -n 3 "$log" | tr '\n' ' ')— nothing is marked complete; the lines done so far ($STATE/copied) are kept and the copy resumes on the next try."
  fi
}

# verify_local REPOSITORY DIGEST [TAG]: the manifest (or the tag) resolves to DIGEST locally.
verify_local() {
  local repository=$1 digest=$2 tag=${3:-} reference headers got
  reference=${tag:-$digest}
  headers=$(curl --silent --fail --max-time 30 --head --header "Accept: $ACCEPT" \
    "http://$TEMPORARY/v2/$repository/manifests/$reference") ||
    hm_die "after the copy, $repository:${reference#sha256:} does not resolve in this node's storage ($ROOT); the copy starts over on the next try."
  got=$(printf '%s\n' "$headers" | tr -d '\r' | sed -n 's/^[Dd]ocker-[Cc]ontent-[Dd]igest: *//p')
  [ "$got" = "$digest" ] ||
    hm_die "after the copy, $repository:${reference#sha256:} resolves to '${got:-nothing}' in this node's storage, not $digest; the copy starts over on the next try."
}

# Serve the complete copy and point this node at itself.
switch_to_own_registry() {
  local state
  state=$(hm_path "$HOSTMIRROR_STATE_DIR")
  touch "$state/serve" "$state/copy"
  rm -f "$state/sync"
  # Word splitting is wanted: the setting is a command with its arguments.
  # shellcheck disable=SC2086
  $HOSTMIRROR_START_REGISTRY || hm_die "'$HOSTMIRROR_START_REGISTRY' failed; the copy is complete, this node keeps pulling from node0 until the registry starts (the next try)."
  "$(dirname "$0")/hostmirror-wait-ready.sh" ||
    hm_die "this node's own registry does not serve its copy yet; it keeps pulling from node0 until it does (the next try)."
  # The one place that decides the alias (hm_registry_address): 127.0.0.1 on a host that serves.
  "$(dirname "$0")/hostmirror-configure.sh"
  hm_log "this control-plane node serves its copy of node0's storage and pulls from itself first"
}

main() {
  local id data inventory line repository digest tag extra total=0 skipped=0 copied=0 started
  local -A done_lines=()
  [ -e "$(hm_state sync)" ] || { hm_log "this host does not copy node0's storage in this boot: nothing to do"; return 0; }
  if [ -z "${HOSTMIRROR_SYNC_REPOSITORY:-}" ] || ! [[ ${HOSTMIRROR_SYNC_PROGRAM_SHA256:-} =~ ^[0-9a-f]{64}$ ]] ||
    ! [[ ${HOSTMIRROR_SYNC_INVENTORY_SHA256:-} =~ ^[0-9a-f]{64}$ ]]; then
    hm_die "HOSTMIRROR_SYNC_REPOSITORY, HOSTMIRROR_SYNC_PROGRAM_SHA256 and HOSTMIRROR_SYNC_INVENTORY_SHA256 must be set in $(hm_path "$HM_ENV_FILE") (the master pool's MachineConfig)."
  fi
  id=$(hm_manifest_id)
  data=$(hm_path "${HOSTMIRROR_DATA_DIR:?}")
  ROOT=$data/registry
  STATE=$data/state
  for line in "$data" "$ROOT" "$STATE"; do
    [ ! -L "$line" ] || hm_die "$line is a symbolic link; the copy writes only into real folders. Remove it."
  done
  if [ "$(cat "$STATE/complete" 2>/dev/null)" = "$id" ]; then
    hm_log "the copy in $ROOT is complete for this manifest"
    switch_to_own_registry
    return 0
  fi
  if [ "$(cat "$STATE/sync-in-progress" 2>/dev/null)" != "$id" ]; then
    hm_log "starting a fresh copy of node0's storage in $ROOT"
    rm -rf "$ROOT" "$STATE"
    mkdir -p "$ROOT" "$STATE"
    printf '%s\n' "$id" >"$STATE/sync-in-progress"
  fi
  check_room
  printf '{"default":[{"type":"insecureAcceptAnything"}]}\n' >"$STATE/policy.json"
  install_program
  inventory=$STATE/inventory
  if ! [ -f "$inventory" ] || [ "$(sha256sum <"$inventory" | cut -c1-64)" != "$HOSTMIRROR_SYNC_INVENTORY_SHA256" ]; then
    fetch_blob "$HOSTMIRROR_SYNC_INVENTORY_SHA256" inventory "$inventory"
  fi
  touch "$STATE/copied"
  while IFS= read -r line; do [ -z "$line" ] || done_lines[$line]=1; done <"$STATE/copied"
  started=$SECONDS
  start_temporary_registry
  while read -r repository digest tag extra; do
    [ -n "$repository" ] || continue
    line="$repository $digest${tag:+ $tag}"
    if ! [[ $digest =~ $SHA256 ]] || [ -n "${extra:-}" ]; then
      hm_die "$inventory: the line '$line' is not '<repository> <sha256 digest> [<tag>]'."
    fi
    total=$((total + 1))
    if [ -n "${done_lines[$line]+set}" ]; then
      skipped=$((skipped + 1))
      continue
    fi
    copy_line "$repository" "$digest" "$tag"
    printf '%s\n' "$line" >>"$STATE/copied"
    copied=$((copied + 1))
  done <"$inventory"
  hm_log "copied $copied inventory lines from node0 in $((SECONDS - started)) s ($skipped were done by an earlier try; $total in all)"
  while read -r repository digest tag extra; do
    [ -n "$repository" ] || continue
    verify_local "$repository" "$digest" "$tag"
  done <"$inventory"
  hm_log "all $total inventory lines resolve by digest in $ROOT"
  stop_temporary_registry
  # Upload folders of an interrupted try hold nothing the registry serves.
  find "$ROOT/$HM_REGISTRY_TREE/repositories" -type d -name _uploads -prune -exec rm -rf {} + 2>/dev/null || true
  sync -f "$ROOT"
  printf '%s\n' "$id" >"$STATE/complete.tmp"
  sync -f "$STATE/complete.tmp"
  mv -f "$STATE/complete.tmp" "$STATE/complete"
  rm -f "$STATE/sync-in-progress" "$STATE/copied"
  sync -f "$STATE"
  hm_log "the copy in $ROOT is complete"
  switch_to_own_registry
}

main "$@"
