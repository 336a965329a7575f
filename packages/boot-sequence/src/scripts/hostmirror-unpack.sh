#!/bin/bash
# hostmirror step "unpack": unpack the registry storage tree (docker/registry/v2/...) of each
# verified archive onto the volume, never into the RAM-backed /var of the live system.
#
# Idempotent and safe after a crash: each archive gets a ".done" marker only after its
# members are on disk (sync), a rerun unpacks again the archive it was in (tar replaces
# files), and the "complete" marker, which the registry needs to start, is written last,
# atomically, holding the manifest's identity. A new manifest starts over from empty.
set -euo pipefail
# shellcheck source=hostmirror-lib.sh
. "$(dirname "$0")/hostmirror-lib.sh"
hm_load_config

# oc-mirror v2 archives keep the registry storage under this prefix (docs/design.md#mirror-mode).
readonly STORAGE_PREFIX=docker/registry/v2

# Refuse an archive that could write outside the storage root: absolute names or ".."
# anywhere, and anything but regular files and folders under the storage prefix.
check_members() {
  local archive=$1 bad
  bad=$(tar -tf "$archive" | grep -m1 -E '^/|(^|/)\.\.(/|$)' || true)
  [ -z "$bad" ] || hm_die "archive $archive has the member '$bad', which points outside the folder it unpacks into; refusing to unpack it."
  bad=$(tar -tvf "$archive" | grep -m1 -E "^[^-d].* $STORAGE_PREFIX/" || true)
  [ -z "$bad" ] || hm_die "archive $archive has a link or special file in the registry storage ('$bad'); refusing to unpack it."
}

# grep reads the whole listing (no -q): an early exit would kill tar with SIGPIPE, and
# pipefail would turn that into "no storage".
has_storage() {
  [ "$(tar -tf "$1" | grep -c -E "^$STORAGE_PREFIX(/|$)")" -gt 0 ]
}

# Every blob a repository links to must be in the tree, or a pull fails half-way through
# the install (differential archives carry only new blobs).
check_blobs() {
  local root=$1 link digest hex checked=0
  [ -d "$root/$STORAGE_PREFIX/repositories" ] || hm_die "no registry storage ($STORAGE_PREFIX) in any archive of the manifest; nothing to serve."
  while IFS= read -r -d '' link; do
    digest=$(cat "$link")
    hex=${digest#sha256:}
    [ -f "$root/$STORAGE_PREFIX/blobs/sha256/${hex:0:2}/$hex/data" ] ||
      hm_die "the storage tree links to blob $digest (${link#"$root"/}) but no archive holds it; the archive set is incomplete (a differential archive without its base?)."
    checked=$((checked + 1))
  done < <(find "$root/$STORAGE_PREFIX/repositories" -type f -name link \
    \( -path '*/_layers/sha256/*' -o -path '*/_manifests/revisions/sha256/*' \) -print0)
  hm_log "all $checked blob links of the storage tree resolve"
}

main() {
  local id volume data root state name archive
  [ -e "$(hm_state serve)" ] || { hm_log "this host does not serve the mirror: nothing to unpack"; return 0; }
  id=$(hm_manifest_id)
  volume=$(hm_volume_dir)
  data=$(hm_data_dir)
  root=$data/registry
  state=$data/state
  if [ "$(cat "$state/complete" 2>/dev/null)" = "$id" ]; then
    hm_log "the storage tree in $root is complete for this manifest: nothing to unpack"
    return 0
  fi
  [ "$(cat "$(hm_state verified)" 2>/dev/null)" = "$id" ] ||
    hm_die "the archives were not verified in this boot; run hostmirror-verify first. Refusing to unpack."
  if [ "$(cat "$state/in-progress" 2>/dev/null)" != "$id" ]; then
    hm_log "starting a fresh storage tree in $root"
    rm -rf "$root" "$state"
    mkdir -p "$root" "$state"
    printf '%s\n' "$id" >"$state/in-progress"
  fi
  while read -r name; do
    archive=$volume/$name
    if [ -e "$state/$name.done" ]; then
      hm_log "$archive: already unpacked"
      continue
    fi
    check_members "$archive"
    if has_storage "$archive"; then
      hm_log "unpacking $STORAGE_PREFIX of $archive into $root"
      tar -xf "$archive" -C "$root" --no-same-owner --no-same-permissions "$STORAGE_PREFIX" ||
        hm_die "unpacking $archive into $root failed (is the volume full or read-only?); a rerun continues with this archive."
    else
      hm_log "$archive holds no registry storage ($STORAGE_PREFIX): skipped"
    fi
    sync -f "$root"
    touch "$state/$name.done"
  done < <(hm_archive_names)
  check_blobs "$root"
  printf '%s\n' "$id" >"$state/complete.tmp"
  sync -f "$state/complete.tmp"
  mv -f "$state/complete.tmp" "$state/complete"
  rm -f "$state/in-progress" "$state"/*.done
  sync -f "$state"
  hm_log "the storage tree in $root is complete"
}

main "$@"
