#!/bin/bash
# Push images from an OCI layout into a real docker-registry listening on loopback inside a
# private network and mount namespace (nothing can leave the machine), then stop the registry
# so its storage tree is consistent. The tree under ROOT is what an oc-mirror v2 archive holds.
# usage: push-to-registry.sh LAYOUT ROOT PLAN
#   PLAN: one line per push: "<ref in LAYOUT> <repository:tag> [all]"  (all = whole index)
set -euo pipefail
# shellcheck source=registry-netns.sh
source "$(dirname "$0")/registry-netns.sh"
enter_private_namespaces "$@"
layout=$1 root=$2 plan=$3
isolate_home "$root.home"
config=$(mktemp)
cleanup_paths=("$config")
cat > "$config" <<CONF
version: 0.1
storage:
  filesystem: {rootdirectory: $root}
  maintenance: {uploadpurging: {enabled: false}}
http: {addr: 127.0.0.1:$REGISTRY_PORT, secret: hostmirror-test}
log: {level: error}
CONF
start_registry "$config" "$root.registry.log"
while read -r ref destination all; do
  [ -n "$ref" ] || continue
  skopeo copy -q --preserve-digests ${all:+--all} --dest-tls-verify=false \
    "oci:$layout:$ref" "docker://127.0.0.1:$REGISTRY_PORT/$destination"
done <"$plan"
