import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { blobOf, type MadeImage, makeImage, writeChunk } from '@hostmirror/fixtures';
import { MirrorArchive } from '@hostmirror/oc-mirror-archive';
import { buildLookup } from './archive-lookup.ts';
import { readRequiredBlob, verifyContent } from './content.ts';
import { MirrorCheckError } from './errors.ts';

let work = '';
const whole = makeImage({ repository: 'team/whole', tag: 'v1', layers: ['a', 'b'] });
const partial = makeImage({ repository: 'team/partial', tag: 'v1', layers: ['c', 'd'] });
const amd64 = makeImage({ repository: 'team/multi', tag: 'amd64', layers: ['e'] });
/** A manifest list naming the amd64 image and an arm64 image the archive does not hold. */
const list: MadeImage = {
  ...amd64,
  tag: 'v1',
  manifest: blobOf(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: amd64.manifest.digest,
          size: amd64.manifest.bytes.length,
          platform: { architecture: 'amd64', os: 'linux' },
        },
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: `sha256:${'a'.repeat(64)}`,
          size: 10,
          platform: { architecture: 'arm64', os: 'linux' },
        },
      ],
    }),
  ),
};

async function lookupOf(images: MadeImage[], omit: string[] = []) {
  const chunk = join(await mkdtemp(join(work, 'chunk-')), 'mirror_000001.tar');
  await writeChunk(chunk, { images, omit: new Set(omit) });
  return buildLookup(await MirrorArchive.open([chunk]), ['mirror.local:5000']);
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hm-preflight-content-'));
});

after(async () => {
  if (work !== '') await rm(work, { recursive: true, force: true });
});

describe('verifyContent', () => {
  it('passes an image whose config and layers are in the archive and linked', async () => {
    const lookup = await lookupOf([whole]);
    assert.equal(
      await verifyContent(lookup, 'team/whole', whole.manifest.digest, ['amd64']),
      undefined,
    );
  });

  it('names a blob that is in no chunk (a differential archive given alone)', async () => {
    const missing = partial.layers[1]?.digest ?? '';
    const lookup = await lookupOf([partial], [missing]);
    const problem = await verifyContent(lookup, 'team/partial', partial.manifest.digest, ['amd64']);
    assert.equal(problem?.code, 'BLOB_MISSING');
    assert.match(
      problem?.detail ?? '',
      new RegExp(`blob ${missing} of team/partial@.* is in no archive chunk`),
    );
    assert.match(problem?.fix ?? '', /give every archive chunk/);
  });

  it('names a blob that is in the archive but not linked in the serving repository', async () => {
    // The blob is written (for team/whole) but team/other links nothing of it.
    const other: MadeImage = {
      ...whole,
      repository: 'team/other',
      layers: [],
      config: whole.config,
    };
    const lookup = await lookupOf([whole, other]);
    const problem = await verifyContent(lookup, 'team/other', whole.manifest.digest, ['amd64']);
    assert.equal(problem?.code, 'BLOB_MISSING');
    assert.match(
      problem?.detail ?? '',
      /is not linked in team\/other \(the registry answers "blob unknown"\)/,
    );
  });

  it('checks the platforms of a manifest list: present ones recursively, missing ones named', async () => {
    const lookup = await lookupOf([amd64, list]);
    assert.equal(
      await verifyContent(lookup, 'team/multi', list.manifest.digest, ['amd64']),
      undefined,
    );
    const arm = await verifyContent(lookup, 'team/multi', list.manifest.digest, ['arm64']);
    assert.equal(arm?.code, 'MANIFEST_MISSING');
    const ppc = await verifyContent(lookup, 'team/multi', list.manifest.digest, ['ppc64le']);
    assert.equal(ppc?.code, 'PLATFORM_MISSING');
    assert.match(ppc?.fix ?? '', /architectures: \[ppc64le\]/);
  });

  it('remembers each answer (one read per repository, digest and architectures)', async () => {
    const lookup = await lookupOf([whole]);
    await verifyContent(lookup, 'team/whole', whole.manifest.digest, ['amd64']);
    assert.ok(lookup.verified.has(`team/whole@${whole.manifest.digest} amd64`));
  });
});

describe('readRequiredBlob', () => {
  it('reads a blob, or refuses one in no chunk with BLOB_MISSING naming it', async () => {
    const lookup = await lookupOf([whole]);
    assert.deepEqual(
      await readRequiredBlob(lookup, whole.config.digest, 'config'),
      whole.config.bytes,
    );
    const gone = `sha256:${'b'.repeat(64)}`;
    await assert.rejects(
      readRequiredBlob(lookup, gone, 'release config'),
      (error: unknown) =>
        error instanceof MirrorCheckError &&
        error.code === 'BLOB_MISSING' &&
        error.message.includes(`release config (${gone}) is in no archive chunk`),
    );
  });
});
