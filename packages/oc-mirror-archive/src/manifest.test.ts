import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MirrorFormatError } from './errors.ts';
import { manifestReferences, parseImageManifest, parseManifest } from './manifest.ts';

const D = `sha256:${'ab'.repeat(32)}`;
const E = `sha256:${'cd'.repeat(32)}`;

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value));
}

describe('parseImageManifest', () => {
  it('foreignLayersAreNotNeededFromTheRegistry', () => {
    const manifest = parseImageManifest(
      json({
        config: { digest: D },
        layers: [{ digest: D }, { digest: E, urls: ['https://example.invalid/l'] }],
      }),
      'repo@x',
    );
    assert.equal(manifest.kind === 'image' ? manifest.layers.length : -1, 1);
    assert.deepEqual(manifestReferences(manifest), [
      { digest: D, role: 'config' },
      { digest: D, role: 'layer' },
    ]);
  });

  it('indexAndSchema1References', () => {
    const index = parseImageManifest(
      json({ manifests: [{ digest: D, platform: { architecture: 'amd64', os: 'linux' } }] }),
      'repo@i',
    );
    assert.deepEqual(manifestReferences(index), [{ digest: D, role: 'child-manifest' }]);
    const schema1 = parseImageManifest(json({ fsLayers: [{ blobSum: E }] }), 'repo@s');
    assert.deepEqual(manifestReferences(schema1), [{ digest: E, role: 'layer' }]);
  });

  it('invalidManifestsAreTyped', () => {
    for (const text of ['{', '[]', '{"config":{"digest":"sha256:short"}}', '{"schemaVersion":2}'])
      assert.throws(
        () => parseImageManifest(Buffer.from(text), 'repo@x'),
        (error: unknown) =>
          error instanceof MirrorFormatError &&
          error.code === 'MANIFEST_INVALID' &&
          error.path === 'repo@x',
      );
  });
});

describe('parseManifest', () => {
  it('listsReferencesOrUndefined', () => {
    assert.deepEqual(parseManifest(json({ config: { digest: D }, layers: [{ digest: E }] })), {
      kind: 'image',
      mediaType: undefined,
      references: [
        { digest: D, role: 'config' },
        { digest: E, role: 'layer' },
      ],
    });
    assert.equal(parseManifest(Buffer.from('not json')), undefined);
    assert.equal(
      parseManifest(json({ config: { digest: D }, layers: [{ digest: 'x' }] })),
      undefined,
    );
  });
});
