import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isEmptyArea } from './embed-area.ts';

describe('isEmptyArea', () => {
  it('allZerosIsEmpty: any length, blocks and the tail alike', () => {
    for (const length of [0, 1, 65_535, 65_536, 65_537, 256 * 1024, 256 * 1024 + 3])
      assert.equal(isEmptyArea(new Uint8Array(length)), true, `${length} zero bytes`);
  });

  it('oneNonZeroByteAnywhereIsNotEmpty: first, block edges, last', () => {
    const length = 256 * 1024 + 3;
    for (const at of [0, 1, 65_535, 65_536, 65_537, 131_072, length - 1]) {
      const bytes = new Uint8Array(length);
      bytes[at] = 0x80;
      assert.equal(isEmptyArea(bytes), false, `a non-zero byte at ${at} of ${length}`);
    }
  });

  it('viewsSeeOnlyTheirOwnBytes: a view of zeros inside a non-zero buffer is empty', () => {
    const backing = new Uint8Array(200_000).fill(7);
    backing.fill(0, 1_000, 101_000);
    assert.equal(isEmptyArea(backing.subarray(1_000, 101_000)), true);
    assert.equal(isEmptyArea(backing.subarray(999, 101_000)), false);
    assert.equal(isEmptyArea(backing.subarray(1_000, 101_001)), false);
  });
});
