#!/bin/bash
# Run by test/mirror/registry.test.ts inside `unshare -n -m --propagation private`: a network
# namespace with only loopback (quay.io cannot be reached) and a private mount namespace (a
# private /etc/containers, so system drop-ins cannot interfere). Serves the unpacked archive
# with a read-only TLS registry and tries pulls through our registries.conf drop-ins.
# Prints one line per check: RESULT <name> <exit code>. Inputs (environment):
#   W          work folder with reg.yml, tls/ca.crt, conf-a.conf, conf-b.conf, policy.json
#   PORT       registry port (TLS), DEBUG_PORT its debug port
#   PLAIN_PORT a second read-only registry on the same tree over plain HTTP (reg-plain.yml),
#              used through conf-c.conf (insecure = true on every mirror table)
#   RELEASE_DIGEST COMPONENT_DIGEST UBI_DIGEST
set -u
ip link set lo up
M=localhost:$PORT
export HOME=$W/home; mkdir -p "$HOME" "$W/empty"
docker-registry serve "$W/reg.yml" > "$W/reg2.log" 2>&1 &
REGPID=$!
cleanup() { kill "$REGPID" 2>/dev/null; wait "$REGPID" 2>/dev/null; umount /etc/containers 2>/dev/null; }
trap cleanup EXIT
ready=1
for _ in $(seq 200); do
  if curl -sf --cacert "$W/tls/ca.crt" "https://$M/v2/" > /dev/null; then ready=0; break; fi
  sleep 0.05
done
echo "RESULT ready $ready"
[ "$ready" = 0 ] || { cat "$W/reg2.log"; exit 1; }

mkdir -p "$W/etc/registries.conf.d" "$W/etc/certs.d/$M"
cp "$W/policy.json" "$W/etc/policy.json"
printf 'unqualified-search-registries = []\n' > "$W/etc/registries.conf"
cp "$W/tls/ca.crt" "$W/etc/certs.d/$M/ca.crt"
cp "$W/conf-a.conf" "$W/etc/registries.conf.d/99-hostmirror.conf"
mount --bind "$W/etc" /etc/containers

curl -sf --cacert "$W/tls/ca.crt" "https://$M/v2/_catalog" > "$W/catalog.json"
echo "RESULT catalog $?"
for repo in openshift/release-images openshift/release ubi9/ubi; do
  curl -sf --cacert "$W/tls/ca.crt" "https://$M/v2/$repo/tags/list" > "$W/tags-${repo//\//_}.json"
done
curl -sf "http://127.0.0.1:$DEBUG_PORT/debug/health" > /dev/null
echo "RESULT health $?"

check() { # name, then the command
  local name=$1; shift
  "$@" > "$W/out-$name.txt" 2> "$W/err-$name.txt"
  echo "RESULT $name $?"
}
Q=quay.io/openshift-release-dev
check inspect-release-digest skopeo inspect --no-tags "docker://$Q/ocp-release@$RELEASE_DIGEST"
check inspect-component-digest skopeo inspect --no-tags "docker://$Q/ocp-v4.0-art-dev@$COMPONENT_DIGEST"
check copy-release-digest skopeo copy -q "docker://$Q/ocp-release@$RELEASE_DIGEST" "dir:$W/pulled-release"
check copy-component-digest skopeo copy -q "docker://$Q/ocp-v4.0-art-dev@$COMPONENT_DIGEST" "dir:$W/pulled-component"
check inspect-release-tag-digest-only skopeo inspect --no-tags "docker://$Q/ocp-release:4.14.3-x86_64"
check inspect-ubi-tag skopeo inspect --no-tags "docker://registry.redhat.io/ubi9/ubi:latest"
check inspect-ubi-digest-tag-only skopeo inspect --no-tags "docker://registry.redhat.io/ubi9/ubi@$UBI_DIGEST"
check push-refused skopeo copy -q "dir:$W/pulled-release" "docker://$M/openshift/release:pushed"
check upload-405 sh -c "curl -s -o /dev/null -w '%{http_code}' --cacert '$W/tls/ca.crt' -X POST 'https://$M/v2/openshift/release/blobs/uploads/' | grep -qx 405"
check no-ca-refused skopeo inspect --no-tags --cert-dir "$W/empty" "docker://$M/openshift/release-images@$RELEASE_DIGEST"

# Two mirrors, the first one closed (conf-d.conf): the debug log shows the order tried.
cp "$W/conf-d.conf" /etc/containers/registries.conf.d/99-hostmirror.conf
check parity-two-mirrors skopeo --debug inspect --no-tags "docker://$Q/ocp-release@$RELEASE_DIGEST"

cp "$W/conf-b.conf" /etc/containers/registries.conf.d/99-hostmirror.conf
check inspect-release-tag-all skopeo inspect --no-tags "docker://$Q/ocp-release:4.14.3-x86_64"
check inspect-release-digest-all skopeo inspect --no-tags "docker://$Q/ocp-release@$RELEASE_DIGEST"

docker-registry serve "$W/reg-plain.yml" > "$W/reg-plain.log" 2>&1 &
PLAINPID=$!
for _ in $(seq 200); do curl -sf "http://localhost:$PLAIN_PORT/v2/" > /dev/null && break; sleep 0.05; done
cp "$W/conf-c.conf" /etc/containers/registries.conf.d/99-hostmirror.conf
check plain-insecure-digest skopeo inspect --no-tags "docker://$Q/ocp-v4.0-art-dev@$COMPONENT_DIGEST"
sed -i '/^insecure = true$/d' /etc/containers/registries.conf.d/99-hostmirror.conf
check plain-without-insecure skopeo inspect --no-tags "docker://$Q/ocp-v4.0-art-dev@$COMPONENT_DIGEST"
kill "$PLAINPID"; wait "$PLAINPID" 2>/dev/null
exit 0
