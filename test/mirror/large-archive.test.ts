/**
 * Indexing reads headers only (docs/design.md#mirror-mode): a generated 20 GiB sparse archive, with blobs
 * over 8 GiB (PAX sizes) and GNU base-256 sizes, is indexed in milliseconds, reading a few
 * hundred KiB (counted by the kernel in /proc/self/io) with flat memory.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeSparseArchive } from '@hostmirror/fixtures';
import { MirrorArchive } from '@hostmirror/oc-mirror-archive';

const work = mkdtempSync(join(tmpdir(), 'hostmirror-large-'));
after(() => rmSync(work, { recursive: true, force: true }));

const GiB = 1024 ** 3;

/** Bytes this process has read through read(2)/pread(2) so far (Linux `rchar`). */
function bytesRead(): number {
  const match = /^rchar: (\d+)$/m.exec(readFileSync('/proc/self/io', 'utf8'));
  return Number(match?.[1] ?? Number.NaN);
}

describe('large sparse archives', () => {
  for (const format of ['pax', 'gnu'] as const) {
    it(`indexesHeadersOnly (${format})`, async () => {
      const path = join(work, `mirror_00000${format === 'pax' ? 1 : 2}.tar`);
      await writeSparseArchive(path, format, 2, 10 * GiB);
      const size = statSync(path).size;
      assert.ok(size > 20 * GiB);
      const heapBefore = process.memoryUsage().heapUsed;
      const readBefore = bytesRead();
      const started = performance.now();
      const archive = await MirrorArchive.open([path]);
      const report = await archive.checkCompleteness();
      const elapsedMs = performance.now() - started;
      const read = bytesRead() - readBefore;
      const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
      assert.equal(report.complete, true);
      assert.equal(archive.blobs().filter((blob) => blob.size === 10 * GiB).length, 2);
      assert.equal(archive.tags('openshift/release').length, 2);
      assert.ok(read < 1024 * 1024, `read ${read} bytes of a ${size}-byte archive`);
      assert.ok(heapGrowth < 32 * 1024 * 1024, `heap grew ${heapGrowth} bytes`);
      assert.ok(elapsedMs < 2000, `indexing took ${elapsedMs} ms`);
      process.stdout.write(
        `# ${format}: ${size} bytes indexed in ${elapsedMs.toFixed(1)} ms, ${read} bytes read, heap +${heapGrowth}\n`,
      );
    });
  }
});
