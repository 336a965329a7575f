#!/bin/bash
# hostmirror step "unpack": unpack the registry storage tree (docker/registry/v2/...) of each
# verified archive onto the volume, never into the RAM-backed /var of the live system; for a
# read-only volume (HOSTMIRROR_VOLUME_ACCESS=read-only) into HOSTMIRROR_DATA_DIR on the host
# (on the live ISO that is RAM, which the build's budget counts), reading the volume only.
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
readonly STORAGE_PREFIX=$HM_REGISTRY_TREE

# Why each rule of the member judgment (hm_judge_archive) refuses a member.
refusal_reason() {
  case $1 in
    absolute-name | parent-reference) echo "its name points outside the folder it unpacks into" ;;
    link-on-registry-path) echo "it is a link on the path to or inside the registry storage, so the files of this and every later archive would be written wherever it points" ;;
    link) echo "it is a link, and oc-mirror archives hold regular files only" ;;
    special-file) echo "it is a device, fifo or unknown-type member" ;;
    not-a-directory-on-registry-path) echo "it is a file where the registry storage needs a folder" ;;
    registry-name-not-unpacked) echo "it is registry storage under a name the unpack does not select, so the registry would lack it" ;;
    *) echo "its name cannot be read" ;;
  esac
}

# Judge every member of the archive before anything of it is written (the one member rule,
# hm_judge_archive); prints how many members are unpacked.
check_members() {
  local archive=$1 verdicts refused rule
  verdicts=$(hm_judge_archive "$archive") ||
    hm_die "tar cannot list $archive; it is damaged. Refusing to unpack it."
  refused=$(printf '%s\n' "$verdicts" | grep -m1 '^refuse ' || true)
  if [ -n "$refused" ]; then
    rule=${refused%%$'\t'*}
    rule=${rule#refuse }
    hm_die "archive $archive has the member \"${refused#*$'\t'}\", refused ($rule): $(refusal_reason "$rule"); refusing to unpack it. Make the archive again with oc-mirror and never re-pack it by hand."
  fi
  printf '%s\n' "$verdicts" | grep -c '^unpack' || true
}

# Nothing we write into may be a link: not the folders on the volume (a link there would
# send rm -rf and tar elsewhere), nor anything already in a storage tree being resumed.
check_no_links() {
  local path found
  for path in "$@"; do
    [ ! -L "$path" ] || hm_die "$path is a symbolic link; the unpack writes only into real folders. Remove it and reboot."
  done
  found=$(find "$@" -type l -print -quit 2>/dev/null || true)
  [ -z "$found" ] || hm_die "$found is a symbolic link inside the storage being unpacked; remove $1 and reboot to start over."
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

# tar --exclude patterns for the stale repositories the build named (its completeness rule):
# their link files stay out of the tree, so the registry never offers their missing blobs.
# The repository's own areas are excluded, not its folder: a needed repository may live below.
skip_patterns() {
  local list repository area
  list=$(hm_path "$HM_SKIP_REPOSITORIES")
  [ -r "$list" ] || return 0
  while IFS= read -r repository; do
    [ -n "$repository" ] || continue
    for area in _manifests _layers _uploads; do
      printf '%s\n' "--exclude=$STORAGE_PREFIX/repositories/$repository/$area"
    done
  done <"$list"
}

main() {
  local id volume data root state name archive unpacked
  local -a excludes=()
  [ -e "$(hm_state serve)" ] || { hm_log "this host does not serve the mirror: nothing to unpack"; return 0; }
  ! hm_serves_copy || { hm_log "this host serves its copy of node0's storage: nothing to unpack"; return 0; }
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
  check_no_links "$data" "$root" "$state"
  if [ "$(cat "$state/in-progress" 2>/dev/null)" != "$id" ]; then
    hm_log "starting a fresh storage tree in $root"
    rm -rf "$root" "$state"
    mkdir -p "$root" "$state"
    printf '%s\n' "$id" >"$state/in-progress"
  fi
  mapfile -t excludes < <(skip_patterns)
  [ "${#excludes[@]}" -eq 0 ] || hm_log "leaving out $((${#excludes[@]} / 3)) stale repositories named at build time ($(hm_path "$HM_SKIP_REPOSITORIES"))"
  while read -r name; do
    archive=$volume/$name
    if [ -e "$state/$name.done" ]; then
      hm_log "$archive: already unpacked"
      continue
    fi
    unpacked=$(check_members "$archive") || exit 1
    if [ "$unpacked" -gt 0 ]; then
      hm_log "unpacking $STORAGE_PREFIX of $archive into $root ($unpacked members)"
      # GNU tar's own protections on top of the judgment: files owned by root with our umask
      # (no owners or modes from the archive), existing folders' metadata kept, no xattrs,
      # ACLs or SELinux labels from the archive; leading "/" and ".." members are never
      # written (tar's default). RHCOS ships GNU tar and bsdtar (openshift/os includes
      # coreos/fedora-coreos-config manifests/user-experience.yaml: "tar", "bsdtar"); GNU tar
      # both lists (hm_judge_archive) and extracts, so what is judged is what is written.
      # Stale repositories the build named (skip-repositories) are left out.
      tar -xf "$archive" -C "$root" --no-same-owner --no-same-permissions --no-overwrite-dir \
        --no-xattrs --no-acls --no-selinux "${excludes[@]}" "$STORAGE_PREFIX" ||
        hm_die "unpacking $archive into $root failed (is $root full or read-only?$(hm_volume_read_only || printf ' a read-only volume needs an ISO built with --volume-access read-only')); a rerun continues with this archive."
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
