import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collectClusterResources, parseClusterResourceFile } from '@hostmirror/oc-mirror-archive';
import { parse } from 'yaml';
import {
  renderClusterManifests,
  renderTrustedCaManifests,
  TRUSTED_CA_CONFIGMAP,
} from './manifests.ts';
import { planBootSequence } from './plan.ts';

const resources = collectClusterResources([
  ...parseClusterResourceFile(
    'idms-oc-mirror.yaml',
    `apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata: {name: idms-release-0}
spec:
  imageDigestMirrors:
  - mirrors: [localhost:55000/openshift/release]
    source: quay.io/openshift-release-dev/ocp-v4.0-art-dev
  - mirrors: [localhost:55000/not/in/archive]
    source: quay.io/elsewhere/thing
`,
  ),
  ...parseClusterResourceFile(
    'itms-oc-mirror.yaml',
    `apiVersion: config.openshift.io/v1
kind: ImageTagMirrorSet
metadata: {name: itms-release-0}
spec:
  imageTagMirrors:
  - mirrors: [localhost:55000/openshift/release-images]
    source: quay.io/openshift-release-dev/ocp-release
`,
  ),
  ...parseClusterResourceFile(
    'cs-redhat-operator-index.yaml',
    `apiVersion: operators.coreos.com/v1alpha1
kind: CatalogSource
metadata: {name: cs-redhat-operator-index, namespace: openshift-marketplace}
spec: {image: 'localhost:55000/redhat/redhat-operator-index:v4.14', sourceType: grpc}
`,
  ),
  ...parseClusterResourceFile(
    'signature-configmap.yaml',
    `apiVersion: v1
kind: ConfigMap
metadata:
  name: mirrored-release-signatures
  namespace: openshift-config-managed
  labels: {release.openshift.io/verification-signatures: ''}
binaryData: {sha256-abc-1: AAAA}
`,
  ),
  ...parseClusterResourceFile(
    'cc-redhat-operator-index.yaml',
    `apiVersion: olm.operatorframework.io/v1
kind: ClusterCatalog
metadata: {name: cc-redhat-operator-index}
spec: {}
`,
  ),
]);

const archive = {
  repositories: () => [
    'openshift/release',
    'openshift/release-images',
    'redhat/redhat-operator-index',
  ],
};
const { settings } = planBootSequence({ mode: 'every-node', topology: 'sno' });

test('mirrorsMoveToOurRegistry: IDMS, ITMS and CatalogSource point at <name>:<port>', () => {
  const report = renderClusterManifests(settings, archive, resources);
  const byKind = new Map(report.manifests.map((m) => [m.kind, parse(m.yaml, { version: '1.1' })]));
  assert.deepEqual(byKind.get('ImageDigestMirrorSet').spec.imageDigestMirrors, [
    {
      mirrors: ['registry.hostmirror.internal:5000/openshift/release'],
      source: 'quay.io/openshift-release-dev/ocp-v4.0-art-dev',
    },
  ]);
  assert.deepEqual(byKind.get('ImageTagMirrorSet').spec.imageTagMirrors[0].mirrors, [
    'registry.hostmirror.internal:5000/openshift/release-images',
  ]);
  assert.equal(
    byKind.get('CatalogSource').spec.image,
    'registry.hostmirror.internal:5000/redhat/redhat-operator-index:v4.14',
  );
  assert.deepEqual(byKind.get('ConfigMap').binaryData, { 'sha256-abc-1': 'AAAA' });
  assert.deepEqual(
    report.manifests.map((m) => m.fileName),
    [
      '99-hostmirror-catalogsource-cs-redhat-operator-index.yaml',
      '99-hostmirror-configmap-mirrored-release-signatures.yaml',
      '99-hostmirror-imagedigestmirrorset-idms-release-0.yaml',
      '99-hostmirror-imagetagmirrorset-itms-release-0.yaml',
    ],
  );
});

test('skippedAreReported: kinds outside the mirror configuration', () => {
  const report = renderClusterManifests(settings, archive, resources);
  assert.deepEqual(
    report.skipped.map((s) => `${s.kind}/${s.name}`),
    ['ClusterCatalog/cc-redhat-operator-index'],
  );
});

test('trustedCa: a ConfigMap in openshift-config keyed registry-host..port holds the CA, and image.config cluster names it', () => {
  const settings = planBootSequence({
    mode: 'node0',
    topology: 'compact',
    rendezvousIP: '192.0.2.10',
    registryPort: 5443,
  }).settings;
  const pem = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
  const [configMap, image] = renderTrustedCaManifests(settings, pem);
  const cm = parse(configMap?.yaml ?? '');
  assert.deepEqual(cm.metadata, { name: TRUSTED_CA_CONFIGMAP, namespace: 'openshift-config' });
  assert.deepEqual(cm.data, { 'registry.hostmirror.internal..5443': pem });
  assert.equal(configMap?.fileName, '99-hostmirror-configmap-hostmirror-registry-ca.yaml');
  const img = parse(image?.yaml ?? '');
  assert.equal(img.apiVersion, 'config.openshift.io/v1');
  assert.equal(img.kind, 'Image');
  assert.equal(img.metadata.name, 'cluster');
  assert.deepEqual(img.spec, { additionalTrustedCA: { name: TRUSTED_CA_CONFIGMAP } });
});

test('controlPlaneMirror: with the cluster domain, every mirror set lists our registry name, then api-int; CatalogSources name api-int; the trusted CA is keyed for both', () => {
  const { settings: ha } = planBootSequence({
    mode: 'node0',
    topology: 'ha',
    rendezvousIP: '192.0.2.10',
    clusterDomain: 'ocp.example.com',
  });
  const report = renderClusterManifests(ha, archive, resources);
  const byKind = new Map(report.manifests.map((m) => [m.kind, parse(m.yaml, { version: '1.1' })]));
  assert.deepEqual(byKind.get('ImageDigestMirrorSet').spec.imageDigestMirrors[0].mirrors, [
    'registry.hostmirror.internal:5000/openshift/release',
    'api-int.ocp.example.com:5000/openshift/release',
  ]);
  assert.deepEqual(byKind.get('ImageTagMirrorSet').spec.imageTagMirrors[0].mirrors, [
    'registry.hostmirror.internal:5000/openshift/release-images',
    'api-int.ocp.example.com:5000/openshift/release-images',
  ]);
  assert.equal(
    byKind.get('CatalogSource').spec.image,
    'api-int.ocp.example.com:5000/redhat/redhat-operator-index:v4.14',
  );
  const pem = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
  const [configMap] = renderTrustedCaManifests(ha, pem);
  assert.deepEqual(parse(configMap?.yaml ?? '').data, {
    'registry.hostmirror.internal..5000': pem,
    'api-int.ocp.example.com..5000': pem,
  });
});
