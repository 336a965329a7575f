/**
 * Atomicity under SIGKILL: the build-iso CLI is killed at random points of its run (12
 * trials); every output is then either absent or whole, and the input ISO is never changed.
 * "Whole" is checked by reading each output back: the ISO opens as a CoreOS ISO of the
 * planned size whose extended initrd passes the kernel's rules and whose Ignition area holds
 * a valid config; the PXE initrd passes the kernel's rules; the manifests folder has every
 * file; report.json parses. (TLS keys are random here, so whole outputs are not compared byte
 * for byte; reproducibility is build-iso.test.ts's.)
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { repoRoot, requireTool } from '@hostmirror/fixtures';
import { sha256File } from '../../packages/build-iso/src/index.ts';
import { validateConfig } from '../../packages/ignition/src/index.ts';
import { readInitrdFile, verifyInitrd } from '../../packages/initrd/src/index.ts';
import { CoreosIso, IGNITION_MEMBER } from '../../packages/iso/src/index.ts';
import { demoInputs } from './support.ts';

const TRIALS = 12;
/** Kill points cover this multiple of the reference run's duration. */
const SPAN = 1.15;
let work: string;
let inputs: Awaited<ReturnType<typeof demoInputs>>['inputs'];

/**
 * A large stand-in registry program, so that writing the outputs is a good part of the run: a
 * real static x86-64 program (busybox, which passes build-iso's ELF vetting) padded with random
 * bytes, which an ELF loader ignores past the program's segments.
 */
const PROGRAM_MIB = 32;
let program: string;

