/**
 * `hostmirror initrd verify` against the kernel itself: for initrds broken the ways the kernel
 * refuses (docs/boot.md#appended-archives), both must see the fault, at the same segment. Each initrd is the base
 * busybox initrd plus one tail made with system tools only (cpio, gzip, zstd, head, cat).
 */
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { requireTool, runOk } from '@hostmirror/fixtures';
import {
  bootKernel,
  buildBaseInitrd,
  extractPvhKernel,
  findDebianKernel,
  markerValues,
} from '../support/qemu.ts';
import { hostmirror } from './hostmirror-cli.ts';

const checks = `
for f in /agree/one.txt /agree/two.txt; do
  if [ -f "$f" ]; then echo "HM-AGREE-FILE $f $(cat "$f")"; else echo "HM-AGREE-MISSING $f"; fi
done
`;

let work: string;
let kernel: string;
let base: Buffer;
/** Plain newc of agree/ + agree/one.txt, written by the system cpio. */
let plainOne: Buffer;

before(async () => {
  for (const tool of ['cpio', 'gzip', 'zstd'] as const) await requireTool(tool);
  work = await mkdtemp(join(tmpdir(), 'hm-agree-'));
  kernel = await extractPvhKernel(await findDebianKernel());
  base = await readFile(await buildBaseInitrd({ outPath: join(work, 'base.cpio.gz'), checks }));
  await runOk('/bin/sh', ['-ec', 'mkdir -p agree && echo one > agree/one.txt'], {
    cwd: work,
    timeoutMs: 5_000,
  });
  plainOne = (
    await runOk(
      '/bin/sh',
      ['-ec', "printf 'agree\\nagree/one.txt\\n' | cpio -o -H newc -R 0:0 --quiet"],
      {
        cwd: work,
        timeoutMs: 5_000,
      },
    )
  ).stdout;
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function compress(tool: 'gzip' | 'zstd', data: Buffer): Promise<Buffer> {
  const args = tool === 'gzip' ? ['-9nc'] : ['-q', '-19', '-c'];
  return (await runOk(tool, args, { input: data, timeoutMs: 10_000 })).stdout;
}

interface Verdicts {
  faults: { offset: number; code: string }[];
  initramfsFailures: string[];
  files: string[];
}

async function bothVerdicts(
  name: string,
  tail: Buffer,
): Promise<Verdicts & { tailOffset: number }> {
  const path = join(work, `${name}.img`);
  await writeFile(path, base);
  const tailOffset = (await stat(path)).size;
  await appendFile(path, tail);
  const [verify, boot] = await Promise.all([
    hostmirror(['initrd', 'verify', path, '--json']),
    bootKernel({ kernel, initrd: path, timeoutMs: 90_000 }),
  ]);
  assert.equal(boot.initDone, true, boot.console);
  const report = JSON.parse(verify.stdoutText) as { faults: { offset: number; code: string }[] };
  return {
    tailOffset,
    faults: report.faults,
    initramfsFailures: boot.initramfsFailures,
    files: markerValues(boot.console, 'HM-AGREE-FILE'),
  };
}

describe('initrd verify and the kernel agree', { concurrency: 2 }, () => {
  test('raw newc at an unaligned offset: invalid magic / UNALIGNED_SEGMENT', async () => {
    // Zeros are skipped one byte at a time, so the archive starts at an offset ≡ 1 mod 4.
    const lead = Buffer.alloc(((5 - (base.length % 4)) % 4) + 4);
    assert.equal((base.length + lead.length) % 4, 1);
    const v = await bothVerdicts('unaligned', Buffer.concat([lead, plainOne]));
    assert.deepEqual(v.initramfsFailures, ['invalid magic at start of compressed archive']);
    assert.deepEqual(v.files, []);
    assert.ok(
      v.faults.some(
        (f) => f.code === 'UNALIGNED_SEGMENT' && f.offset === v.tailOffset + lead.length,
      ),
      JSON.stringify(v.faults),
    );
  });

  test('the same archive 4-aligned after zeros: both accept it', async () => {
    const lead = Buffer.alloc(((4 - (base.length % 4)) % 4) + 8);
    const v = await bothVerdicts('aligned', Buffer.concat([lead, plainOne]));
    assert.deepEqual(v.initramfsFailures, []);
    assert.deepEqual(v.faults, []);
    assert.deepEqual(v.files, ['/agree/one.txt one']);
  });

  test('gzip cut 12 bytes short: read error / TRUNCATED', async () => {
    const gz = await compress('gzip', plainOne);
    const v = await bothVerdicts('gzip-cut', gz.subarray(0, gz.length - 12));
    assert.deepEqual(v.initramfsFailures, ['read error']);
    assert.ok(
      v.faults.some((f) => f.code === 'TRUNCATED' && f.offset >= v.tailOffset),
      JSON.stringify(v.faults),
    );
  });

  test('zstd cut 12 bytes short: truncated / TRUNCATED', async () => {
    const zst = await compress('zstd', plainOne);
    const v = await bothVerdicts('zstd-cut', zst.subarray(0, zst.length - 12));
    assert.deepEqual(v.initramfsFailures, ['ZSTD-compressed data is truncated']);
    assert.deepEqual(v.files, []);
    assert.ok(
      v.faults.some((f) => f.code === 'TRUNCATED' && f.offset >= v.tailOffset),
      JSON.stringify(v.faults),
    );
  });

  test('text that is no archive: invalid magic / UNKNOWN_MAGIC', async () => {
    const v = await bothVerdicts('garbage', Buffer.from('THIS-IS-NOT-AN-ARCHIVE\n'));
    assert.deepEqual(v.initramfsFailures, ['invalid magic at start of compressed archive']);
    assert.ok(
      v.faults.some((f) => f.code === 'UNKNOWN_MAGIC' && f.offset === v.tailOffset),
      JSON.stringify(v.faults),
    );
  });
});
