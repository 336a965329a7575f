/**
 * `hostmirror budget` measures archives as the system tools list them: the unpacked term of an
 * archive equals the page-rounded sizes of the regular files `cpio -itv` lists in it.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runOk } from '@hostmirror/fixtures';
import { hostmirror, hostmirrorOk } from './hostmirror-cli.ts';
import { writeOverlayFixture } from './overlay-fixture.ts';

const pageBytes = 4096;
let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hm-budget-real-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Σ ceil(size / page) × page over the regular files of `cpio -itv`'s listing. */
async function pagesPerCpio(archive: string): Promise<number> {
  const listing = await runOk(
    '/bin/sh',
    ['-ec', 'gzip -dc "$1" | cpio -itv --quiet', 'sh', archive],
    {
      timeoutMs: 20_000,
    },
  );
  let total = 0;
  for (const line of listing.stdout.toString('utf8').split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (!line.startsWith('-') || fields[4] === undefined) continue;
    total += Math.ceil(Number(fields[4]) / pageBytes) * pageBytes;
  }
  return total;
}

test('the archive term equals what cpio lists, and the limit follows --ram', async () => {
  const fixture = await writeOverlayFixture(work, 'budget', 'gzip');
  const archive = join(work, 'overlay.gz');
  await hostmirrorOk(['initrd', 'build', fixture.specPath, '-o', archive]);
  const run = await hostmirrorOk([
    'budget',
    '--ram',
    '8GiB',
    '--role',
    'worker',
    '--archive',
    archive,
    '--json',
  ]);
  const report = JSON.parse(run.stdoutText) as {
    ok: boolean;
    checks: { id: string; haveBytes: number; terms: { label: string; bytes: number }[] }[];
  };
  assert.equal(report.ok, true);
  const initramfs = report.checks.find((c) => c.id === 'initramfs-tmpfs');
  assert.equal(initramfs?.haveBytes, 4 * 1024 ** 3);
  const term = initramfs?.terms.find((t) => t.label.includes('overlay.gz'));
  assert.equal(term?.bytes, await pagesPerCpio(archive));
  const loaded = report.checks
    .find((c) => c.id === 'unpack-peak')
    ?.terms.find((t) => t.label.includes('overlay.gz, as loaded'));
  assert.equal(loaded?.bytes, (await stat(archive)).size);

  const over = await hostmirror([
    'budget',
    '--ram',
    '8GiB',
    '--role',
    'master',
    '--archive',
    archive,
  ]);
  assert.equal(over.exitCode, 1);
  assert.match(over.stderrText, /RAM for a master: 17179869184 > 8589934592 bytes/);
});
