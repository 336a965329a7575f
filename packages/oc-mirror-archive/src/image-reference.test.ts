import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MirrorFormatError } from './errors.ts';
import { formatImageReference, parseImageReference } from './image-reference.ts';

const D = `sha256:${'e9'.repeat(32)}`;

describe('parseImageReference', () => {
  const cases: [string, string][] = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/foo/bar:1', 'docker.io/foo/bar:1'],
    ['localhost/app', 'localhost/app:latest'],
    [`localhost:5000/a/b@${D}`, `localhost:5000/a/b@${D}`],
    ['Quay.IO/x:1', 'Quay.IO/x:1'],
  ];
  for (const [input, expected] of cases)
    it(`normalises ${input}`, () => {
      assert.equal(formatImageReference(parseImageReference(input)), expected);
    });
  for (const bad of [
    '',
    'quay.io/UPPER:1',
    'quay.io/a@sha256:zz',
    'docker://quay.io/a',
    'quay.io/a:bad tag',
  ])
    it(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => parseImageReference(bad),
        (error) => error instanceof MirrorFormatError && error.code === 'BAD_IMAGE_REFERENCE',
      );
    });
});

describe('ImageReference fields', () => {
  it('nameIsHostAndPath', () => {
    assert.deepEqual(parseImageReference('index.docker.io/busybox'), {
      name: 'docker.io/library/busybox',
      domain: 'docker.io',
      path: 'library/busybox',
      tag: 'latest',
      digest: undefined,
    });
    // An upper-case first component is a host (paths are lower-case only), as in c/image.
    assert.equal(parseImageReference('Example/app').name, 'Example/app');
    assert.equal(parseImageReference(`quay.io/a@${D}`).tag, undefined);
  });
});
