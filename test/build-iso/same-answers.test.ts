/**
 * One answer per question across verbs: for the same inputs, `build-iso --pxe-dir` writes the
 * bytes `hostmirror iso pxe` writes from the built ISO (kernel, initrd with the overlay and the
 * Ignition archive, rootfs, iPXE script), and `hostmirror budget` given the same files computes
 * the numbers build-iso reports (every check's terms, need and limit), for the ISO boot and for
 * the PXE boot (rootfs and Ignition archive as initrds, measured by budget's one rootfs rule).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { BudgetReport } from '@hostmirror/budget';
import { type BuildReport, buildMirrorIso } from '@hostmirror/build-iso';
import type { DemoInputs } from '@hostmirror/fixtures';
import { CoreosIso } from '@hostmirror/iso';
import { hostmirrorOk } from '../foundation/hostmirror-cli.ts';
import { demoInputs, optionsFor } from './support.ts';

const baseUrl = 'http://192.0.2.10/same';
let work = '';
let inputs: DemoInputs;
let report: BuildReport;
let output = '';

before(async () => {
  ({ work, inputs } = await demoInputs('same'));
  output = join(work, 'same.iso');
  await mkdir(join(work, 'pxe-build'));
  ({ report } = await buildMirrorIso(
    optionsFor(inputs, output, { pxeDir: join(work, 'pxe-build'), pxeBaseUrl: baseUrl }),
  ));
});

after(async () => {
  if (work !== '') await rm(work, { recursive: true, force: true });
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function fileOf(iso: CoreosIso, which: 'initrd' | 'rootfs'): Promise<Buffer> {
  const entry = iso.metadata[which];
  assert.ok(entry !== undefined, `${iso.path} has images/pxeboot/${which}.img`);
  const chunks: Uint8Array[] = [];
  for await (const chunk of iso.image.fileChunks(entry)) chunks.push(chunk);
  return Buffer.concat(chunks);
}

test('isoPxeEqualsBuildIsoPxeDir: the same four files, byte for byte', async () => {
  const dir = join(work, 'pxe-iso');
  await mkdir(dir);
  const run = await hostmirrorOk([
    'iso',
    'pxe',
    output,
    '--output-dir',
    dir,
    '--prefix',
    'same',
    '--base-url',
    baseUrl,
    '--json',
  ]);
  const made = JSON.parse(run.stdoutText) as Record<string, string>;
  for (const [name, key] of [
    ['kernel', 'kernel'],
    ['initrd', 'initrd'],
    ['rootfs', 'rootfs'],
    ['ipxe', 'script'],
  ] as const) {
    const built = report.outputs[`pxe-${name}`];
    assert.ok(built !== undefined, `build-iso reports pxe-${name}`);
    const fromIso = await readFile(made[key] ?? '');
    assert.equal(sha256(fromIso), built.sha256, `${name}: iso pxe and build-iso --pxe-dir`);
    assert.equal(sha256(await readFile(built.path)), built.sha256, `${name}: reported digest`);
  }
});

interface BudgetFiles {
  initrd: string;
  overlay: string;
  ignition: string;
  rootfs: string;
}

let files: BudgetFiles | undefined;

/** The base initrd, overlay, Ignition archive and rootfs of the build, as files the verb reads. */
async function budgetFiles(): Promise<BudgetFiles> {
  if (files !== undefined) return files;
  const base = await CoreosIso.open(inputs.iso);
  const built = await CoreosIso.open(output);
  let baseInitrd: Buffer;
  let builtInitrd: Buffer;
  let ignitionArchive: Buffer;
  let rootfs: Buffer;
  try {
    baseInitrd = await fileOf(base, 'initrd');
    builtInitrd = await fileOf(built, 'initrd');
    ignitionArchive = await built.embeddedArchive();
    rootfs = await fileOf(built, 'rootfs');
  } finally {
    await base.close();
    await built.close();
  }
  // The built initrd is the base, zeros to 4, then the overlay (docs/coreos-iso.md#initrd-format).
  const overlayStart = Math.ceil(baseInitrd.length / 4) * 4;
  const overlay = builtInitrd.subarray(overlayStart, overlayStart + report.overlay.size);
  assert.equal(sha256(overlay), report.overlay.sha256, 'the overlay as build-iso reports it');
  const made = {
    initrd: join(work, 'base-initrd.img'),
    overlay: join(work, 'overlay.img'),
    ignition: join(work, 'ignition.img'),
    rootfs: join(work, 'rootfs.img'),
  };
  await writeFile(made.initrd, baseInitrd);
  await writeFile(made.overlay, overlay);
  await writeFile(made.ignition, ignitionArchive);
  await writeFile(made.rootfs, rootfs);
  files = made;
  return made;
}

