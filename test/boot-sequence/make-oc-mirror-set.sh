#!/bin/bash
# Make a base and a differential oc-mirror v2 mirror-to-disk run the way oc-mirror lays them
# out (openshift/oc-mirror internal/pkg/archive/archive.go BuildArchive, commit 855b64a3c9c0):
# every cache repository's link files, the blobs of the run that no earlier run carried,
# working-dir/ (an EMPTY cluster-resources/, the release signature, the release's
# hold-release/…/image-references) and the isc_<time> copy of the ImageSetConfiguration.
# Images are pushed with a real docker-registry and skopeo in oc-mirror's cache naming.
# The cache also holds old/thing from another run: its links ride along, its layer does not.
# Run inside `unshare -n` (loopback only). Usage: make-oc-mirror-set.sh OUT-DIR PORT
# Writes OUT/base/mirror_000001.tar and OUT/diff/mirror_000001.tar; prints KEY=value lines.
set -euo pipefail
out=$1 port=$2
work=$(mktemp -d "$out/.make.XXXXXX")
ip link set lo up
registry_pid=
cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

sha() { sha256sum "$1" | cut -c1-64; }

# image NAME TEXT: an OCI layout $work/img-NAME (tag "t") with one gzip layer holding TEXT;
# prints the manifest digest and leaves the layer digest in $work/layer-NAME.
image() {
  local name=$1 text=$2 dir=$work/img-$1 l c m
  mkdir -p "$dir/blobs/sha256" "$work/src-$name/etc"
  printf '%s\n' "$text" >"$work/src-$name/etc/content"
  tar --sort=name --mtime='UTC 2023-11-01' --owner=0 --group=0 --numeric-owner -C "$work/src-$name" -cf "$work/$name.tar" etc
  gzip -n -c "$work/$name.tar" >"$work/$name.tgz"
  l=$(sha "$work/$name.tgz")
  cp "$work/$name.tgz" "$dir/blobs/sha256/$l"
  printf 'sha256:%s' "$l" >"$work/layer-$name"
  printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$(sha "$work/$name.tar")" >"$work/c.json"
  c=$(sha "$work/c.json")
  cp "$work/c.json" "$dir/blobs/sha256/$c"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%d}]}' \
    "$c" "$(stat -c %s "$work/c.json")" "$l" "$(stat -c %s "$work/$name.tgz")" >"$work/m.json"
  m=$(sha "$work/m.json")
  cp "$work/m.json" "$dir/blobs/sha256/$m"
  echo '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"annotations":{"org.opencontainers.image.ref.name":"t"}}]}' \
    "$m" "$(stat -c %s "$work/m.json")" >"$dir/index.json"
  printf 'sha256:%s' "$m"
}

push() { skopeo copy -q --dest-tls-verify=false "oci:$work/img-$1:t" "docker://127.0.0.1:$port/$2"; }

release=$(image release 'release 4.14.3')
signature=$(image signature 'cosign signature of the release')
cli=$(image cli 'oc 4.14.3')
ubi=$(image ubi 'ubi 9')
minimal=$(image minimal 'ubi-minimal 9')
stale=$(image stale 'left in the cache by another run')
ubi94=$(image ubi94 'ubi 9.4')

cat >"$work/reg.yml" <<YAML
version: 0.1
storage: {filesystem: {rootdirectory: $work/root}, maintenance: {uploadpurging: {enabled: false}}}
http: {addr: 127.0.0.1:$port, secret: make-oc-mirror-set}
YAML
mkdir -p "$work/root"
docker-registry serve "$work/reg.yml" >"$work/reg.log" 2>&1 &
registry_pid=$!
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.05; done

# The shared cache before this run: a repository of another ImageSetConfiguration.
push stale old/thing:1.0
# oc-mirror's cache names (internal/pkg/release/local_stored_collector.go prepareTag,
# internal/pkg/additional/local_stored_collector.go buildMirrorToDiskPaths).
push release openshift/release-images:4.14.3-x86_64
push signature "openshift/release-images:${release/:/-}.sig"
push cli openshift/release:4.14.3-x86_64-cli
push ubi ubi9/ubi:latest
push minimal "ubi9/ubi-minimal:${minimal/:/-}"

# working-dir as a mirror-to-disk run leaves it: no cluster resources.
wd=$work/wd/working-dir
mkdir -p "$wd/cluster-resources" "$wd/signatures" "$wd/hold-release/ocp-release/4.14.3-x86_64/release-manifests"
printf '\x89\x01binary signature of %s\xff' "$release" >"$wd/signatures/4.14.3-x86_64-${release/:/-}"
cat >"$wd/hold-release/ocp-release/4.14.3-x86_64/release-manifests/image-references" <<JSON
{"kind":"ImageStream","apiVersion":"image.openshift.io/v1","metadata":{"name":"4.14.3"},
 "spec":{"tags":[{"name":"cli","from":{"kind":"DockerImage","name":"quay.io/openshift-release-dev/ocp-v4.0-art-dev@$cli"}}]}}
JSON
isc() {
  cat <<YAML
kind: ImageSetConfiguration
apiVersion: mirror.openshift.io/v2alpha1
mirror:
  platform:
    architectures: [amd64]
    channels:
    - name: stable-4.14
      type: ocp
      minVersion: 4.14.3
      maxVersion: 4.14.3
  additionalImages:
  - name: registry.redhat.io/ubi9/ubi:latest
  - name: registry.redhat.io/ubi9/ubi-minimal@$minimal
$1
YAML
}
isc '' >"$work/wd/isc_2026-12-01T00:00:00Z"

# The blobs of this run: everything but the other run's layer (in its history, not here).
stale_layer=$(cat "$work/layer-stale")
blobs() { (cd "$work/root" && find docker/registry/v2/blobs -mindepth 3 -maxdepth 3 -type d | LC_ALL=C sort | grep -v "/${stale_layer#sha256:}$" || true); }
blobs >"$work/base-blobs"
mkdir -p "$out/base" "$out/diff"
tar --format=pax -cf "$out/base/mirror_000001.tar" \
  -C "$work/root" docker/registry/v2/repositories -T "$work/base-blobs" \
  -C "$work/wd" working-dir isc_2026-12-01T00:00:00Z

# A later differential run: one more additional image; only its new blobs are archived.
push ubi94 ubi9/ubi:9.4
blobs | LC_ALL=C comm -13 "$work/base-blobs" - >"$work/diff-blobs"
isc '  - name: registry.redhat.io/ubi9/ubi:9.4' >"$work/wd/isc_2026-12-02T00:00:00Z"
tar --format=pax -cf "$out/diff/mirror_000001.tar" \
  -C "$work/root" docker/registry/v2/repositories -T "$work/diff-blobs" \
  -C "$work/wd" working-dir isc_2026-12-02T00:00:00Z

echo "RELEASE=$release"
echo "SIGNATURE=$signature"
echo "CLI=$cli"
echo "UBI=$ubi"
echo "MINIMAL=$minimal"
echo "STALE=$stale"
echo "STALE_LAYER=$stale_layer"
echo "UBI94=$ubi94"
echo "DIFF_BLOBS=$(wc -l <"$work/diff-blobs")"
