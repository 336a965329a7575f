import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import {
  CA_ANCHOR_FILE,
  CERTS_D,
  HOSTS_TAG,
  REGISTRIES_CONF_DROP_IN,
  TEARDOWN_DIR,
  TEARDOWN_SCRIPT,
} from './constants.ts';
import { renderMachineConfigs } from './machine-config.ts';
import { renderTrustedCaManifests } from './manifests.ts';
import { planBootSequence } from './plan.ts';
import { scriptText } from './scripts.ts';
import { renderTeardown } from './teardown.ts';
import type { BootAssets } from './types.ts';

const pem = (kind: string) => `-----BEGIN ${kind}-----\nAAAA\n-----END ${kind}-----\n`;
const assets: BootAssets = {
  archives: [{ name: 'mirror_000001.tar', sha256: 'a'.repeat(64) }],
  registriesConf: '',
  registryConfig: 'version: 0.1\n',
  caCertificate: pem('CERTIFICATE'),
  tls: { certificate: pem('CERTIFICATE'), key: pem('PRIVATE KEY') },
  sync: {
    inventory: `openshift/release-images sha256:${'b'.repeat(64)}\n`,
    registryProgramSha256: 'c'.repeat(64),
    treeBytes: 52_428_800,
  },
};
const plan = planBootSequence({
  mode: 'node0',
  topology: 'ha',
  rendezvousIP: '192.0.2.10',
  clusterDomain: 'ocp.example.com',
});
const idms = `apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata: {name: idms-release-0}
spec: {imageDigestMirrors: [{source: quay.io/a/b, mirrors: [registry.hostmirror.internal:5000/a/b]}]}
`;
const signatures = `apiVersion: v1
kind: ConfigMap
metadata: {name: sig, namespace: openshift-config-managed, labels: {release.openshift.io/verification-signatures: ''}}
`;
const sources = [
  ...renderMachineConfigs(plan, assets).map((config) => ({
    fileName: config.fileName,
    text: config.yaml,
  })),
  ...renderTrustedCaManifests(plan.settings, assets.caCertificate).map((manifest) => ({
    fileName: manifest.fileName,
    text: manifest.yaml,
  })),
  { fileName: '99-hostmirror-imagedigestmirrorset-idms-release-0.yaml', text: idms },
  { fileName: '99-hostmirror-configmap-sig.yaml', text: signatures },
  { fileName: 'cluster-network-03-config.yml', text: 'kind: Network\nmetadata: {name: cluster}\n' },
];