/** What build-iso counted of its own knowledge (live copies, node0's reserve), as verb options. */
function liveOptions(built: BudgetReport): string[] {
  // What build-iso copies into the live system (the registry program, the boot files) is its
  // own knowledge; the budget verb is told the same sizes.
  const copied = 'copied to the live system: ';
  const liveTerms = built.checks.find(({ id }) => id === 'live-tmpfs')?.terms ?? [];
  const liveCopies = liveTerms
    .filter(({ label }) => label.startsWith(copied))
    .flatMap(({ label, bytes }) => ['--live-copy', `${label.slice(copied.length)}=${bytes}`]);
  assert.ok(liveCopies.length > 0, 'build-iso counts what it copies into the live system');
  // node0's day-1 bootstrap reserve, as build-iso counted it for this host (0 where it has none).
  const pullReserve =
    liveTerms.find(({ label }) => label.startsWith('node0 day-1 bootstrap'))?.bytes ?? 0;
  return [
    '--ram',
    String(built.ramBytes),
    '--role',
    built.role,
    '--pull-reserve',
    String(pullReserve),
    ...liveCopies,
  ];
}

const numbers = (checks: BudgetReport['checks']) =>
  checks.map(({ id, needBytes, haveBytes, terms }) => ({
    id,
    needBytes,
    haveBytes,
    terms: terms.map(({ bytes, counted }) => ({ bytes, counted })),
  }));

test('budgetEqualsBuildIso: hostmirror budget on the same files gives the same checks', async () => {
  const isoBudget = report.budget.find((budget) => budget.boot === 'iso');
  assert.ok(isoBudget !== undefined, 'build-iso reports an ISO-boot budget');
  const made = await budgetFiles();
  const run = await hostmirrorOk([
    'budget',
    ...liveOptions(isoBudget),
    '--boot',
    'iso',
    '--initrd',
    made.initrd,
    '--archive',
    made.overlay,
    '--ignition-archive',
    made.ignition,
    '--embed-area',
    String(report.ignition.embedAreaBytes),
    '--json',
  ]);
  const budget = JSON.parse(run.stdoutText) as BudgetReport;
  assert.deepEqual(numbers(budget.checks), numbers(isoBudget.checks));
  const initramfs = budget.checks.find(({ id }) => id === 'initramfs-tmpfs');
  assert.ok(initramfs !== undefined && initramfs.needBytes > report.overlay.size);
});

test('budgetEqualsBuildIsoForPxe: the PXE budget from the same files, rootfs by its unpacked members', async () => {
  const pxeBudget = report.budget.find((budget) => budget.boot === 'pxe');
  assert.ok(pxeBudget !== undefined, 'build-iso with --pxe-dir reports a PXE budget');
  const made = await budgetFiles();
  const run = await hostmirrorOk([
    'budget',
    ...liveOptions(pxeBudget),
    '--boot',
    'pxe',
    '--initrd',
    made.initrd,
    '--rootfs',
    made.rootfs,
    '--archive',
    made.overlay,
    '--archive',
    made.ignition,
    '--json',
  ]);
  const budget = JSON.parse(run.stdoutText) as BudgetReport;
  assert.deepEqual(numbers(budget.checks), numbers(pxeBudget.checks));
  // The rootfs costs its members' pages in the initramfs tmpfs (root.squashfs, 64 KiB + 1 byte:
  // 17 pages, and the stamp: 1), not its file size in pages (17); as loaded, it costs the file.
  const rootfsTerm = (id: string, what: string) =>
    pxeBudget.checks
      .find((check) => check.id === id)
      ?.terms.find(({ label }) => label.startsWith('rootfs') && label.includes(what))?.bytes;
  assert.equal(rootfsTerm('initramfs-tmpfs', 'unpacked'), 18 * 4096);
  assert.equal(rootfsTerm('unpack-peak', 'as loaded'), (await readFile(made.rootfs)).length);
});
