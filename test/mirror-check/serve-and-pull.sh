#!/bin/bash
# Serve an archive the way a host does (unpack its registry tree, docker-registry read-only on
# loopback, in a private network and mount namespace) and pull each reference through a
# registries.conf with skopeo, as a node would. Prints "ok REF" or "fail REF" per reference.
# usage: serve-and-pull.sh ARCHIVE REGISTRIES_CONF REFERENCES_FILE
set -euo pipefail
if [ -z "${HM_IN_NETNS:-}" ]; then
  exec env HM_IN_NETNS=1 unshare --net --mount --propagation private "$0" "$@"
fi
archive=$1 conf=$2 references=$3
port=5000
work=$(mktemp -d)
ip link set lo up
if [ -d /etc/containers/registries.conf.d ]; then mount -t tmpfs tmpfs /etc/containers/registries.conf.d; fi
echo 'nameserver 127.0.0.1' >"$work/resolv.conf"
mount --bind "$work/resolv.conf" /etc/resolv.conf
export HOME=$work/home
mkdir -p "$HOME" "$work/root"
tar -C "$work/root" -xf "$archive" docker
cat >"$work/registry.yml" <<CONF
version: 0.1
storage:
  filesystem: {rootdirectory: $work/root}
  maintenance: {uploadpurging: {enabled: false}, readonly: {enabled: true}}
http: {addr: 127.0.0.1:$port, secret: hostmirror-test}
log: {level: error}
CONF
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
registry=$!
stop() {
  local status=$?
  kill "$registry" 2>/dev/null
  wait "$registry" 2>/dev/null || true
  rm -rf "$work"
  exit "$status"
}
trap stop EXIT
for _ in $(seq 200); do
  if (exec 3<>/dev/tcp/127.0.0.1/$port) 2>/dev/null; then break; fi
  sleep 0.025
done
n=0
while read -r reference; do
  [ -n "$reference" ] || continue
  n=$((n + 1))
  if timeout 30 skopeo --registries-conf "$conf" copy -q --override-arch amd64 --override-os linux \
    "docker://$reference" "dir:$work/pulled-$n" >/dev/null 2>"$work/error"; then
    echo "ok $reference"
  else
    echo "fail $reference $(tail -1 "$work/error")"
  fi
done <"$references"
