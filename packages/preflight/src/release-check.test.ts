import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type MadeImage, makeImage, writeChunk } from '@hostmirror/fixtures';
import { MirrorArchive } from '@hostmirror/oc-mirror-archive';
import { type ArchiveLookup, buildLookup } from './archive-lookup.ts';
import { generatedConf } from './conf.ts';
import { MirrorCheckError } from './errors.ts';
import { sigstoreTag } from './image-check.ts';
import { locateRelease, parseReleaseDigest } from './release-check.ts';

let work = '';
const host = 'mirror.local:5000';
const release = makeImage({
  repository: 'openshift/release-images',
  tag: '4.14.3-x86_64',
  layers: ['r'],
});
/** cosign's signature of the release: a tag named after its digest. */
const signature: MadeImage = {
  ...makeImage({ repository: 'openshift/release-images', tag: 'x', layers: ['sig'] }),
  tag: sigstoreTag(release.manifest.digest),
};
const other = makeImage({
  repository: 'openshift/release-images',
  tag: '4.14.4-x86_64',
  layers: ['o'],
});

/** oc-mirror's IDMS for the release image alone. */
const releaseImageIdms = `apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata: {name: idms-release-0}
spec:
  imageDigestMirrors:
  - source: quay.io/openshift-release-dev/ocp-release
    mirrors: [dest.example:5000/openshift/release-images]
`;

/** An archive of `images` with that IDMS (or none: `idms: false`). */
async function setUp(images: MadeImage[], idms = true) {
  const chunk = join(await mkdtemp(join(work, 'chunk-')), 'mirror_000001.tar');
  await writeChunk(chunk, {
    images,
    ...(idms ? { clusterResources: { 'idms-oc-mirror.yaml': releaseImageIdms } } : {}),
  });
  const archive = await MirrorArchive.open([chunk]);
  const conf = generatedConf(await archive.readClusterResources(), archive, host);
  return { lookup: buildLookup(archive, [host]) as ArchiveLookup, conf };
}

function refusal(code: string) {
  return (error: unknown) => error instanceof MirrorCheckError && error.code === code;
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hm-preflight-release-'));
});

after(async () => {
  if (work !== '') await rm(work, { recursive: true, force: true });
});

describe('locateRelease', () => {
  it('finds the one release, its cosign .sig tag aside, as the source the cluster pulls', async () => {
    const { lookup, conf } = await setUp([release, signature]);
    assert.deepEqual(locateRelease(lookup, conf, undefined), {
      reference: `quay.io/openshift-release-dev/ocp-release@${release.manifest.digest}`,
      repository: 'openshift/release-images',
      digest: release.manifest.digest,
    });
    assert.equal(locateRelease(lookup, conf, '4.14.3-x86_64').digest, release.manifest.digest);
  });

  it('takes a pull spec as given', async () => {
    const { lookup, conf } = await setUp([release]);
    const spec = `quay.io/openshift-release-dev/ocp-release@${release.manifest.digest}`;
    assert.deepEqual(locateRelease(lookup, conf, spec), {
      reference: spec,
      repository: undefined,
      digest: undefined,
    });
  });

  it('refuses two releases, no release, and an unknown tag, naming what there is', async () => {
    const two = await setUp([release, other]);
    assert.throws(
      () => locateRelease(two.lookup, two.conf, undefined),
      refusal('RELEASE_AMBIGUOUS'),
    );
    assert.throws(
      () => locateRelease(two.lookup, two.conf, '4.15.0-x86_64'),
      (error: unknown) =>
        refusal('RELEASE_NOT_FOUND')(error) &&
        (error as Error).message.includes('4.14.3-x86_64') &&
        (error as Error).message.includes('4.14.4-x86_64'),
    );
    const none = await setUp(
      [makeImage({ repository: 'team/app', tag: 'v1', layers: ['a'] })],
      false,
    );
    assert.throws(
      () => locateRelease(none.lookup, none.conf, undefined),
      refusal('RELEASE_NOT_FOUND'),
    );
  });
});

describe('locateRelease without a source', () => {
  it('refuses a release nothing maps to a source, naming the fix (no guessed source)', async () => {
    const bare = await setUp([release], false);
    assert.throws(
      () => locateRelease(bare.lookup, bare.conf, undefined),
      (error: unknown) =>
        refusal('RELEASE_NOT_FOUND')(error) &&
        (error as Error).message.includes(`--release SOURCE@${release.manifest.digest}`),
    );
  });
});

describe('parseReleaseDigest', () => {
  it('is the located digest, else the reference digest, else the served one', () => {
    const check = { reference: `quay.io/x/y@sha256:${'c'.repeat(64)}`, digest: undefined };
    const located = { reference: '', repository: 'r', digest: `sha256:${'d'.repeat(64)}` };
    const unlocated = { reference: '', repository: undefined, digest: undefined };
    const image = check as unknown as Parameters<typeof parseReleaseDigest>[0];
    assert.equal(parseReleaseDigest(image, located), located.digest);
    assert.equal(parseReleaseDigest(image, unlocated), `sha256:${'c'.repeat(64)}`);
  });
});
