import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeImage, writeChunk } from '@hostmirror/fixtures';
import { MirrorArchive, parseImageReference } from '@hostmirror/oc-mirror-archive';
import {
  type ArchiveLookup,
  buildLookup,
  holdersOf,
  lookUp,
  mappingFix,
} from './archive-lookup.ts';

let work = '';
let lookup: ArchiveLookup;
const app = makeImage({ repository: 'team/app', tag: 'v1', layers: ['app layer'] });
const copy = makeImage({ repository: 'mirror/team/app', tag: 'v1', layers: ['app layer'] });

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hm-preflight-lookup-'));
  const chunk = join(work, 'mirror_000001.tar');
  // The same image under two repositories: `holders` names both.
  await writeChunk(chunk, { images: [app, { ...copy, manifest: app.manifest }] });
  lookup = buildLookup(await MirrorArchive.open([chunk]), ['mirror.local:5000']);
});

after(async () => {
  if (work !== '') await rm(work, { recursive: true, force: true });
});

const ref = (text: string) => parseImageReference(text);

describe('buildLookup', () => {
  it('indexes every repository: manifests, linked blobs, tags, holders of each manifest', () => {
    assert.deepEqual([...lookup.manifests.keys()], ['mirror/team/app', 'team/app']);
    assert.deepEqual([...(lookup.tags.get('team/app') ?? [])], [['v1', app.manifest.digest]]);
    assert.ok(lookup.layers.get('team/app')?.has(app.layers[0]?.digest ?? ''));
    assert.deepEqual(lookup.holders.get(app.manifest.digest), ['mirror/team/app', 'team/app']);
  });
});

describe('lookUp', () => {
  it('finds a manifest by digest and by tag, and says which is missing', () => {
    const byDigest = lookUp(lookup, ref(`mirror.local:5000/team/app@${app.manifest.digest}`));
    assert.deepEqual(byDigest, {
      repository: 'team/app',
      digest: app.manifest.digest,
      outcome: 'found',
    });
    assert.equal(lookUp(lookup, ref('mirror.local:5000/team/app:v1')).digest, app.manifest.digest);
    assert.equal(lookUp(lookup, ref('mirror.local:5000/team/app:v2')).outcome, 'manifest-unknown');
    assert.equal(
      lookUp(lookup, ref('mirror.local:5000/other/app:v1')).outcome,
      'repository-missing',
    );
    const unknown = `mirror.local:5000/team/app@sha256:${'0'.repeat(64)}`;
    assert.equal(lookUp(lookup, ref(unknown)).outcome, 'manifest-unknown');
  });
});

describe('holdersOf and mappingFix', () => {
  it('names the repositories that hold the image and the mapping that would serve it', () => {
    const byDigest = ref(`quay.io/team/app@${app.manifest.digest}`);
    assert.deepEqual(holdersOf(lookup, byDigest), ['mirror/team/app', 'team/app']);
    assert.deepEqual(holdersOf(lookup, ref('quay.io/team/app:v1')), [
      'mirror/team/app',
      'team/app',
    ]);
    assert.match(
      mappingFix(lookup, byDigest, 'map'),
      /^the archive holds it in mirror\/team\/app, team\/app: map quay\.io\/team\/app → mirror\.local:5000\/mirror\/team\/app \(an ImageDigestMirrorSet mirror/,
    );
    assert.match(mappingFix(lookup, ref('quay.io/team/app:v1'), 'map'), /ImageTagMirrorSet/);
    assert.match(
      mappingFix(lookup, ref('quay.io/team/gone:v1'), 'map'),
      /holds tag v1 of quay\.io\/team\/gone in no repository: mirror the image with oc-mirror/,
    );
  });
});
