import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeImage, releaseIdms, writeChunk, writeMirrorToDiskArchive } from '@hostmirror/fixtures';
import { loadRegistriesConf } from '@hostmirror/host-config';
import { archiveMirrorResources, MirrorArchive } from '@hostmirror/oc-mirror-archive';
import { archiveHosts, generatedConf, loadCheckedConf, loadConf } from './conf.ts';
import { MirrorCheckError } from './errors.ts';

let work = '';
const release = makeImage({
  repository: 'openshift/release-images',
  tag: '4.14.3-x86_64',
  layers: ['r'],
});
const component = makeImage({
  repository: 'openshift/release',
  tag: '4.14.3-x86_64-cli',
  layers: ['c'],
});

async function archiveWith(clusterResources: Record<string, string>) {
  const chunk = join(await mkdtemp(join(work, 'chunk-')), 'mirror_000001.tar');
  await writeChunk(chunk, { images: [release, component], clusterResources });
  return MirrorArchive.open([chunk]);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hm-preflight-conf-'));
});

after(async () => {
  if (work !== '') await rm(work, { recursive: true, force: true });
});

describe('generatedConf', () => {
  it("moves the archive's IDMS mirrors to the host", async () => {
    const archive = await archiveWith({ 'idms.yaml': releaseIdms('dest.example:5000') });
    const conf = generatedConf(await archive.readClusterResources(), archive, 'mirror.local:5000');
    const release = conf.registries.find(
      ({ prefix }) => prefix === 'quay.io/openshift-release-dev/ocp-release',
    );
    assert.deepEqual(
      release?.mirrors.map(({ location }) => location),
      ['mirror.local:5000/openshift/release-images'],
    );
    assert.match(conf.origins.join(), /hostmirror generates for mirror\.local:5000/);
  });

  it('an archive without IDMS (mirror-to-disk) gets the rules its records give, not a guess', async () => {
    const archive = await MirrorArchive.open([
      await writeMirrorToDiskArchive(join(work, 'mirror-to-disk')),
    ]);
    const { resources } = await archiveMirrorResources(archive, 'mirror.local:5000');
    const conf = generatedConf(resources, archive, 'mirror.local:5000');
    assert.deepEqual(
      conf.registries.map(({ prefix, mirrors }) => [prefix, mirrors.map((m) => m.location)]),
      [
        [
          'quay.io/openshift-release-dev/ocp-release',
          ['mirror.local:5000/openshift/release-images'],
        ],
        ['quay.io/openshift-release-dev/ocp-v4.0-art-dev', ['mirror.local:5000/openshift/release']],
        ['registry.example.com/foo', ['mirror.local:5000/foo']],
        ['registry.redhat.io/ubi9', ['mirror.local:5000/ubi9']],
      ],
    );
  });

  it('an archive without IDMS or records gets no rule: nothing is guessed', async () => {
    const archive = await archiveWith({});
    const made = await archiveMirrorResources(archive, 'mirror.local:5000');
    assert.deepEqual(generatedConf(made.resources, archive, 'mirror.local:5000').registries, []);
    assert.ok(
      made.warnings.some((warning) =>
        warning.includes('openshift/release-images gets no mirror rule'),
      ),
      made.warnings.join('\n'),
    );
  });
});

describe('archiveHosts', () => {
  const conf = loadRegistriesConf(
    [
      '[[registry]]',
      'location = "quay.io/a"',
      '[[registry.mirror]]',
      'location = "m1.local:5000/a"',
      '[[registry]]',
      'prefix = "quay.io/b"',
      'location = "m2.local:5000/b"',
      '',
    ].join('\n'),
    { origin: 'test.conf' },
  );

  it('is the given host, or every mirror host and rewriting location of the registries.conf', () => {
    assert.deepEqual(archiveHosts(conf, 'given:5000'), ['given:5000']);
    assert.deepEqual(archiveHosts(conf, undefined), ['m1.local:5000', 'm2.local:5000']);
  });
});

describe('loadCheckedConf and loadConf', () => {
  it("reads the caller's text with containers/image's rules and relabels a refusal", () => {
    const conf = loadCheckedConf('[[registry]]\nlocation = "quay.io/a"\n', 'mine.conf');
    assert.deepEqual(conf.origins, ['mine.conf']);
    assert.throws(
      () => loadCheckedConf('[[registry]]\nlocation = "http://quay.io/a"\n', 'bad.conf'),
      (error: unknown) =>
        error instanceof MirrorCheckError && error.code === 'REGISTRIES_CONF_INVALID',
    );
  });

  it('generates the conf only when none is given', async () => {
    const archive = await archiveWith({});
    const resources = await archive.readClusterResources();
    assert.equal(loadConf({ archive }, resources).generated, true);
    const text = '[[registry]]\nlocation = "quay.io/a"\n';
    const given = loadConf({ archive, registriesConf: text, registriesConfOrigin: 'x' }, resources);
    assert.deepEqual([given.generated, given.conf.origins], [false, ['x']]);
  });
});
