import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeImage, writeChunk } from '@hostmirror/fixtures';
import { MirrorArchive } from '@hostmirror/oc-mirror-archive';
import { type ArchiveLookup, buildLookup } from './archive-lookup.ts';
import { catalogPullSpec } from './catalog-check.ts';

let work = '';
let lookup: ArchiveLookup;
const index = makeImage({
  repository: 'redhat/redhat-operator-index',
  tag: 'v4.14',
  layers: ['fbc'],
});

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hm-preflight-catalog-'));
  const chunk = join(work, 'mirror_000001.tar');
  await writeChunk(chunk, { images: [index] });
  lookup = buildLookup(await MirrorArchive.open([chunk]), ['mirror.local:5000']);
});

after(async () => {
  if (work !== '') await rm(work, { recursive: true, force: true });
});

describe('catalogPullSpec', () => {
  it("moves oc-mirror's destination to the archive host, keeping the tag or digest", () => {
    assert.equal(
      catalogPullSpec(lookup, 'dest.example:5000/redhat/redhat-operator-index:v4.14'),
      'mirror.local:5000/redhat/redhat-operator-index:v4.14',
    );
    assert.equal(
      catalogPullSpec(
        lookup,
        `dest.example:5000/ns/redhat/redhat-operator-index@${index.manifest.digest}`,
      ),
      `mirror.local:5000/redhat/redhat-operator-index@${index.manifest.digest}`,
    );
  });

  it('leaves alone what names the host already, no repository of the archive, or no image', () => {
    for (const image of [
      'mirror.local:5000/redhat/redhat-operator-index:v4.14',
      'dest.example:5000/other/index:v1',
      'Not A Reference',
    ])
      assert.equal(catalogPullSpec(lookup, image), image);
  });
});
