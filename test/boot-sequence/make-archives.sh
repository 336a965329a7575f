#!/bin/bash
# Make two oc-mirror-v2-like archives without network (run inside `unshare -n`): a small
# "release" image pushed in oc-mirror naming into a read-write docker-registry, tarred with
# a working-dir/ like oc-mirror's (mirror_000001.tar), then a large image whose new files
# form a differential second archive (mirror_000002.tar). After mirror.md's tested recipe.
# Usage: make-archives.sh OUT-DIR PORT BIG-MIB; prints KEY=value lines.
set -euo pipefail
out=$1 port=$2 big_mib=$3
work=$(mktemp -d "$out/.make.XXXXXX")
ip link set lo up
registry_pid=
cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; wait "$registry_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

sha() { sha256sum "$1" | cut -c1-64; }

# oci_image DIR LAYER-FILE MEDIA-TYPE: an OCI layout with one layer, tag "t".
oci_image() {
  local dir=$1 layer=$2 media=$3 diff=$4 l c m
  mkdir -p "$dir/blobs/sha256"
  l=$(sha "$layer")
  cp "$layer" "$dir/blobs/sha256/$l"
  printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$diff" >"$work/c.json"
  c=$(sha "$work/c.json")
  cp "$work/c.json" "$dir/blobs/sha256/$c"
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%d},"layers":[{"mediaType":"%s","digest":"sha256:%s","size":%d}]}' \
    "$c" "$(stat -c %s "$work/c.json")" "$media" "$l" "$(stat -c %s "$layer")" >"$work/m.json"
  m=$(sha "$work/m.json")
  cp "$work/m.json" "$dir/blobs/sha256/$m"
  echo '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%d,"annotations":{"org.opencontainers.image.ref.name":"t"}}]}' \
    "$m" "$(stat -c %s "$work/m.json")" >"$dir/index.json"
  printf 'sha256:%s' "$m"
}

mkdir -p "$work/small/etc"
echo "fake release payload 4.14.3" >"$work/small/etc/release-version"
tar --sort=name --mtime='UTC 2023-11-01' --owner=0 --group=0 --numeric-owner -C "$work/small" -cf "$work/small.tar" etc
gzip -n -c "$work/small.tar" >"$work/small.tgz"
release=$(oci_image "$work/img-small" "$work/small.tgz" application/vnd.oci.image.layer.v1.tar+gzip "$(sha "$work/small.tar")")

mkdir -p "$work/big/data"
head -c "${big_mib}M" /dev/urandom >"$work/big/data/random"
tar --sort=name --mtime='UTC 2023-11-01' --owner=0 --group=0 --numeric-owner -C "$work/big" -cf "$work/big.tar" data
oci_image "$work/img-big" "$work/big.tar" application/vnd.oci.image.layer.v1.tar "$(sha "$work/big.tar")" >/dev/null

cat >"$work/reg.yml" <<YAML
version: 0.1
storage: {filesystem: {rootdirectory: $work/root}, maintenance: {uploadpurging: {enabled: false}}}
http: {addr: 127.0.0.1:$port, secret: make-archives}
YAML
mkdir -p "$work/root"
docker-registry serve "$work/reg.yml" >"$work/reg.log" 2>&1 &
registry_pid=$!
for _ in $(seq 200); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.05; done
for ref in openshift/release-images:4.14.3-x86_64 openshift/release:4.14.3-x86_64-cli; do
  skopeo copy -q --dest-tls-verify=false "oci:$work/img-small:t" "docker://127.0.0.1:$port/$ref"
done
mkdir -p "$work/root/working-dir/cluster-resources"
# As oc-mirror v2 writes it after a disk-to-mirror run to localhost:55000.
cat >"$work/root/working-dir/cluster-resources/idms-oc-mirror.yaml" <<'YAML'
apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata:
  name: idms-release-0
spec:
  imageDigestMirrors:
  - mirrors:
    - localhost:55000/openshift/release
    source: quay.io/openshift-release-dev/ocp-v4.0-art-dev
  - mirrors:
    - localhost:55000/openshift/release-images
    source: quay.io/openshift-release-dev/ocp-release
YAML
(cd "$work/root" && find docker -type f | LC_ALL=C sort >"$work/before")
tar -C "$work/root" --sort=name -cf "$out/mirror_000001.tar" docker working-dir
skopeo copy -q --dest-tls-verify=false "oci:$work/img-big:t" "docker://127.0.0.1:$port/openshift/release:big"
(cd "$work/root" && find docker -type f | LC_ALL=C sort | comm -13 "$work/before" - >"$work/new")
tar -C "$work/root" -cf "$out/mirror_000002.tar" -T "$work/new"
echo "RELEASE_DIGEST=$release"
