#!/bin/bash
# hostmirror step "volume": decide this host's part in the mirror for this boot and mount
# the data volume. Writes the decision under HOSTMIRROR_STATE_DIR for the later steps:
#   mirror  this host pulls through the mirror (it serves, or node0 serves it)
#   serve   this host serves the mirror from its own volume
#   volume  the folder of the mounted volume
# The part follows from the volume alone, never from the network: this step runs before
# network-online.target, which the agent console holds until its release pull passes.
# A host with the volume serves; without it, in mode node0 it pulls from the rendezvous IP,
# in the other modes it stays in normal mode and nothing else runs.
set -euo pipefail
# shellcheck source=hostmirror-lib.sh
. "$(dirname "$0")/hostmirror-lib.sh"
hm_load_config

: "${HOSTMIRROR_VOLUME_LABEL:=data}"
: "${HOSTMIRROR_VOLUME_MATCH:=partlabel,label}"
: "${HOSTMIRROR_VOLUME_WAIT:=15}"

# The block device whose partition label or filesystem label is HOSTMIRROR_VOLUME_LABEL.
find_device() {
  local kind tag link device
  for kind in ${HOSTMIRROR_VOLUME_MATCH//,/ }; do
    case $kind in
      partlabel) tag=PARTLABEL link=/dev/disk/by-partlabel ;;
      label) tag=LABEL link=/dev/disk/by-label ;;
      *) hm_die "HOSTMIRROR_VOLUME_MATCH has '$kind'; use partlabel and/or label." ;;
    esac
    if [ -e "$link/$HOSTMIRROR_VOLUME_LABEL" ]; then
      readlink -f "$link/$HOSTMIRROR_VOLUME_LABEL"
      return 0
    fi
    # udev may not have made the link (or runs nowhere, as in a container): probe directly.
    device=$(blkid -c /dev/null -l -o device -t "$tag=$HOSTMIRROR_VOLUME_LABEL" 2>/dev/null || true)
    if [ -n "$device" ]; then
      printf '%s\n' "$device"
      return 0
    fi
  done
  return 1
}

# Mount $1 on the volume mount point unless it is already there; print the folder.
# A read-only volume is mounted -o ro: the kernel then writes nothing to a cleanly unmounted
# ext4 (not even the mount count or time); only a journal left needing recovery is replayed,
# which a read-only device refuses (the mount fails): unmount the volume cleanly after writing.
mount_volume() {
  local device=$1 target current options=nosuid,nodev
  hm_volume_read_only && options=ro,$options
  target=$(hm_path "$HOSTMIRROR_MOUNT")
  mkdir -p "$target"
  if mountpoint -q "$target"; then
    current=$(findmnt -n -o SOURCE --target "$target")
    [ "$(readlink -f "$current")" = "$(readlink -f "$device")" ] ||
      hm_die "$target already has $current mounted, not the volume $device; unmount it and rerun."
  else
    if ! hm_volume_read_only && [ "$(blockdev --getro "$device" 2>/dev/null || echo 0)" = 1 ]; then
      hm_die "the volume $device is a read-only device, and this ISO unpacks onto the volume; rebuild it with build-iso --volume-access read-only (unpacks into $HOSTMIRROR_DATA_DIR on the host) or make the device writable."
    fi
    mount -o "$options" "$device" "$target" ||
      hm_die "cannot mount the volume $device on $target (-o $options)."
    hm_log "mounted the volume $device on $target (-o $options)"
  fi
  printf '%s\n' "$target"
}

# Does the volume in folder $1 hold something to serve: an archive of the manifest, or a
# storage tree a previous boot finished unpacking from this same manifest?
has_mirror() {
  local folder=$1 name names
  [ "$(cat "$(hm_data_dir_for "$folder")/state/complete" 2>/dev/null)" = "$(hm_manifest_id)" ] && return 0
  # Read the whole list first: leaving the loop early would cut the pipe it comes from.
  mapfile -t names < <(hm_archive_names)
  for name in "${names[@]}"; do
    [ -e "$folder/$name" ] && return 0
  done
  return 1
}

main() {
  local state device folder waited=0
  state=$(hm_path "$HOSTMIRROR_STATE_DIR")
  rm -rf "$state"
  mkdir -p "$state"
  if [ -n "${HOSTMIRROR_VOLUME_DIR:-}" ]; then
    folder=$(hm_path "$HOSTMIRROR_VOLUME_DIR")
    [ -d "$folder" ] || folder=
  else
    folder=
    until device=$(find_device); do
      if [ "$waited" -ge "$HOSTMIRROR_VOLUME_WAIT" ]; then break; fi
      sleep 1
      waited=$((waited + 1))
    done
    if [ -n "${device:-}" ]; then folder=$(mount_volume "$device"); fi
  fi
  if [ -n "$folder" ] && ! has_mirror "$folder"; then
    hm_log "the volume at $folder holds none of the archives of $HM_MANIFEST"
    [ -z "${device:-}" ] || umount "$folder" || true
    folder=
  fi
  if [ -z "$folder" ]; then
    if [ "$HOSTMIRROR_MODE" = node0 ] && [ "${HOSTMIRROR_COPY:-}" = on ] && [ "$HOSTMIRROR_PHASE" = installed ]; then
      # A control-plane node of mode node0 (the master pool's settings): it serves its copy of
      # node0's storage once the sync step has made it, and until then pulls from node0.
      touch "$state/mirror"
      if [ "$(cat "$(hm_path "$HOSTMIRROR_DATA_DIR")/state/complete" 2>/dev/null)" = "$(hm_manifest_id)" ]; then
        touch "$state/serve" "$state/copy"
        hm_log "mode node0, no mirror volume here: this control-plane node serves its copy of node0's storage from $HOSTMIRROR_DATA_DIR"
      else
        touch "$state/sync"
        hm_log "mode node0, no mirror volume here: this control-plane node pulls from node0's registry at $HOSTMIRROR_RENDEZVOUS_IP:$HOSTMIRROR_REGISTRY_PORT until hostmirror-sync has copied node0's storage to $HOSTMIRROR_DATA_DIR"
      fi
    elif [ "$HOSTMIRROR_MODE" = node0 ]; then
      touch "$state/mirror"
      hm_log "mode node0, no mirror volume labelled '$HOSTMIRROR_VOLUME_LABEL' here: this host pulls from node0's registry at $HOSTMIRROR_RENDEZVOUS_IP:$HOSTMIRROR_REGISTRY_PORT"
    else
      touch "$state/normal"
      hm_log "no mirror volume labelled '$HOSTMIRROR_VOLUME_LABEL' (${HOSTMIRROR_VOLUME_MATCH}): normal mode, the mirror is not used"
    fi
    return 0
  fi
  printf '%s\n' "$folder" >"$state/volume"
  touch "$state/mirror" "$state/serve"
  if hm_volume_read_only; then
    hm_log "mirror mode ${HOSTMIRROR_MODE}: this host serves the mirror from the read-only volume at $folder, unpacked into $(hm_data_dir_for "$folder")"
  else
    hm_log "mirror mode ${HOSTMIRROR_MODE}: this host serves the mirror from $folder"
  fi
}

main "$@"
