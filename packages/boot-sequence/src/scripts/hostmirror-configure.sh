#!/bin/bash
# hostmirror step "configure": point this host at the mirror. Installs (live ISO only) the
# registries.conf drop-in staged at build time, the CA for containers (certs.d/<name:port>/ca.crt), and the
# /etc/hosts alias of the registry name: 127.0.0.1 on a host that serves, the rendezvous IP
# (node0) on the others. Every write replaces the previous one.
#
# The system trust store gets the CA on the live ISO only: there assisted-service runs
# `oc adm release extract` in a container that trusts the host's extracted bundle
# (openshift/assisted-service internal/common MirrorRegistriesCertificatePath =
# /etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem; openshift/installer
# pkg/asset/agent/image/ignition.go defineCABundleMount). On the installed system CRI-O,
# podman and the MCO pull through containers/image, which reads certs.d, so the CA stays out
# of its system store. Either way the CA carries critical name constraints: it can vouch for
# the mirror's names and addresses only.
set -euo pipefail
# shellcheck source=hostmirror-lib.sh
. "$(dirname "$0")/hostmirror-lib.sh"
hm_load_config

: "${HOSTMIRROR_UPDATE_CA_TRUST:=update-ca-trust extract}"
# containers-registries.conf.d(5): drop-ins are read in name order, a later one wins.
readonly DROP_IN=/etc/containers/registries.conf.d/99-hostmirror.conf
# containers-certs.d(5): a *.crt file in certs.d/<host:port>/ is a CA for that registry.
readonly CERTS_D=/etc/containers/certs.d
# update-ca-trust(8) reads extra anchors from this folder.
readonly ANCHORS=/etc/pki/ca-trust/source/anchors
readonly HOSTS=/etc/hosts

write_hosts_alias() {
  local address=$1 hosts temporary
  hosts=$(hm_path "$HOSTS")
  mkdir -p "$(dirname "$hosts")"
  touch "$hosts"
  temporary=$(mktemp "$hosts.XXXXXX")
  grep -vF "$HM_HOSTS_TAG" "$hosts" >"$temporary" || true
  printf '%s %s %s\n' "$address" "$HOSTMIRROR_REGISTRY_NAME" "$HM_HOSTS_TAG" >>"$temporary"
  chmod 0644 "$temporary"
  mv -f "$temporary" "$hosts"
  hm_fix_label "$hosts" system_u:object_r:net_conf_t:s0
}

main() {
  local address mirror
  [ -e "$(hm_state mirror)" ] || { hm_log "normal mode: the host configuration is left as it is"; return 0; }
  address=$(hm_registry_address)
  if [ "$HOSTMIRROR_PHASE" = live ]; then
    hm_install_file "$(hm_path "$HM_STAGED_REGISTRIES_CONF")" "$(hm_path "$DROP_IN")" 0644
  else
    # Installed: MCO's registries.conf, rendered from the IDMS/ITMS manifests, holds the mirror
    # rules; a drop-in with the same prefixes would replace its entries and hide the mirrors an
    # administrator adds later (files.ts explains). One left by an earlier build goes.
    rm -f "$(hm_path "$DROP_IN")"
    hm_log "the mirror rules are MCO's (/etc/containers/registries.conf from the cluster's ImageDigestMirrorSets)"
  fi
  # Every mirror endpoint, in the order clients try them (HOSTMIRROR_MIRRORS, endpoints.ts):
  # the same CA vouches for each.
  for mirror in $(hm_mirrors); do
    hm_install_file "$(hm_path "$HM_CA")" "$(hm_path "$CERTS_D/$mirror/ca.crt")" 0644
  done
  if [ "$HOSTMIRROR_PHASE" = live ]; then
    hm_install_file "$(hm_path "$HM_CA")" "$(hm_path "$ANCHORS/hostmirror-ca.crt")" 0644
    # Word splitting is wanted: the setting is a command with its arguments.
    # shellcheck disable=SC2086
    $HOSTMIRROR_UPDATE_CA_TRUST || hm_die "'$HOSTMIRROR_UPDATE_CA_TRUST' failed; the mirror's CA is not trusted."
  fi
  write_hosts_alias "$address"
  hm_log "containers pull through $(hm_mirrors | tr '\n' ' ')in that order ($HOSTMIRROR_REGISTRY_NAME is $address)"
}

main "$@"
