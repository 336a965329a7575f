#!/bin/bash
# Serve an archive the way a host does (unpack its registry tree, docker-registry read-only on
# loopback, in a private network and mount namespace) and pull each reference through a
# registries.conf with skopeo, as a node would. Prints "ok REF" or "fail REF" per reference.
# usage: serve-and-pull.sh ARCHIVE REGISTRIES_CONF REFERENCES_FILE
set -euo pipefail
# shellcheck source=registry-netns.sh
source "$(dirname "$0")/registry-netns.sh"
enter_private_namespaces "$@"
archive=$1 conf=$2 references=$3
work=$(mktemp -d)
cleanup_paths=("$work")
closed_dns "$work"
isolate_home "$work/home"
mkdir -p "$work/root"
tar -C "$work/root" -xf "$archive" docker
cat >"$work/registry.yml" <<CONF
version: 0.1
storage:
  filesystem: {rootdirectory: $work/root}
  maintenance: {uploadpurging: {enabled: false}, readonly: {enabled: true}}
http: {addr: 127.0.0.1:$REGISTRY_PORT, secret: hostmirror-test}
log: {level: error}
CONF
start_registry "$work/registry.yml" "$work/registry.log"
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
