#!/bin/bash
# hostmirror teardown (hostmirror-teardown.service, from the 99-<pool>-hostmirror-teardown
# MachineConfig that `hostmirror teardown-manifests` writes): stop the mirror registry and remove
# its storage and every file hostmirror put on this host, so that containers use only the
# cluster's own mirror configuration. Self-contained: the step scripts and their library are gone
# by the time it runs (MCO removed them with our MachineConfig). Idempotent: it runs at every
# boot and finds nothing to do once the host is clean. Never removes its own files.
#
# Settings (/etc/hostmirror-teardown/teardown.env, copied from our MachineConfig's settings):
# HOSTMIRROR_TEARDOWN_UNITS, HOSTMIRROR_MOUNT, HOSTMIRROR_VOLUME_LABEL, HOSTMIRROR_VOLUME_MATCH,
# HOSTMIRROR_DATA_DIR, HOSTMIRROR_STATE_DIR. The paths to remove, one a line, folders ending in
# "/" (removed once empty; the data and state folders whole): /etc/hostmirror-teardown/paths.
# Tests: HOSTMIRROR_ROOT prefixes every path, HOSTMIRROR_VOLUME_DIR names a folder volume,
# HOSTMIRROR_UPDATE_CA_TRUST replaces `update-ca-trust extract`.
set -euo pipefail

root=${HOSTMIRROR_ROOT:-}
readonly PATHS_FILE=/etc/hostmirror-teardown/paths
# The /etc/hosts alias line's tag (hostmirror-lib.sh HM_HOSTS_TAG, constants.ts HOSTS_TAG).
readonly HOSTS_TAG='# hostmirror'
readonly ANCHOR=/etc/pki/ca-trust/source/anchors/hostmirror-ca.crt
: "${HOSTMIRROR_MOUNT:=/var/mnt/hostmirror}"
: "${HOSTMIRROR_DATA_DIR:=/var/lib/hostmirror}"
: "${HOSTMIRROR_STATE_DIR:=/run/hostmirror}"
: "${HOSTMIRROR_VOLUME_LABEL:=data}"
: "${HOSTMIRROR_VOLUME_MATCH:=partlabel,label}"
: "${HOSTMIRROR_UPDATE_CA_TRUST:=update-ca-trust extract}"
removed=0

log() { printf 'hostmirror-teardown: %s\n' "$*" >&2; }
die() {
  printf '<3>hostmirror-teardown: %s\n' "$*" >&2
  exit 1
}
p() { printf '%s%s' "$root" "$1"; }

# Remove a file or link, counting it.
remove_file() {
  local path
  path=$(p "$1")
  if [ -e "$path" ] || [ -L "$path" ]; then
    rm -f "$path"
    removed=$((removed + 1))
    log "removed $1"
  fi
}

# Remove a folder whole (our data and state) or once empty (anything else).
remove_folder() {
  local folder path
  folder=${1%/}
  path=$(p "$folder")
  [ -d "$path" ] || return 0
  case $folder in
    "$HOSTMIRROR_DATA_DIR" | "$HOSTMIRROR_STATE_DIR")
      rm -rf "$path"
      removed=$((removed + 1))
      log "removed $folder and everything in it"
      ;;
    *)
      if rmdir "$path" 2>/dev/null; then
        removed=$((removed + 1))
        log "removed the empty folder $folder"
      else
        log "kept $folder: it holds files hostmirror did not write"
      fi
      ;;
  esac
}

