#!/bin/bash
# hostmirror steps "persist" (live system) and "restore" (installed system): the installed
# system has no copy of our initrd, so the live system keeps the registry program and its TLS
# pair on the volume (which coreos-installer --save-partlabel preserves), and the installed
# system copies them back before it starts the same registry. A read-only volume is never
# written: the installed system restores them only if the volume already carries them
# (hostmirror/bin/registry, hostmirror/tls/), else its restore step fails saying so.
#
# Mode node0 with the control-plane copy (HOSTMIRROR_SYNC_REPOSITORY set): both steps then
# publish the registry program and the copy's inventory as blobs of that repository in this
# host's own storage tree, so the other control-plane nodes, which have neither, fetch them by
# digest from this registry (hostmirror-sync.sh). distribution serves a blob GET
# /v2/<name>/blobs/<digest> only when the repository links it: linkedBlobStatter.Stat reads
# repositories/<name>/_layers/<algorithm>/<hex>/link, then the blob at
# blobs/<algorithm>/<first two hex>/<hex>/data (distribution/distribution
# registry/storage/linkedblobstore.go at 9c88801a12a97de49abf26e9604975eececa654c, blobLinkPath;
# registry/storage/paths.go at e0521d2d010450d29c9df75c51eae357494b02b3, layerLinkPathSpec and
# blobDataPathSpec). The inventory is kept on the volume too (hostmirror/inventory) for the
# installed system, which has no initrd overlay.
set -euo pipefail
# shellcheck source=hostmirror-lib.sh
. "$(dirname "$0")/hostmirror-lib.sh"
hm_load_config

copy_if_changed() {
  local source=$1 target=$2 mode=$3
  [ -f "$source" ] || hm_die "$source is missing; cannot copy it to $target."
  if cmp -s "$source" "$target"; then return 0; fi
  mkdir -p "$(dirname "$target")"
  cp -f "$source" "$target.tmp"
  chmod "$mode" "$target.tmp"
  sync -f "$target.tmp"
  mv -f "$target.tmp" "$target"
  hm_log "copied $source to $target"
}

# Does the read-only volume already carry exactly this program and TLS pair?
carries_same() {
  local data=$1 binary=$2 tls=$3
  cmp -s "$binary" "$data/bin/registry" && cmp -s "$tls/tls.crt" "$data/tls/tls.crt" &&
    cmp -s "$tls/tls.key" "$data/tls/tls.key"
}

# publish_blob FILE SHA256 WHAT: FILE as a blob of the sync repository in the storage tree ROOT
# (a global), unless its sha256 is not the one the build named (then the copy would refuse it).
publish_blob() {
  local file=$1 expected=$2 what=$3 hex blob link
  read -r hex _ < <(sha256sum <"$file")
  if [ -n "$expected" ] && [ "$hex" != "$expected" ]; then
    hm_warn "the $what $file has sha256 $hex, not $expected as the build named: not published, so the other control-plane nodes cannot copy this mirror (they refuse anything else). Boot the ISO this build made."
    return 1
  fi
  blob=$ROOT/blobs/sha256/${hex:0:2}/$hex/data
  link=$ROOT/repositories/$HOSTMIRROR_SYNC_REPOSITORY/_layers/sha256/$hex/link
  if ! cmp -s "$file" "$blob"; then
    mkdir -p "${blob%/*}"
    cp -f "$file" "$blob.tmp"
    chmod 0644 "$blob.tmp"
    sync -f "$blob.tmp"
    mv -f "$blob.tmp" "$blob"
  fi
  if [ "$(cat "$link" 2>/dev/null)" != "sha256:$hex" ]; then
    mkdir -p "${link%/*}"
    printf 'sha256:%s' "$hex" >"$link.tmp"
    mv -f "$link.tmp" "$link"
  fi
  hm_log "published the $what as $HOSTMIRROR_SYNC_REPOSITORY@sha256:$hex for the other control-plane nodes"
}

# Mode node0 with the control-plane copy: publish the registry program and the inventory.
publish_for_copy() {
  local binary=$1 inventory ROOT
  [ -n "${HOSTMIRROR_SYNC_REPOSITORY:-}" ] || return 0
  inventory=$(hm_path "$HM_INVENTORY")
  ROOT=$(hm_data_dir)/registry/$HM_REGISTRY_TREE
  if ! [ -f "$inventory" ]; then
    hm_warn "no inventory at $inventory (it comes from the initrd on the live ISO, from the volume's hostmirror/inventory installed): the other control-plane nodes cannot copy this mirror and keep pulling from this host."
    return 0
  fi
  publish_blob "$binary" "${HOSTMIRROR_SYNC_PROGRAM_SHA256:-}" "registry program" || true
  publish_blob "$inventory" "${HOSTMIRROR_SYNC_INVENTORY_SHA256:-}" inventory || true
}

main() {
  local action=${1:-} data binary tls inventory
  [ -e "$(hm_state serve)" ] || { hm_log "this host does not serve the mirror: nothing to $action"; return 0; }
  ! hm_serves_copy || { hm_log "this host serves its copy of node0's storage: its registry program came from node0, its TLS pair from the MachineConfig"; return 0; }
  data=$(hm_carry_dir)
  binary=$(hm_path "$HOSTMIRROR_REGISTRY_BIN")
  tls=$(hm_path "$HM_TLS_DIR")
  inventory=$(hm_path "$HM_INVENTORY")
  case $action in
    persist)
      if hm_volume_read_only; then
        if carries_same "$data" "$binary" "$tls"; then
          hm_log "the read-only volume already carries this registry program and TLS pair in $data"
        else
          hm_warn "the volume is read-only: the registry program and TLS pair are not kept on it, so the installed system cannot serve the mirror from it unless $data/bin/registry and $data/tls/tls.{crt,key} are put there"
        fi
      else
        copy_if_changed "$binary" "$data/bin/registry" 0755
        copy_if_changed "$tls/tls.crt" "$data/tls/tls.crt" 0644
        copy_if_changed "$tls/tls.key" "$data/tls/tls.key" 0600
        [ ! -f "$inventory" ] || copy_if_changed "$inventory" "$data/inventory" 0644
      fi
      publish_for_copy "$binary"
      ;;
    restore)
      if hm_volume_read_only && ! [ -f "$data/bin/registry" ] && ! [ -f "$data/tls/tls.key" ]; then
        hm_die "the read-only volume does not carry the registry program and TLS pair ($data/bin/registry, $data/tls/tls.crt, $data/tls/tls.key), which the installed system cannot get elsewhere; copy them there from the live ISO ($HOSTMIRROR_REGISTRY_BIN, $HM_TLS_DIR/) or use a read-write volume."
      fi
      copy_if_changed "$data/bin/registry" "$binary" 0755
      hm_fix_label "$binary"
      copy_if_changed "$data/tls/tls.crt" "$tls/tls.crt" 0644
      copy_if_changed "$data/tls/tls.key" "$tls/tls.key" 0600
      [ ! -f "$data/inventory" ] || copy_if_changed "$data/inventory" "$inventory" 0644
      publish_for_copy "$binary"
      ;;
    *) hm_die "usage: $0 persist|restore" ;;
  esac
}

main "$@"
