import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeImage, releaseIdms, writeChunk } from '@hostmirror/fixtures';
import type { RegistriesConf } from '@hostmirror/host-config';
import { MirrorArchive } from '@hostmirror/oc-mirror-archive';
import { type ArchiveLookup, buildLookup } from './archive-lookup.ts';
import { generatedConf } from './conf.ts';
import { checkImage, sigstoreTag } from './image-check.ts';

let work = '';
let lookup: ArchiveLookup;
let conf: RegistriesConf;
const host = 'mirror.local:5000';
const release = makeImage({
  repository: 'openshift/release-images',
  tag: '4.14.3-x86_64',
  layers: ['r'],
});
const cli = makeImage({ repository: 'openshift/release', tag: '4.14.3-x86_64-cli', layers: ['c'] });
const source = 'quay.io/openshift-release-dev/ocp-release';

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hm-preflight-image-'));
  const chunk = join(work, 'mirror_000001.tar');
  // The release's layer is left out: served by manifest, incomplete in content.
  await writeChunk(chunk, {
    images: [release, cli],
    omit: new Set([cli.layers[0]?.digest ?? '']),
    clusterResources: { 'idms.yaml': releaseIdms('dest.example:5000') },
  });
  const archive = await MirrorArchive.open([chunk]);
  conf = generatedConf(await archive.readClusterResources(), archive, host);
  lookup = buildLookup(archive, [host]);
});

after(async () => {
  if (work !== '') await rm(work, { recursive: true, force: true });
});

const check = (reference: string) =>
  checkImage(lookup, conf, reference, 'component', 'test', ['amd64']);

describe('checkImage', () => {
  it('is served by the first mirror the archive answers, with its repository and digest', async () => {
    const result = await check(`${source}@${release.manifest.digest}`);
    assert.equal(result.ok, true, result.reason);
    assert.equal(result.servedBy, `${host}/openshift/release-images@${release.manifest.digest}`);
    assert.deepEqual(
      [result.repository, result.digest],
      ['openshift/release-images', release.manifest.digest],
    );
    assert.equal(result.sigstore, 'absent');
    assert.deepEqual(
      result.sources.map(({ outcome }) => outcome),
      ['served'],
    );
  });

  it('fails the first source that answers when it lacks a blob (c/image would not fall back)', async () => {
    const result = await check(
      `quay.io/openshift-release-dev/ocp-v4.0-art-dev@${cli.manifest.digest}`,
    );
    assert.equal(result.ok, false);
    assert.equal(result.code, 'BLOB_MISSING');
    assert.deepEqual(result.sources.map(({ outcome }) => outcome).slice(0, 1), [
      'content-incomplete',
    ]);
  });

  it('says the digest-only mirror skips a tag, and how to pull instead', async () => {
    const result = await check(`${source}:4.14.3-x86_64`);
    assert.equal(result.code, 'MIRROR_POLICY_SKIPS_REFERENCE');
    assert.match(result.fix ?? '', /pull it by digest/);
  });

  it('names a reference no table mirrors, and where the archive would have it', async () => {
    const result = await check(`docker.io/library/busybox@${release.manifest.digest}`);
    assert.equal(result.code, 'NO_MIRROR_FOR_REFERENCE');
    assert.match(result.fix ?? '', /holds it in openshift\/release-images/);
  });

  it('names a mirror repository the archive does not hold the manifest in', async () => {
    const result = await check(`${source}@sha256:${'e'.repeat(64)}`);
    assert.equal(result.code, 'MANIFEST_MISSING');
    assert.match(result.fix ?? '', /in no repository: mirror the image with oc-mirror/);
  });

  it('reports a malformed reference as BAD_REFERENCE, not a throw', async () => {
    const result = await check('Not A Reference');
    assert.equal(result.code, 'BAD_REFERENCE');
  });
});

describe('sigstoreTag', () => {
  it("is cosign's tag for a digest", () => {
    assert.equal(sigstoreTag(`sha256:${'f'.repeat(64)}`), `sha256-${'f'.repeat(64)}.sig`);
  });
});
