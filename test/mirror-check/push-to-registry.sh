#!/bin/bash
# Push images from an OCI layout into a real docker-registry listening on loopback inside a
# private network and mount namespace (nothing can leave the machine), then stop the registry
# so its storage tree is consistent. The tree under ROOT is what an oc-mirror v2 archive holds.
# usage: push-to-registry.sh LAYOUT ROOT PLAN
#   PLAN: one line per push: "<ref in LAYOUT> <repository:tag> [all]"  (all = whole index)
set -euo pipefail
if [ -z "${HM_IN_NETNS:-}" ]; then
  exec env HM_IN_NETNS=1 unshare --net --mount --propagation private "$0" "$@"
fi
layout=$1 root=$2 plan=$3
port=5000
ip link set lo up
# The system's registries.conf drop-ins must not steer these pushes.
if [ -d /etc/containers/registries.conf.d ]; then mount -t tmpfs tmpfs /etc/containers/registries.conf.d; fi
# Nor may a user's ~/.config/containers files.
export HOME=$root.home
mkdir -p "$HOME"
config=$(mktemp)
cat > "$config" <<CONF
version: 0.1
storage:
  filesystem: {rootdirectory: $root}
  maintenance: {uploadpurging: {enabled: false}}
http: {addr: 127.0.0.1:$port, secret: hostmirror-test}
log: {level: error}
CONF
docker-registry serve "$config" >"$root.registry.log" 2>&1 &
registry=$!
stop() {
  local status=$?
  kill "$registry" 2>/dev/null
  wait "$registry" 2>/dev/null || true
  rm -f "$config"
  exit "$status"
}
trap stop EXIT
for _ in $(seq 200); do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then break; fi
  sleep 0.025
done
while read -r ref destination all; do
  [ -n "$ref" ] || continue
  skopeo copy -q --preserve-digests ${all:+--all} --dest-tls-verify=false \
    "oci:$layout:$ref" "docker://127.0.0.1:$port/$destination"
done <"$plan"
