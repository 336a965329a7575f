import assert from 'node:assert/strict';
import { test } from 'node:test';
import { volumeArchiveNames } from './assets.ts';

test('one oc-mirror run keeps its chunk names', () => {
  assert.deepEqual(volumeArchiveNames(['/m/mirror_000001.tar', '/m/mirror_000002.tar']), [
    'mirror_000001.tar',
    'mirror_000002.tar',
  ]);
});

test('a base and its differential runs get run numbers, in the order given', () => {
  assert.deepEqual(
    volumeArchiveNames([
      '/base/mirror_000001.tar',
      '/base/mirror_000002.tar',
      '/diff1/mirror_000001.tar',
      '/diff2/mirror_000001.tar',
    ]),
    [
      '01-mirror_000001.tar',
      '01-mirror_000002.tar',
      '02-mirror_000001.tar',
      '03-mirror_000001.tar',
    ],
  );
  // The names sort in unpack order, so a folder listing shows the order the hosts unpack.
  const names = volumeArchiveNames(['/b/mirror_000001.tar', '/a/mirror_000001.tar']);
  assert.deepEqual(names, ['01-mirror_000001.tar', '02-mirror_000001.tar']);
  assert.deepEqual([...names].sort(), names);
});
