#!/bin/bash
# hostmirror step "registry": run the registry program read-only, with TLS, over the storage
# tree on the volume. It refuses to start unless the tree is complete for this manifest.
set -euo pipefail
# shellcheck source=hostmirror-lib.sh
. "$(dirname "$0")/hostmirror-lib.sh"
# A refusal is not a crash: units.ts REGISTRY_REFUSAL_STATUS keeps systemd from restarting it.
HM_DIE_STATUS=78
hm_load_config

main() {
  local id data binary config address complete=''
  # systemd runs this again after every crash of the registry, so it forks little (hm_path_to,
  # read): the time to the exec is time the mirror does not serve.
  [ -e "$HM_ROOT$HOSTMIRROR_STATE_DIR/serve" ] || hm_die "this host does not serve the mirror in this boot; the registry is not started."
  id=$(hm_manifest_id)
  data=$(hm_data_dir)
  read -r complete 2>/dev/null <"$data/state/complete" || true
  [ "$complete" = "$id" ] ||
    hm_die "the storage tree in $data/registry is not complete for this manifest; the registry is not started."
  hm_path_to binary "$HOSTMIRROR_REGISTRY_BIN"
  [ -x "$binary" ] || hm_die "the registry program $binary is missing; it should have come from the initrd (live) or the volume (installed)."
  hm_path_to config "$HM_REGISTRY_CONFIG"
  # Every address, IPv4 and IPv6 (an empty host is Go's wildcard for both), where other hosts
  # pull from this one: node0 in mode node0, every installed host that serves (endpoints.ts
  # decides and writes HOSTMIRROR_REGISTRY_LISTEN). Loopback where only this host pulls.
  case ${HOSTMIRROR_REGISTRY_LISTEN:-} in
    all) address= ;;
    loopback) address=127.0.0.1 ;;
    # A settings file from before HOSTMIRROR_REGISTRY_LISTEN: the rule it followed.
    '') if [ "$HOSTMIRROR_MODE" = node0 ]; then address=; else address=127.0.0.1; fi ;;
    *) hm_die "HOSTMIRROR_REGISTRY_LISTEN is '$HOSTMIRROR_REGISTRY_LISTEN'; use all or loopback." ;;
  esac
  export REGISTRY_HTTP_ADDR="$address:$HOSTMIRROR_REGISTRY_PORT"
  # distribution reads REGISTRY_<PATH> variables over its config file (docs/mirror.md#registry); these
  # carry the paths that depend on where the volume is mounted. (Read-only mode stays in the
  # config file: distribution ignores variables for the maintenance map.)
  export REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY="$data/registry"
  hm_path_to REGISTRY_HTTP_TLS_CERTIFICATE "$HM_TLS_DIR/tls.crt"
  hm_path_to REGISTRY_HTTP_TLS_KEY "$HM_TLS_DIR/tls.key"
  export REGISTRY_HTTP_TLS_CERTIFICATE REGISTRY_HTTP_TLS_KEY
  export OTEL_TRACES_EXPORTER=none
  hm_log "serving $data/registry read-only on https://$REGISTRY_HTTP_ADDR"
  exec "$binary" serve "$config"
}

main "$@"
