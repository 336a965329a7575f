#!/bin/bash
# hostmirror steps "persist" (live system) and "restore" (installed system): the installed
# system has no copy of our initrd, so the live system keeps the registry program and its TLS
# pair on the volume (which coreos-installer --save-partlabel preserves), and the installed
# system copies them back before it starts the same registry. A read-only volume is never
# written: the installed system restores them only if the volume already carries them
# (hostmirror/bin/registry, hostmirror/tls/), else its restore step fails saying so.
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

main() {
  local action=${1:-} data binary tls
  [ -e "$(hm_state serve)" ] || { hm_log "this host does not serve the mirror: nothing to $action"; return 0; }
  data=$(hm_carry_dir)
  binary=$(hm_path "$HOSTMIRROR_REGISTRY_BIN")
  tls=$(hm_path "$HM_TLS_DIR")
  case $action in
    persist)
      if hm_volume_read_only; then
        if carries_same "$data" "$binary" "$tls"; then
          hm_log "the read-only volume already carries this registry program and TLS pair in $data"
        else
          hm_warn "the volume is read-only: the registry program and TLS pair are not kept on it, so the installed system cannot serve the mirror from it unless $data/bin/registry and $data/tls/tls.{crt,key} are put there"
        fi
        return 0
      fi
      copy_if_changed "$binary" "$data/bin/registry" 0755
      copy_if_changed "$tls/tls.crt" "$data/tls/tls.crt" 0644
      copy_if_changed "$tls/tls.key" "$data/tls/tls.key" 0600
      ;;
    restore)
      if hm_volume_read_only && ! [ -f "$data/bin/registry" ] && ! [ -f "$data/tls/tls.key" ]; then
        hm_die "the read-only volume does not carry the registry program and TLS pair ($data/bin/registry, $data/tls/tls.crt, $data/tls/tls.key), which the installed system cannot get elsewhere; copy them there from the live ISO ($HOSTMIRROR_REGISTRY_BIN, $HM_TLS_DIR/) or use a read-write volume."
      fi
      copy_if_changed "$data/bin/registry" "$binary" 0755
      hm_fix_label "$binary"
      copy_if_changed "$data/tls/tls.crt" "$tls/tls.crt" 0644
      copy_if_changed "$data/tls/tls.key" "$tls/tls.key" 0600
      ;;
    *) hm_die "usage: $0 persist|restore" ;;
  esac
}

main "$@"