describe('teardown', () => {
  test('whatGoes: our MachineConfigs are replaced per pool, our mirror sets and CA ConfigMap deleted, release signatures and foreign manifests kept', () => {
    const teardown = renderTeardown(sources);
    assert.deepEqual(
      teardown.machineConfigs.map((config) => config.name),
      ['99-master-hostmirror-teardown', '99-worker-hostmirror-teardown'],
    );
    assert.deepEqual(
      teardown.deleteMachineConfigs.map((object) => object.name),
      ['99-master-hostmirror', '99-worker-hostmirror'],
    );
    assert.deepEqual(
      teardown.deleteObjects.map(
        (object) => `${object.kind}/${object.namespace ?? ''}/${object.name}`,
      ),
      ['ConfigMap/openshift-config/hostmirror-registry-ca', 'ImageDigestMirrorSet//idms-release-0'],
    );
    assert.equal(teardown.unsetTrustedCa, true);
    // The steps in order: our objects, then the teardown MachineConfigs before ours go.
    const at = (text: string) => teardown.script.indexOf(text);
    assert.ok(at('oc delete --ignore-not-found imagedigestmirrorset') > 0, teardown.script);
    assert.ok(at('"op":"remove","path":"/spec/additionalTrustedCA"') > 0, teardown.script);
    assert.ok(
      at('oc apply -f "$here/99-worker-hostmirror-teardown.yaml"') <
        at('oc delete --ignore-not-found machineconfig 99-master-hostmirror'),
      teardown.script,
    );
    const document = parse(teardown.machineConfigs[0]?.yaml ?? '', { version: '1.1' });
    assert.equal(document.metadata.labels['machineconfiguration.openshift.io/role'], 'master');
    assert.deepEqual(
      document.spec.config.systemd.units.map((unit: { name: string }) => unit.name),
      ['hostmirror-teardown.service'],
    );
  });

  test('paths: every file and unit of our MachineConfig, everything the scripts write, folders last and deepest first', () => {
    const paths = renderTeardown(sources).paths.master ?? [];
    for (const path of [
      '/etc/hostmirror/hostmirror.env',
      '/usr/local/bin/hostmirror-volume.sh',
      '/etc/systemd/system/hostmirror-registry.service',
      '/etc/systemd/system/crio.service.d/10-hostmirror.conf',
      '/usr/local/bin/hostmirror-registry',
      '/etc/hostmirror/tls/tls.key',
      '/etc/containers/registries.conf.d/99-hostmirror.conf',
      '/etc/pki/ca-trust/source/anchors/hostmirror-ca.crt',
      '/etc/containers/certs.d/registry.hostmirror.internal:5000/ca.crt',
      '/etc/containers/certs.d/api-int.ocp.example.com:5000/ca.crt',
      '/var/lib/hostmirror/',
      '/run/hostmirror/',
      '/var/mnt/hostmirror/',
    ])
      assert.ok(paths.includes(path), `${path} is not removed`);
    const firstFolder = paths.findIndex((path) => path.endsWith('/'));
    assert.ok(
      paths.slice(firstFolder).every((path) => path.endsWith('/')),
      'folders last',
    );
    assert.ok(
      paths.indexOf('/etc/hostmirror/tls/') < paths.indexOf('/etc/hostmirror/'),
      'a folder before its parent',
    );
    assert.ok(!paths.some((path) => path.includes('hostmirror-teardown')), 'never its own files');
  });

  test('controlPlaneCopy: the master teardown stops the sync step first and removes its unit, script, the program it fetched, the inventory and the copied storage; the worker has none of it', () => {
    const teardown = renderTeardown(sources);
    const master = teardown.paths.master ?? [];
    for (const path of [
      '/etc/systemd/system/hostmirror-sync.service',
      '/etc/systemd/system/multi-user.target.wants/hostmirror-sync.service',
      '/usr/local/bin/hostmirror-sync.sh',
      '/usr/local/bin/hostmirror-registry',
      '/etc/hostmirror/inventory',
      '/etc/hostmirror/tls/tls.key',
      '/var/lib/hostmirror/',
    ])
      assert.ok(master.includes(path), `${path} is not removed`);
    assert.ok(!(teardown.paths.worker ?? []).some((path) => path.includes('hostmirror-sync')));
    const env = (pool: string) =>
      teardown.machineConfigs
        .find((config) => config.pool === pool)
        ?.files.files.find((file) => file.path === '/etc/hostmirror-teardown/teardown.env')
        ?.contents ?? '';
    assert.match(env('master'), /^HOSTMIRROR_TEARDOWN_UNITS=.*hostmirror-sync\.service/m);
    assert.doesNotMatch(env('worker'), /hostmirror-sync/);
    // The script stops the listed units last first: the sync step (which starts the registry
    // once its copy is done) before the registry.
    const units = /^HOSTMIRROR_TEARDOWN_UNITS=(.*)$/m.exec(env('master'))?.[1]?.split(' ') ?? [];
    assert.ok(
      units.indexOf('hostmirror-sync.service') > units.indexOf('hostmirror-registry.service'),
    );
    assert.match(
      scriptText('hostmirror-teardown.sh'),
      /for \(\(index = \$\{#units\[@\]\} - 1; index >= 0; index--\)\)/,
    );
  });

  test('refusals: no MachineConfig of ours, or one that is not', () => {
    assert.throws(() => renderTeardown(sources.slice(2)), { code: 'BOOT_BAD_TEARDOWN_INPUT' });
    assert.throws(
      () =>
        renderTeardown([
          {
            fileName: '99-master-hostmirror.yaml',
            text: 'kind: MachineConfig\nmetadata: {name: 99-master-hostmirror, labels: {machineconfiguration.openshift.io/role: master}}\nspec: {config: {ignition: {version: 3.2.0}}}\n',
          },
        ]),
      { code: 'BOOT_BAD_TEARDOWN_INPUT' },
    );
    assert.throws(() => renderTeardown([{ fileName: 'x.yaml', text: 'a: [' }]), {
      code: 'BOOT_BAD_TEARDOWN_INPUT',
    });
  });

  test('manyDocuments: a manifest file of several YAML documents is read whole; hostile YAML is refused typed', () => {
    const ours = sources[0] as { fileName: string; text: string };
    const joined = renderTeardown([
      // A mirror set of ours (idms-hostmirror) in the MachineConfig's own file, after `---`.
      {
        fileName: ours.fileName,
        text: `${ours.text}---\n${idms.replace('idms-release-0', 'idms-hostmirror')}`,
      },
      ...sources.slice(1),
    ]);
    assert.ok(
      joined.deleteObjects.some((object) => object.name === 'idms-hostmirror'),
      JSON.stringify(joined.deleteObjects),
    );
    assert.throws(
      () => renderTeardown([{ fileName: 'deep.yaml', text: `${'['.repeat(20_000)}` }]),
      { code: 'BOOT_BAD_TEARDOWN_INPUT', path: 'deep.yaml' },
    );
  });

  test('unreadableSettings: an env file whose contents are not a readable data URL is refused at its place', () => {
    const ours = sources[0] as { fileName: string; text: string };
    const document = parse(ours.text) as {
      spec: { config: { storage: { files: { path: string; contents?: { source?: string } }[] } } };
    };
    const files = document.spec.config.storage.files;
    const index = files.findIndex((file) => file.path === '/etc/hostmirror/hostmirror.env');
    assert.ok(index >= 0, files.map((file) => file.path).join(', '));
    files[index] = {
      path: '/etc/hostmirror/hostmirror.env',
      contents: { source: 'https://example.com/env' },
    };
    assert.throws(
      () => renderTeardown([{ fileName: ours.fileName, text: JSON.stringify(document) }]),
      {
        code: 'BOOT_BAD_TEARDOWN_INPUT',
        path: ours.fileName,
        jsonPath: `$.spec.config.storage.files[${index}].contents.source`,
      },
    );
  });

  test('editedConfig: a MachineConfig whose Ignition lists are not lists is refused at that place, not a TypeError', () => {
    const ours = sources[0] as { fileName: string; text: string };
    const document = parse(ours.text) as { spec: { config: { storage: { files: unknown } } } };
    document.spec.config.storage.files = 'oops';
    assert.throws(
      () => renderTeardown([{ fileName: ours.fileName, text: JSON.stringify(document) }]),
      (error: { code?: string; path?: string; jsonPath?: string; message?: string }) => {
        assert.equal(error.code, 'BOOT_BAD_TEARDOWN_INPUT', String(error.message));
        assert.equal(error.path, ours.fileName);
        assert.equal(error.jsonPath, '$.spec.config.storage.files');
        assert.match(String(error.message), /cannot unmarshal a string into a value of type array/);
        return true;
      },
    );
  });
});

test('oneSetOfPaths: the scripts write and the teardown removes the paths constants.ts names', () => {
  const configure = scriptText('hostmirror-configure.sh');
  assert.ok(configure.includes(`readonly DROP_IN=${REGISTRIES_CONF_DROP_IN}\n`));
  assert.ok(configure.includes(`readonly CERTS_D=${CERTS_D}\n`));
  assert.ok(configure.includes(`"$ANCHORS/${CA_ANCHOR_FILE.split('/').pop()}"`));
  assert.ok(CA_ANCHOR_FILE.startsWith('/etc/pki/ca-trust/source/anchors/'));
  assert.ok(scriptText('hostmirror-lib.sh').includes(`HM_HOSTS_TAG='${HOSTS_TAG}'`));
  const teardown = scriptText(TEARDOWN_SCRIPT);
  assert.ok(teardown.includes(`readonly ANCHOR=${CA_ANCHOR_FILE}\n`));
  assert.ok(teardown.includes(`readonly HOSTS_TAG='${HOSTS_TAG}'`));
  assert.ok(teardown.includes(`readonly PATHS_FILE=${TEARDOWN_DIR}/paths\n`));
});
