/**
 * Memory stays flat whatever the ISO size (issue 4): streaming a 384 MiB ISO with an appended
 * archive must not hold it. A regression that buffers the image would add ≥ 384 MiB; chunked
 * streaming adds what the garbage collector lets pile up (measured ~40 MiB).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, test } from 'node:test';
import { makeCoreosIso, requireTool, runShell, scratchDir } from '@hostmirror/fixtures';
import { CoreosIso } from '../../packages/iso/src/index.ts';

const MiB = 1024 * 1024;
const isoBytes = 384 * MiB;
/** Far below the image size, far above what chunked streaming needs. */
const maxGrowth = 160 * MiB;

let dir: { path: string; dispose: () => Promise<void> };
before(async () => {
  dir = await scratchDir('memory');
});
after(() => dir.dispose());

test('flatMemory: streaming a 384 MiB edited ISO grows RSS by far less than the ISO', async () => {
  const made = await makeCoreosIso({
    output: join(dir.path, 'big.iso'),
    rootfsSize: isoBytes,
    efi: false,
  });
  const [cpio, gzip] = await Promise.all([requireTool('cpio'), requireTool('gzip')]);
  const archive = join(dir.path, 'overlay.cpio.gz');
  await runShell(
    `cd "${dir.path}" && mkdir -p o/hostmirror && head -c 16777216 /dev/urandom > o/hostmirror/blob && cd o && find hostmirror | "${cpio}" -o -H newc -R 0:0 --quiet | "${gzip}" -1 > "${archive}"`,
    { timeoutMs: 30_000 },
  );
  const iso = await CoreosIso.open(made.path);
  try {
    const edit = iso.combine(
      await iso.planEmbedIgnition(Buffer.from('{}')),
      (await iso.planAppendInitrd([archive])).edit,
    );
    const start = process.memoryUsage().rss;
    let peak = start;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 2);
    let written = 0;
    const sink = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        written += chunk.length;
        peak = Math.max(peak, process.memoryUsage().rss);
        callback();
      },
    });
    await iso.write(edit, { kind: 'stream', stream: sink });
    clearInterval(sampler);
    assert.equal(written, edit.size);
    assert.ok(edit.size > isoBytes);
    const growth = peak - start;
    console.log(
      `streamed ${Math.round(written / MiB)} MiB, RSS growth ${Math.round(growth / MiB)} MiB`,
    );
    assert.ok(growth < maxGrowth, `RSS grew by ${Math.round(growth / MiB)} MiB`);
  } finally {
    await iso.close();
  }
});
