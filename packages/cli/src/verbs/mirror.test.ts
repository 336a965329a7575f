import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  m2dUbi,
  makeImage,
  releaseIdms,
  TarBuilder,
  writeChunk,
  writeMirrorToDiskArchive,
} from '@hostmirror/fixtures';
import { runCliCaptured } from '../capture.ts';

const work = mkdtempSync(join(tmpdir(), 'hostmirror-cli-mirror-'));
after(() => rmSync(work, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return runCliCaptured(argv, { cwd: work });
}

const release = makeImage({
  repository: 'openshift/release-images',
  tag: '4.14.3-x86_64',
  layers: ['r'],
});
const component = makeImage({
  repository: 'openshift/release',
  tag: '4.14.3-x86_64-cli',
  layers: ['c', 'shared'],
});
const newer = makeImage({
  repository: 'openshift/release',
  tag: '4.14.4-x86_64-cli',
  layers: ['c2', 'shared'],
});
const base = join(work, 'base', 'mirror_000001.tar');
const differential = join(work, 'diff', 'mirror_000001.tar');

before(async () => {
  mkdirSync(join(work, 'base'));
  mkdirSync(join(work, 'diff'));
  await writeChunk(base, {
    images: [release, component],
    clusterResources: { 'idms-oc-mirror.yaml': releaseIdms('dest.example:8443') },
  });
  const old = new Set(
    [release, component].flatMap((image) =>
      [image.manifest, image.config, ...image.layers].map((blob) => blob.digest),
    ),
  );
  await writeChunk(differential, { images: [release, component, newer], omit: old });
});

describe('hostmirror mirror', () => {
  it('imageSetConfigYamlAndJson', async () => {
    const yaml = await cli(
      'mirror',
      'image-set-config',
      '--release',
      '4.14.3',
      '--operator',
      'registry.redhat.io/redhat/redhat-operator-index:v4.14:lvms-operator=stable-4.14',
    );
    assert.equal(yaml.code, 0, yaml.stderr);
    assert.match(yaml.stdout, /apiVersion: mirror\.openshift\.io\/v2alpha1/);
    assert.match(
      yaml.stdout,
      /catalog: registry\.redhat\.io\/redhat\/redhat-operator-index:v4\.14/,
    );
    const json = await cli(
      'mirror',
      'image-set-config',
      '--release',
      '4.14.3',
      '--api',
      'v1alpha2',
      '--json',
    );
    assert.equal(JSON.parse(json.stdout).document.storageConfig.local.path, './metadata');
    const output = join(work, 'isc.yaml');
    assert.equal(
      (await cli('mirror', 'image-set-config', '--release', '4.14.3', '-o', output)).code,
      0,
    );
    assert.equal(
      (await cli('mirror', 'image-set-config', '--release', '4.14.3', '-o', output)).code,
      1,
      'existing output refused without -f',
    );
    assert.equal(
      (await cli('mirror', 'image-set-config', '--release', '4.14.3', '-o', output, '-f')).code,
      0,
    );
  });

  it('imageSetConfigBootstrapOnly', async () => {
    const info = join(work, 'release.json');
    writeFileSync(
      info,
      JSON.stringify({
        references: {
          spec: {
            tags: [
              { name: 'etcd', from: { name: 'q/e@sha256:1' } },
              { name: 'console', from: { name: 'q/c@sha256:2' } },
            ],
          },
        },
      }),
    );
    const result = await cli(
      'mirror',
      'image-set-config',
      '--release',
      '4.14.3',
      '--bootstrap-only',
      '--release-info',
      info,
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /blockedImages:\n\s+- name: q\/c@sha256:2\n/);
    assert.match(result.stderr, /bootstrap-only 9\.0 GB \(1\)/);
    const inArchive = join(work, 'release-in-archive.json');
    const art = 'quay.io/openshift-release-dev/ocp-v4.0-art-dev';
    writeFileSync(
      inArchive,
      JSON.stringify({
        references: {
          spec: {
            tags: [
              { name: 'etcd', from: { name: `${art}@${component.manifest.digest}` } },
              { name: 'console', from: { name: `${art}@${release.manifest.digest}` } },
              { name: 'gone', from: { name: `${art}@sha256:${'0'.repeat(64)}` } },
            ],
          },
        },
      }),
    );
    const measured = await cli(
      'mirror',
      'image-set-config',
      '--release',
      '4.14.3',
      '--bootstrap-only',
      '--release-info',
      inArchive,
      '--archive',
      base,
      '--json',
    );
    assert.equal(measured.code, 0, measured.stderr);
    const { estimate } = JSON.parse(measured.stdout);
    assert.deepEqual(estimate.missing, ['gone']);
    const bytes = (image: typeof release) =>
      [image.manifest, image.config, ...image.layers].reduce(
        (sum, blob) => sum + blob.bytes.length,
        0,
      );
    assert.equal(estimate.bootstrapOnly.bytes, bytes(component));
    assert.equal(estimate.full.bytes, bytes(component) + bytes(release));
    assert.equal(
      (await cli('mirror', 'image-set-config', '--release', '4.14.3', '--archive', base)).code,
      2,
    );
    assert.equal(
      (await cli('mirror', 'image-set-config', '--release', '4.14.3', '--bootstrap-only')).code,
      1,
    );
    assert.equal(
      (await cli('mirror', 'image-set-config', '--release', '4.14.3', '--api', 'v3')).code,
      2,
    );
  });

  it('inspectCompleteAndIncomplete', async () => {
    const complete = await cli('mirror', 'inspect', base, '--verify-blobs');
    assert.equal(complete.code, 0, complete.stderr);
    assert.match(complete.stdout, /kind: oc-mirror-v2/);
    assert.match(complete.stdout, new RegExp(`4\\.14\\.3-x86_64  ${release.manifest.digest}`));
    assert.match(complete.stdout, /complete: yes/);
    assert.match(complete.stdout, /verified: 7 blobs/);
    const alone = await cli('mirror', 'inspect', differential, '--json');
    assert.equal(alone.code, 1);
    const report = JSON.parse(alone.stdout);
    const shared = newer.layers[1]?.digest;
    assert.deepEqual(
      report.completeness.problems.find((problem: { digest: string }) => problem.digest === shared)
        .neededBy,
      [{ repository: 'openshift/release', manifest: newer.manifest.digest, role: 'layer' }],
    );
    assert.equal((await cli('mirror', 'inspect', base, differential)).code, 0);
  });

  it('inspectRefusesV1AndDamage', async () => {
    const v1 = join(work, 'mirror_seq1_000000.tar');
    const tar = await TarBuilder.create(v1);
    await tar.file('publish/.metadata.json', '{}');
    await tar.end();
    const result = await cli('mirror', 'inspect', v1);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /oc-mirror --from/);
    const truncated = join(work, 'truncated.tar');
    writeFileSync(truncated, readFileSync(base).subarray(0, 3000));
    assert.equal((await cli('mirror', 'inspect', truncated)).code, 1);
    assert.equal((await cli('mirror', 'inspect')).code, 2);
  });

  it('registriesConfFromArchiveAndPairs', async () => {
    const result = await cli(
      'mirror',
      'registries-conf',
      base,
      '--host',
      'mirror.local:5000',
      '--never-contact-source',
    );
    assert.equal(result.code, 0, result.stderr);
    assert.match(
      result.stdout,
      /location = "mirror\.local:5000\/openshift\/release-images"\npull-from-mirror = "digest-only"/,
    );
    assert.match(result.stdout, /blocked = true/);
    const ca = join(work, 'ca.crt');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
    const output = join(work, '99-hostmirror.conf');
    const withCa = await cli(
      'mirror',
      'registries-conf',
      '--mirror',
      'quay.io/a=m.local:5000/a',
      '--host',
      'm.local:5000',
      '--ca',
      ca,
      '--certs-dir',
      join(work, 'certs.d'),
      '-o',
      output,
      '--json',
    );
    assert.equal(withCa.code, 0, withCa.stderr);
    assert.equal(JSON.parse(withCa.stdout).certsD, join(work, 'certs.d', 'm.local:5000', 'ca.crt'));
    assert.match(readFileSync(output, 'utf8'), /location = "m\.local:5000\/a"/);
    assert.equal(
      (await cli('mirror', 'registries-conf', base, '--host', 'm:1', '--ca', ca, '--insecure'))
        .code,
      2,
    );
    assert.equal((await cli('mirror', 'registries-conf', '--host', 'm:1')).code, 2);
    assert.equal((await cli('mirror', 'registries-conf', base)).code, 2);
  });

  it('registriesConfValidate', async () => {
    const good = join(work, 'good.conf');
    const bad = join(work, 'bad.conf');
    writeFileSync(
      good,
      '[[registry]]\nlocation = "quay.io/a"\n[[registry.mirror]]\nlocation = "m:1/a"\npull-from-mirror = "digest-only"\n',
    );
    writeFileSync(bad, '[[registry]]\nlocation = "quay.io/a"\nmirror-by-digest = true\n');
    assert.equal((await cli('mirror', 'registries-conf', '--validate', good)).code, 0);
    const result = await cli('mirror', 'registries-conf', '--validate', good, bad);
    assert.equal(result.code, 1);
    assert.match(
      result.stdout,
      /bad\.conf: INVALID\n {2}error unknown-key at registry\[0\]\.mirror-by-digest:/,
    );
    const json = JSON.parse(
      (await cli('mirror', 'registries-conf', '--validate', bad, '--json')).stdout,
    );
    assert.deepEqual(
      json.files[0].errors.map((issue: { code: string }) => issue.code),
      ['unknown-key'],
    );
    assert.equal((await cli('mirror', 'registries-conf', '--validate')).code, 2);
  });
});

