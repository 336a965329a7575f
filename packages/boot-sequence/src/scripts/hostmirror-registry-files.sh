#!/bin/bash
# hostmirror steps "persist" (live system) and "restore" (installed system): the installed
# system has no copy of our initrd, so the live system keeps the registry program and its TLS
# pair on the volume (which coreos-installer --save-partlabel preserves), and the installed
# system copies them back before it starts the same registry.
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

main() {
  local action=${1:-} data binary tls
  [ -e "$(hm_state serve)" ] || { hm_log "this host does not serve the mirror: nothing to $action"; return 0; }
  data=$(hm_data_dir)
  binary=$(hm_path "$HOSTMIRROR_REGISTRY_BIN")
  tls=$(hm_path "$HM_TLS_DIR")
  case $action in
    persist)
      copy_if_changed "$binary" "$data/bin/registry" 0755
      copy_if_changed "$tls/tls.crt" "$data/tls/tls.crt" 0644
      copy_if_changed "$tls/tls.key" "$data/tls/tls.key" 0600
      ;;
    restore)
      copy_if_changed "$data/bin/registry" "$binary" 0755
      hm_fix_label "$binary"
      copy_if_changed "$data/tls/tls.crt" "$tls/tls.crt" 0644
      copy_if_changed "$data/tls/tls.key" "$tls/tls.key" 0600
      ;;
    *) hm_die "usage: $0 persist|restore" ;;
  esac
}

main "$@"
