/**
 * The rehearsal's MCO stand-in (tools/rehearsal/generate.ts mcoRegistriesConf): the installed
 * hosts get /etc/containers/registries.conf as the machine-config-operator renders it from the
 * build's ImageDigestMirrorSets and ImageTagMirrorSets, since the installed system carries no
 * drop-in of ours. What containers/image would try for each pull is read back with
 * host-config's resolver (the c/image rules the project models and checks against skopeo).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadRegistriesConf, resolvePullSources } from '../../packages/host-config/src/index.ts';
import { mcoRegistriesConf } from '../../tools/rehearsal/generate.ts';

const DIGEST = `sha256:${'a'.repeat(64)}`;
const idms = `apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata:
  name: idms-release-0
spec:
  imageDigestMirrors:
    - mirrors:
        - registry.hostmirror.internal:5000/openshift/release
      source: quay.io/openshift-release-dev/ocp-v4.0-art-dev
    - mirrors:
        - registry.hostmirror.internal:5000/openshift/release-images
      source: quay.io/openshift-release-dev/ocp-release
`;
const adminIdms = `apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata:
  name: admin
spec:
  imageDigestMirrors:
    - mirrors:
        - admin-mirror.example.internal:5001/ocp/release
      source: quay.io/openshift-release-dev/ocp-release
      mirrorSourcePolicy: NeverContactSource
`;
const itms = `apiVersion: config.openshift.io/v1
kind: ImageTagMirrorSet
metadata:
  name: itms-operator-0
spec:
  imageTagMirrors:
    - mirrors:
        - registry.hostmirror.internal:5000/operators/thing
      source: registry.redhat.io/operators/thing
`;
const notAMirrorSet = `apiVersion: v1
kind: ConfigMap
metadata:
  name: hostmirror-registry-ca
  namespace: openshift-config
data:
  registry.hostmirror.internal..5000: not a mirror rule
`;

test('mcoRegistriesConf: the build IDMS renders as MCO does (digest-only mirrors, the source not blocked, tags go to the source)', () => {
  const text = mcoRegistriesConf([
    { file: '99-hostmirror-configmap.yaml', text: notAMirrorSet },
    { file: '99-hostmirror-idms.yaml', text: idms },
  ]);
  const conf = loadRegistriesConf(text, { origin: 'registries.conf' });
  assert.deepEqual(
    conf.registries.map((registry) => registry.location),
    ['quay.io/openshift-release-dev/ocp-release', 'quay.io/openshift-release-dev/ocp-v4.0-art-dev'],
    'one [[registry]] per source, in order of location',
  );
  const byDigest = resolvePullSources(`quay.io/openshift-release-dev/ocp-release@${DIGEST}`, conf);
  assert.deepEqual(
    byDigest.map((source) => [source.reference, source.status]),
    [
      [`registry.hostmirror.internal:5000/openshift/release-images@${DIGEST}`, 'try'],
      [`quay.io/openshift-release-dev/ocp-release@${DIGEST}`, 'try'],
    ],
  );
  const byTag = resolvePullSources('quay.io/openshift-release-dev/ocp-release:4.14.3-x86_64', conf);
  assert.deepEqual(
    byTag.map((source) => source.status),
    ['skipped', 'try'],
    'an IDMS mirror serves pulls by digest only',
  );
});

test('mcoRegistriesConf: a day-2 IDMS for the same source joins its [[registry]]; NeverContactSource blocks it; an ITMS mirror is tag-only', () => {
  const text = mcoRegistriesConf([
    { file: '99-hostmirror-idms.yaml', text: idms },
    { file: 'admin-idms.yaml', text: adminIdms },
    { file: 'itms.yaml', text: itms },
  ]);
  const conf = loadRegistriesConf(text, { origin: 'registries.conf' });
  const release = resolvePullSources(`quay.io/openshift-release-dev/ocp-release@${DIGEST}`, conf);
  assert.deepEqual(
    release.map((source) => [source.location, source.status]),
    [
      ['registry.hostmirror.internal:5000/openshift/release-images', 'try'],
      ['admin-mirror.example.internal:5001/ocp/release', 'try'],
      ['quay.io/openshift-release-dev/ocp-release', 'blocked'],
    ],
  );
  const operator = resolvePullSources('registry.redhat.io/operators/thing:v1', conf);
  assert.deepEqual(
    operator.map((source) => [source.location, source.status]),
    [
      ['registry.hostmirror.internal:5000/operators/thing', 'try'],
      ['registry.redhat.io/operators/thing', 'try'],
    ],
  );
});

test('mcoRegistriesConf: manifests without a mirror set are refused, naming what is missing', () => {
  assert.throws(
    () => mcoRegistriesConf([{ file: 'cm.yaml', text: notAMirrorSet }]),
    /no ImageDigestMirrorSet or ImageTagMirrorSet/,
  );
});