describe('mirror inspect and registries-conf on a mirror-to-disk archive', () => {
  it('namesTheStaleRepositoryAndRefusesOnlyWhatTheClusterNeeds', async () => {
    const good = await writeMirrorToDiskArchive(join(work, 'm2d-good'));
    const inspected = await cli('mirror', 'inspect', good);
    assert.equal(inspected.code, 0, inspected.stderr);
    assert.match(inspected.stdout, /^stale: The archive repository old\/thing lacks sha256:/m);
    const gone = m2dUbi.layers[0]?.digest ?? '';
    const bad = await writeMirrorToDiskArchive(join(work, 'm2d-bad'), [gone]);
    const refused = await cli('mirror', 'inspect', bad);
    assert.equal(refused.code, 1);
    assert.match(refused.stdout, new RegExp(`refused by build-iso: ubi9/ubi: blob ${gone}`));
  });

  it('registriesConfFromTheArchiveRecords', async () => {
    const archive = await writeMirrorToDiskArchive(join(work, 'm2d-conf'));
    const made = await cli('mirror', 'registries-conf', archive, '--host', 'mirror.local:5000');
    assert.equal(made.code, 0, made.stderr);
    assert.match(made.stdout, /location = "quay\.io\/openshift-release-dev\/ocp-v4\.0-art-dev"/);
    assert.match(made.stdout, /location = "mirror\.local:5000\/ubi9"/);
    assert.match(made.stderr, /old\/thing gets no mirror rule/);
  });
});
