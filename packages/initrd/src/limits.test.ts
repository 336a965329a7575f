/**
 * What the initrd reader holds in memory is bounded, whatever the input (issue 20, tools/fuzz):
 * entry listings stop at `maxEntries`, so a small compressed segment that lists a huge number
 * of entries is one typed error, not a heap that grows with the decompressed size.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InitrdError, MAX_INITRD_ENTRIES, readInitrd, verifyInitrd } from './index.ts';
import { compress, newc } from './initrd.test-support.ts';

const source = (bytes: Buffer) =>
  (async function* () {
    yield bytes;
  })();

/** `count` empty files under d/, compressed with `codec`: a few bytes per entry. */
async function manyEntries(count: number, codec: 'xz' | 'none'): Promise<Buffer> {
  const archive = await newc([
    { path: 'd', type: 'directory', mode: 0o755 },
    ...Array.from({ length: count }, (_, i) => ({
      path: `d/f${i}`,
      type: 'file' as const,
      mode: 0o644,
      data: '',
    })),
  ]);
  return codec === 'none' ? archive : compress('xz', archive);
}

test('tooManyEntries: past maxEntries the reader stops with TOO_MANY_ENTRIES at the segment, in every codec', async () => {
  assert.equal(MAX_INITRD_ENTRIES, 100_000);
  for (const codec of ['xz', 'none'] as const) {
    const initrd = await manyEntries(3_000, codec);
    // 3,001 entries (the folder and the files) read under a bound of 3,001 ...
    const listing = await readInitrd(source(initrd), { maxEntries: 3_001 });
    assert.equal(listing.segments[0]?.entries.length, 3_001);
    // ... and refused under 3,000, naming where the one over is.
    await assert.rejects(
      readInitrd(source(initrd), { maxEntries: 3_000 }),
      (error: unknown) =>
        error instanceof InitrdError &&
        error.code === 'TOO_MANY_ENTRIES' &&
        error.offset === (codec === 'none' ? listing.segments[0]?.entries[3_000]?.offset : 0) &&
        /more than 3000 entries/.test(error.message) &&
        typeof error.fix === 'string',
    );
  }
});

test('tooManyEntries: the verifier reports the bound as a fatal fault, not a crash', async () => {
  const initrd = await manyEntries(50, 'xz');
  const report = await verifyInitrd(source(initrd), { maxEntries: 10 });
  const fatal = report.faults.find((fault) => fault.fatal);
  assert.equal(fatal?.code, 'TOO_MANY_ENTRIES', JSON.stringify(report.faults));
});
