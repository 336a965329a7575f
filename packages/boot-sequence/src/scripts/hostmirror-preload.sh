#!/bin/bash
# hostmirror step "preload" (mode preload): copy the images of the preload list from the
# mirror into container storage, by digest and, when the list gives one, by tag too, so that
# CRI-O and podman find them locally. The registry keeps running for tools that need one.
# Each line of the list: <source repository> <sha256 digest> [<tag>].
set -euo pipefail
# shellcheck source=hostmirror-lib.sh
. "$(dirname "$0")/hostmirror-lib.sh"
hm_load_config

: "${HOSTMIRROR_PRELOAD_RETRIES:=3}"

copy_image() {
  local source=$1 target=$2
  if skopeo inspect --no-tags "containers-storage:$target" >/dev/null 2>&1; then
    hm_log "$target: already in container storage"
    return 0
  fi
  skopeo copy --quiet --retry-times "$HOSTMIRROR_PRELOAD_RETRIES" "docker://$source" "containers-storage:$target" ||
    hm_die "could not copy $source into container storage through the mirror."
  hm_log "$target: copied into container storage"
}

main() {
  local list repository digest tag count=0
  [ -e "$(hm_state mirror)" ] || { hm_log "normal mode: nothing to preload"; return 0; }
  list=$(hm_path "$HM_PRELOAD_LIST")
  [ -r "$list" ] || hm_die "the preload list $list is missing."
  while read -r repository digest tag; do
    case $repository in '' | '#'*) continue ;; esac
    [[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || hm_die "$list: '$digest' for $repository is not a sha256 digest."
    copy_image "$repository@$digest" "$repository@$digest"
    [ -z "$tag" ] || copy_image "$repository@$digest" "$repository:$tag"
    count=$((count + 1))
  done <"$list"
  hm_log "$count images of $list are in container storage"
}

main "$@"