# Stop and disable our units while systemd still knows them (a host MCO does not manage, or one
# where the teardown runs before the reboot).
stop_units() {
  local unit index
  [ -z "$root" ] && command -v systemctl >/dev/null 2>&1 || return 0
  local -a units
  read -r -a units <<<"${HOSTMIRROR_TEARDOWN_UNITS:-}"
  # Last first: the sync step (which starts the registry when its copy is done) before the
  # registry, the steps that use the registry before it.
  for ((index = ${#units[@]} - 1; index >= 0; index--)); do
    unit=${units[$index]}
    if [ "$(systemctl is-active "$unit" 2>/dev/null || true)" != inactive ] ||
      [ "$(systemctl is-enabled "$unit" 2>/dev/null || true)" = enabled ]; then
      systemctl disable --now "$unit" >/dev/null 2>&1 || systemctl stop "$unit" >/dev/null 2>&1 || true
      log "stopped and disabled $unit"
    fi
    systemctl reset-failed "$unit" >/dev/null 2>&1 || true
  done
}

# The volume's device by partition or filesystem label, as the volume step found it.
find_device() {
  local kind tag link device
  for kind in ${HOSTMIRROR_VOLUME_MATCH//,/ }; do
    case $kind in
      partlabel) tag=PARTLABEL link=/dev/disk/by-partlabel ;;
      label) tag=LABEL link=/dev/disk/by-label ;;
      *) continue ;;
    esac
    if [ -e "$link/$HOSTMIRROR_VOLUME_LABEL" ]; then
      readlink -f "$link/$HOSTMIRROR_VOLUME_LABEL"
      return 0
    fi
    device=$(blkid -c /dev/null -l -o device -t "$tag=$HOSTMIRROR_VOLUME_LABEL" 2>/dev/null || true)
    if [ -n "$device" ]; then
      printf '%s\n' "$device"
      return 0
    fi
  done
  return 1
}

# Free the registry storage on the volume: its hostmirror/ folder (the storage tree, unpack
# state, registry program and TLS pair). The archives are the volume's own content and stay;
# wipe the volume (wipefs) to free them too.
free_volume() {
  local folder mounted='' device
  if [ -n "${HOSTMIRROR_VOLUME_DIR:-}" ]; then
    folder=$(p "$HOSTMIRROR_VOLUME_DIR")
  else
    folder=$(p "$HOSTMIRROR_MOUNT")
    if ! mountpoint -q "$folder" 2>/dev/null; then
      device=$(find_device) || { log "no volume labelled '$HOSTMIRROR_VOLUME_LABEL' on this host"; return 0; }
      if [ "$(blockdev --getro "$device" 2>/dev/null || echo 0)" = 1 ]; then
        log "the volume $device is read-only: nothing of ours is on it"
        return 0
      fi
      mkdir -p "$folder"
      mount -o nosuid,nodev "$device" "$folder" || die "cannot mount the volume $device on $folder to free the registry storage on it."
      mounted=$device
    fi
  fi
  if [ -d "$folder/hostmirror" ] && [ ! -L "$folder/hostmirror" ]; then
    rm -rf "$folder/hostmirror"
    sync -f "$folder" 2>/dev/null || true
    removed=$((removed + 1))
    log "freed the registry storage $folder/hostmirror (the archives on the volume stay)"
  fi
  if mountpoint -q "$folder" 2>/dev/null; then
    umount "$folder" || die "cannot unmount the volume from $folder."
    log "unmounted the volume${mounted:+ $mounted} from $folder"
  fi
}

# Our alias line in /etc/hosts, replaced atomically as the configure step wrote it.
remove_hosts_alias() {
  local hosts temporary
  hosts=$(p /etc/hosts)
  [ -f "$hosts" ] && grep -qF "$HOSTS_TAG" "$hosts" || return 0
  temporary=$(mktemp "$hosts.XXXXXX")
  grep -vF "$HOSTS_TAG" "$hosts" >"$temporary" || true
  chmod 0644 "$temporary"
  mv -f "$temporary" "$hosts"
  if [ -z "$root" ] && command -v restorecon >/dev/null 2>&1; then restorecon "$hosts" 2>/dev/null || true; fi
  removed=$((removed + 1))
  log "removed the registry alias from /etc/hosts"
}

main() {
  local list path anchor_removed=''
  list=$(p "$PATHS_FILE")
  [ -r "$list" ] || die "$list is missing; the teardown MachineConfig is incomplete."
  stop_units
  free_volume
  [ ! -e "$(p "$ANCHOR")" ] || anchor_removed=yes
  while IFS= read -r path; do
    [ -n "$path" ] || continue
    case $path in
      /etc/hostmirror-teardown/* | */hostmirror-teardown.sh | */hostmirror-teardown.service) continue ;;
      */) remove_folder "$path" ;;
      *) remove_file "$path" ;;
    esac
  done <"$list"
  remove_hosts_alias
  if [ -n "$anchor_removed" ]; then
    # Word splitting is wanted: the setting is a command with its arguments.
    # shellcheck disable=SC2086
    $HOSTMIRROR_UPDATE_CA_TRUST || log "'$HOSTMIRROR_UPDATE_CA_TRUST' failed; run it by hand"
  fi
  if [ -z "$root" ] && command -v systemctl >/dev/null 2>&1; then systemctl daemon-reload || true; fi
  if [ "$removed" -eq 0 ]; then log "nothing of hostmirror is left on this host"; else log "removed $removed traces of hostmirror"; fi
}

main "$@"
