#!/bin/bash
# hostmirror step "verify": check every archive on the volume against the sha256 manifest
# written at build time. A missing or different archive stops the mirror (and, through the
# units' Requires=, the install) with a message naming the file.
set -euo pipefail
# shellcheck source=hostmirror-lib.sh
. "$(dirname "$0")/hostmirror-lib.sh"
hm_load_config

main() {
  local id volume data manifest expected name file actual
  [ -e "$(hm_state serve)" ] || { hm_log "this host does not serve the mirror: nothing to verify"; return 0; }
  ! hm_serves_copy || { hm_log "this host serves its copy of node0's storage (verified by digest when copied): no archives to verify"; return 0; }
  id=$(hm_manifest_id)
  volume=$(hm_volume_dir)
  data=$(hm_data_dir)
  manifest=$(hm_path "$HM_MANIFEST")
  if [ "$(cat "$data/state/complete" 2>/dev/null)" = "$id" ]; then
    hm_log "the storage tree in $data was unpacked from verified archives of this manifest: not verifying again"
    printf '%s\n' "$id" >"$(hm_state verified)"
    return 0
  fi
  rm -f "$(hm_state verified)"
  while read -r expected name; do
    [ -n "$expected" ] || continue
    name=${name#\*}
    file=$volume/$name
    [ -f "$file" ] ||
      hm_die "archive $file is listed in $manifest but missing from the volume; copy it back or rebuild the ISO without it. Refusing to serve the mirror."
    hm_log "verifying $file ($(stat -c %s "$file") bytes)"
    actual=$(sha256sum "$file" | cut -c1-64)
    [ "$actual" = "$expected" ] ||
      hm_die "archive $file has sha256 $actual but the manifest written at build time ($manifest) says $expected; the file is damaged or not the one the ISO was built with. Refusing to serve the mirror."
  done <"$manifest"
  printf '%s\n' "$id" >"$(hm_state verified)"
  hm_log "all archives of $manifest verified"
}

main "$@"
