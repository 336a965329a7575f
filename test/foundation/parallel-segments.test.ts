/**
 * Issue 2, parallel gzip segments: an overlay cut into many gzip members, each a complete newc
 * archive with its own trailer, is appended to a busybox initrd and booted with Debian's kernel.
 * Every file must arrive with its bytes and mode, and the kernel must not report
 * "Initramfs unpacking failed" (e.g. "junk at the end of compressed archive", which a member
 * ending without a trailer would cause). One boot.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { requireTool, runOk } from '@hostmirror/fixtures';
import { appendArchive, buildOverlayFile, readInitrd, verifyInitrd } from '@hostmirror/initrd';
import {
  assertCleanBoot,
  bootKernel,
  buildBaseInitrd,
  extractPvhKernel,
  findDebianKernel,
  markerValues,
} from '../support/qemu.ts';

/** Overlay files live below this folder; `/init` lists and hashes everything in it. */
const overlayRoot = 'hm-par';
const fileCount = 30;
/** Small segments so 30 files of ~24 KiB give a dozen or more gzip members. */
const segmentBytes = 64 * 1024;

const checks = `
find /${overlayRoot} -type f | sort | while read -r f; do
  echo "HM-SUM $(sha256sum "$f" | cut -d' ' -f1) $(stat -c %a "$f") $f"
done
echo "HM-COUNT $(find /${overlayRoot} | wc -l)"
if [ -x /${overlayRoot}/last/run.sh ]; then /${overlayRoot}/last/run.sh; else echo "HM-NOEXEC"; fi
`;

/** Poorly compressible, deterministic bytes: the members must carry real data. */
function noise(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let state = seed;
  for (let at = 0; at < length; at++) {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    out[at] = state >>> 24;
  }
  return out;
}

let work: string;
let kernel: string;
let base: string;

before(async () => {
  for (const tool of ['cpio', 'gzip', 'qemu-system-x86_64', 'busybox'] as const)
    await requireTool(tool);
  work = await mkdtemp(join(tmpdir(), 'hm-parallel-segments-'));
  kernel = await extractPvhKernel(await findDebianKernel());
  base = await buildBaseInitrd({ outPath: join(work, 'base.cpio.gz'), checks });
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('the kernel unpacks every member of a multi-segment gzip overlay', async (t) => {
  const expected: string[] = [];
  const lines = ['compress: gzip', 'files:'];
  for (let index = 0; index < fileCount; index++) {
    const path = `/${overlayRoot}/d${index % 4}/s${index % 3}/f${String(index).padStart(2, '0')}`;
    const data = noise(20_000 + index * 300, index + 1);
    await writeFile(join(work, `src${index}`), data);
    lines.push(`  - { path: ${path}, source: ./src${index}, mode: 0640 }`);
    expected.push(`${createHash('sha256').update(data).digest('hex')} 640 ${path}`);
  }
  const script = '#!/bin/sh\necho HM-RAN-LAST\n';
  lines.push(
    `  - { path: /${overlayRoot}/last/run.sh, contents: ${JSON.stringify(script)}, mode: 0755 }`,
  );
  expected.push(
    `${createHash('sha256').update(script).digest('hex')} 755 /${overlayRoot}/last/run.sh`,
  );
  await writeFile(join(work, 'spec.yaml'), `${lines.join('\n')}\n`);
  const pathOf = (line: string): string => line.split(' ')[2] ?? '';
  expected.sort((left, right) => (pathOf(left) < pathOf(right) ? -1 : 1));

  const overlay = join(work, 'overlay.img');
  await buildOverlayFile(join(work, 'spec.yaml'), overlay, { segmentBytes, concurrency: 2 });
  await runOk('gzip', ['-t', overlay], { timeoutMs: 20_000 });
  const { segments } = await readInitrd(overlay);
  t.diagnostic(`${segments.length} gzip segments, ${(await readFile(overlay)).length} bytes`);
  assert.ok(segments.length >= 10, `only ${segments.length} segments`);
  assert.ok(segments.every((segment) => segment.codec === 'gzip' && segment.trailer));

  const initrd = join(work, 'initrd.img');
  await appendArchive(base, overlay, initrd);
  const report = await verifyInitrd(initrd);
  assert.deepEqual(report.faults, []);
  assert.equal(report.segments.length, segments.length + 1);

  const boot = await bootKernel({ kernel, initrd, timeoutMs: 120_000 });
  t.diagnostic(`boot: ${Math.round(boot.durationMs)} ms`);
  assertCleanBoot(boot);
  assert.ok(!boot.console.includes('Initramfs unpacking failed'));
  const sums = markerValues(boot.console, 'HM-SUM');
  assert.deepEqual(sums, expected, boot.console.slice(-3000));
  // Files + their folders: hm-par, 4 d*, 12 d*/s*, last, the files.
  const folders = 1 + 4 + 12 + 1;
  assert.deepEqual(markerValues(boot.console, 'HM-COUNT'), [String(folders + fileCount + 1)]);
  // The last entry (in the last segment) is an executable that runs.
  assert.ok(boot.console.includes('\nHM-RAN-LAST'), "the last segment's script did not run");
});