before(async () => {
  ({ work, inputs } = await demoInputs('kill'));
  program = join(work, 'registry');
  const elf = await readFile(await requireTool('busybox'));
  const padding = randomBytes(Math.max(0, PROGRAM_MIB * 1024 * 1024 - elf.length));
  await writeFile(program, Buffer.concat([elf, padding]), { mode: 0o755 });
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

function cliArgs(out: string): string[] {
  return [
    '--import',
    'tsx',
    join(repoRoot, 'packages/cli/src/main.ts'),
    'build-iso',
    '--iso',
    inputs.iso,
    '--install-config',
    inputs.installConfig,
    '--agent-config',
    inputs.agentConfig,
    '--mirror',
    inputs.archive,
    '--registry-binary',
    program,
    '-o',
    join(out, 'out.iso'),
    '--pxe-dir',
    out,
    '--manifests-dir',
    join(out, 'manifests'),
    '--image-set-config',
    join(out, 'isc.yaml'),
    '--report',
    join(out, 'report.json'),
    '--json',
  ];
}

/**
 * When to kill: after a delay from the start, a delay after the first output starts being
 * written, or a delay after the first output is in place under its final name (so that some
 * kills land between two renames however slowly this run goes).
 */
type KillPoint = { afterMs: number } | { afterWritingMs: number } | { afterFirstOutputMs: number };

/** The final names build-iso gives its outputs here. */
const OUTPUT_NAMES = [
  'out.iso',
  'out-vmlinuz',
  'out-initrd.img',
  'out-rootfs.img',
  'manifests',
  'isc.yaml',
  'report.json',
];

/** Run the CLI; kill it with SIGKILL at `kill` (undefined: let it finish). */
function runBuild(
  out: string,
  kill?: KillPoint,
): Promise<{ code: number | null; signal: string | null; ms: number; writingMs: number }> {
  const started = performance.now();
  let writingAt: number | undefined;
  const { SOURCE_DATE_EPOCH: _unset, ...env } = process.env;
  const child = spawn(process.execPath, cliArgs(out), {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let timer: NodeJS.Timeout | undefined;
  let finished = false;
  const killLater = (ms: number) => {
    timer = setTimeout(() => child.kill('SIGKILL'), ms);
  };
  if (kill !== undefined && 'afterMs' in kill) killLater(kill.afterMs);
  // Poll for the first temporary output (`.out.iso.hostmirror-*`): the writing phase starts;
  // then for the first output under its final name.
  const poll = async () => {
    while (!finished) {
      const names = await readdir(out).catch(() => [] as string[]);
      if (writingAt === undefined && names.some((name) => name.startsWith('.'))) {
        writingAt = performance.now();
        if (kill !== undefined && 'afterWritingMs' in kill) killLater(kill.afterWritingMs);
      }
      if (names.some((name) => OUTPUT_NAMES.includes(name))) {
        writingAt ??= performance.now();
        if (kill !== undefined && 'afterFirstOutputMs' in kill) killLater(kill.afterFirstOutputMs);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  void poll();
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      finished = true;
      clearTimeout(timer);
      const ended = performance.now();
      resolve({ code, signal, ms: ended - started, writingMs: ended - (writingAt ?? ended) });
    });
  });
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

async function checkWhole(
  out: string,
  reference: { isoSize: number; manifests: string[] },
): Promise<string[]> {
  const present: string[] = [];
  const iso = join(out, 'out.iso');
  if (await exists(iso)) {
    present.push('iso');
    const image = await CoreosIso.open(iso);
    try {
      assert.equal(image.size, reference.isoSize);
      const initrd = image.metadata.initrd;
      assert.ok(initrd !== undefined);
      const verdict = await verifyInitrd(image.image.fileChunks(initrd));
      assert.deepEqual(verdict.faults, []);
      assert.equal(verdict.segments.length, 2);
      const area = await image.ignitionAreaBytes();
      const config = await readInitrdFile(
        (async function* () {
          yield area;
        })(),
        IGNITION_MEMBER,
      );
      assert.ok(config !== undefined && validateConfig(config).valid);
    } finally {
      await image.close();
    }
  }
  const pxe = join(out, 'out-initrd.img');
  if (await exists(pxe)) {
    present.push('pxe-initrd');
    const verdict = await verifyInitrd(pxe);
    assert.deepEqual(verdict.faults, []);
    assert.equal(verdict.segments.length, 3);
  }
  if (await exists(join(out, 'manifests'))) {
    present.push('manifests');
    assert.deepEqual((await readdir(join(out, 'manifests'))).sort(), reference.manifests);
  }
  if (await exists(join(out, 'report.json'))) {
    present.push('report');
    JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
  }
  // Nothing but whole outputs and dot-named temporary files.
  for (const name of await readdir(out))
    assert.ok(name.startsWith('.') || OUTPUT_NAMES.includes(name), `unexpected ${name}`);
  return present;
}

test(`SIGKILL at ${TRIALS} random points: outputs whole or absent, the input ISO unchanged`, async () => {
  const inputDigest = await sha256File(inputs.iso);
  const referenceDir = join(work, 'reference');
  await mkdir(referenceDir);
  const reference = await runBuild(referenceDir);
  assert.equal(reference.code, 0);
  const referenceFacts = {
    isoSize: (await stat(join(referenceDir, 'out.iso'))).size,
    manifests: (await readdir(join(referenceDir, 'manifests'))).sort(),
  };
  assert.deepEqual(await checkWhole(referenceDir, referenceFacts), [
    'iso',
    'pxe-initrd',
    'manifests',
    'report',
  ]);
  const outcomes: string[] = [];
  for (let trial = 0; trial < TRIALS; trial++) {
    const out = join(work, `trial-${trial}`);
    await mkdir(out);
    // Even trials: stratified random points over the whole run (runs vary under load). Trials
    // 1, 5, 9…: random points of the writing phase, which starts at the first temporary output.
    // Trials 3, 7, 11…: random points after the first output is in place, which on a loaded
    // machine the other points may never reach.
    const fraction = (trial + Math.random()) / TRIALS;
    const kill: KillPoint =
      trial % 2 === 0
        ? { afterMs: Math.round(fraction * reference.ms * SPAN) }
        : trial % 4 === 1
          ? { afterWritingMs: Math.round(fraction * reference.writingMs) }
          : { afterFirstOutputMs: Math.round(Math.random() * reference.writingMs * 0.25) };
    const run = await runBuild(out, kill);
    const delay =
      'afterMs' in kill
        ? `${kill.afterMs}ms`
        : 'afterWritingMs' in kill
          ? `writing+${kill.afterWritingMs}ms`
          : `first-output+${kill.afterFirstOutputMs}ms`;
    const present = await checkWhole(out, referenceFacts);
    outcomes.push(`${delay}:${run.signal ?? run.code}:${present.join('+') || 'none'}`);
    assert.equal(await sha256File(inputs.iso), inputDigest, `trial ${trial} changed the input ISO`);
    await rm(out, { recursive: true, force: true });
  }
  // Kills must land before the end and while outputs were being written, or the test proved nothing.
  assert.ok(
    outcomes.some((outcome) => outcome.includes('SIGKILL')),
    outcomes.join(' '),
  );
  assert.ok(
    outcomes.some((outcome) => !outcome.endsWith(':none')),
    outcomes.join(' '),
  );
  console.log(
    `reference ${Math.round(reference.ms)} ms (writing ${Math.round(reference.writingMs)} ms); trials: ${outcomes.join(' ')}`,
  );
});
