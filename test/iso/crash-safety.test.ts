/**
 * In-place edits under real faults (issue #20 finding 4). The real CLI runs under strace,
 * which kills it (SIGKILL) at each write-like syscall of `iso embed --in-place` and
 * `iso append-initrd --in-place` in turn — every pwrite64, ftruncate, rename and unlink, and the
 * journal's fsync — or fails one pwrite64 with EIO. After each fault the ISO must be the old one, the new one,
 * or torn in a way `iso inspect` reports (exit 1, TORN); the same command run again must then
 * give exactly the new ISO (never a second append), and `iso inspect` must find it consistent.
 * libuv's pool is one thread (UV_THREADPOOL_SIZE=1) so strace's per-thread syscall counts name
 * the same write on every run.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  hostmirrorNodeArgs,
  makeCoreosIso,
  repoRoot,
  requireTool,
  scratchDir,
} from '@hostmirror/fixtures';
import { runCliCaptured } from '../../packages/cli/src/capture.ts';
import { writeNewc } from '../../packages/cpio-stream/src/index.ts';
import { CoreosIso, lockIso } from '../../packages/iso/src/index.ts';

let dir: { path: string; dispose: () => Promise<void> };
let pristine: string;
let strace: string;
/** The command as `pnpm hostmirror` runs it (the CLI bundle): these tests are about the process. */
const cli = hostmirrorNodeArgs;
const env = { ...process.env, UV_THREADPOOL_SIZE: '1' };

const sha = async (path: string) =>
  createHash('sha256')
    .update(await readFile(path))
    .digest('hex');

async function newcArchive(name: string, text: string): Promise<string> {
  const path = join(dir.path, `${name}.cpio`);
  const chunks: Buffer[] = [];
  for await (const chunk of writeNewc([
    { path: 'hostmirror', type: 'directory', mode: 0o755 },
    { path: `hostmirror/${name}`, type: 'file', mode: 0o644, data: Buffer.from(text) },
  ]))
    chunks.push(chunk as Buffer);
  await writeFile(path, Buffer.concat(chunks));
  return path;
}

before(async () => {
  strace = await requireTool('strace');
  await requireTool('flock');
  dir = await scratchDir('crash');
  pristine = join(dir.path, 'pristine.iso');
  await makeCoreosIso({ output: pristine });
  await writeFile(join(dir.path, 'config.ign'), '{"ignition":{"version":"3.4.0"}}\n');
});
after(() => dir.dispose());

interface Case {
  name: string;
  args: (iso: string) => string[];
}

const cases = (): Case[] => [
  {
    name: 'embed',
    args: (iso) => [
      'iso',
      'embed',
      iso,
      '--ignition',
      join(dir.path, 'config.ign'),
      '--kargs-append',
      'hostmirror.test=1',
      '--in-place',
    ],
  },
  {
    name: 'append-initrd',
    args: (iso) => [
      'iso',
      'append-initrd',
      iso,
      '--archive',
      join(dir.path, 'a.cpio'),
      '--in-place',
    ],
  },
];

/** Syscalls that change the ISO or its journal, and how often one clean run makes each. */
const WRITE_SYSCALLS = ['pwrite64', 'ftruncate', 'fsync', 'fdatasync', 'rename', 'unlink'];

async function countSyscalls(iso: string, args: string[]): Promise<Map<string, number>> {
  const log = `${iso}.strace`;
  const run = spawnSync(
    strace,
    [
      '-f',
      '-qq',
      '-o',
      log,
      '-e',
      `trace=${WRITE_SYSCALLS.join(',')}`,
      process.execPath,
      ...cli,
      ...args,
    ],
    { cwd: repoRoot, env, encoding: 'utf8' },
  );
  assert.equal(run.status, 0, run.stderr);
  // One worker thread makes every one of these calls (strace counts per thread).
  const counts = new Map<string, number>();
  for (const line of (await readFile(log, 'utf8')).split('\n')) {
    const name = /^\d+\s+(\w+)\(/.exec(line)?.[1];
    if (name !== undefined) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  return counts;
}

function underFault(args: string[], inject: string) {
  const child = spawn(
    strace,
    ['-f', '-qq', '-o', '/dev/null', '-e', `inject=${inject}`, process.execPath, ...cli, ...args],
    { cwd: repoRoot, env },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise<{ status: number | null; signal: string | null; stderr: string }>((resolve) =>
    child.on('close', (status, signal) => resolve({ status, signal, stderr })),
  );
}

/** Run `work` on every item, three at a time (each trial mostly waits on its child). */
async function threeAtATime<T>(items: T[], work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await work(items[next++] as T);
  };
  await Promise.all([lane(), lane(), lane()]);
}

let tornSeen = 0;

const leftovers = async (iso: string) =>
  (await readdir(dir.path)).filter(
    (name) => name.startsWith(basename(iso)) && /hostmirror-(journal|lock)/.test(name),
  );

async function expectRecoverable(
  iso: string,
  args: string[],
  oldSha: string,
  newSha: string,
  label: string,
) {
  const state = await sha(iso);
  const inspect = await runCliCaptured(['iso', 'inspect', iso]);
  let kind: 'old' | 'new' | 'torn';
  if (inspect.stdout.startsWith('TORN:') || /is torn/.test(inspect.stderr)) kind = 'torn';
  else {
    assert.ok(
      state === oldSha || state === newSha,
      `${label}: neither old nor new, and not reported torn: ${inspect.stdout.slice(0, 300)}${inspect.stderr}`,
    );
    assert.equal(inspect.code, 0, inspect.stdout + inspect.stderr);
    kind = state === oldSha ? 'old' : 'new';
  }
  if (kind === 'torn') {
    assert.equal(inspect.code, 1);
    // Every other torn ISO is repaired first (back to the old bytes), the rest rerun directly.
    if (tornSeen++ % 2 === 0) {
      const repaired = await runCliCaptured(['iso', 'repair', iso]);
      assert.equal(repaired.code, 0, repaired.stdout + repaired.stderr);
      assert.match(repaired.stdout, /rolled back the interrupted `hostmirror iso /);
      assert.equal(await sha(iso), oldSha, `${label}: iso repair did not give the old ISO`);
    }
  }
  const rerun = await runCliCaptured(args);
  assert.equal(rerun.code, 0, rerun.stderr);
  assert.equal(await sha(iso), newSha, `after a ${kind} state the rerun did not give the new ISO`);
  assert.equal((await runCliCaptured(['iso', 'inspect', iso])).code, 0);
  assert.deepEqual(await leftovers(iso), []);
  return kind;
}

test('killAtEveryWrite: old, new or reported torn, and the rerun completes once', async () => {
  await newcArchive('a', 'archive a\n');
  const oldSha = await sha(pristine);
  for (const { name, args } of cases()) {
    const expected = join(dir.path, `${name}-expected.iso`);
    await copyFile(pristine, expected);
    const counts = await countSyscalls(expected, args(expected));
    const newSha = await sha(expected);
    assert.ok(
      (counts.get('pwrite64') ?? 0) >= (name === 'embed' ? 3 : 8),
      JSON.stringify([...counts]),
    );
    // A kill at an fsync leaves the same files as a kill at the next write-like call (the page
    // cache survives a killed process), except the first: the journal written but not renamed.
    const trials = [...counts].flatMap(([syscall, count]) =>
      Array.from({ length: syscall === 'fsync' ? Math.min(count, 1) : count }, (_, index) => ({
        syscall,
        n: index + 1,
      })),
    );
    const seen: Record<string, number> = {};
    await threeAtATime(trials, async ({ syscall, n }) => {
      const iso = join(dir.path, `${name}-${syscall}-${n}.iso`);
      await copyFile(pristine, iso);
      const run = await underFault(args(iso), `${syscall}:signal=KILL:when=${n}`);
      assert.ok(
        run.signal === 'SIGKILL' || run.status === 137,
        `${name}: ${syscall} #${n} did not kill (${run.status})`,
      );
      const kind = await expectRecoverable(
        iso,
        args(iso),
        oldSha,
        newSha,
        `${name} ${syscall} #${n}`,
      );
      seen[kind] = (seen[kind] ?? 0) + 1;
    });
    // The kills landed before, inside and after the journaled window.
    assert.ok(
      (seen.torn ?? 0) > 0 && (seen.old ?? 0) > 0 && (seen.new ?? 0) > 0,
      JSON.stringify(seen),
    );
    console.log(
      `# ${name}: ${trials.length} kill points ${JSON.stringify(Object.fromEntries(counts))} → ${JSON.stringify(seen)}`,
    );
  }
});

test('eioAtPwrite: a typed WRITE_FAILED, the old ISO back, no journal left', async () => {
  await newcArchive('a', 'archive a\n');
  const oldSha = await sha(pristine);
  // The first write (new extent / Ignition area) and the last patch:
  // every pwrite64 goes through the same roll-back, killAtEveryWrite covers each of them.
  const points = { embed: [1, 3], 'append-initrd': [1, 10] } as Record<string, number[]>;
  const trials = cases().flatMap((entry) =>
    (points[entry.name] ?? []).map((n) => ({ ...entry, n })),
  );
  await threeAtATime(trials, async ({ name, args, n }) => {
    const iso = join(dir.path, `eio-${name}-${n}.iso`);
    await copyFile(pristine, iso);
    const run = await underFault(args(iso), `pwrite64:error=EIO:when=${n}`);
    assert.equal(run.status, 1, `${name} pwrite64 #${n}: ${run.stderr}`);
    assert.match(
      run.stderr,
      /hostmirror: Writing .* failed \(EIO\); the ISO was restored to its state before the edit\./,
    );
    assert.doesNotMatch(run.stderr, /\n\s+at /, 'a stack trace');
    assert.equal(await sha(iso), oldSha, `${name} pwrite64 #${n} left a changed ISO`);
    assert.deepEqual(await leftovers(iso), []);
  });
});

function cliProcess(args: string[]) {
  const child = spawn(process.execPath, [...cli, ...args], { cwd: repoRoot, env });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on('close', (code) => resolve({ code, stderr })),
  );
}

test('concurrentAppends: three in-place appends at once all land, one after the other', async () => {
  const names = ['a', 'b', 'c'];
  const archives = await Promise.all(names.map((name) => newcArchive(name, `archive ${name}\n`)));
  const iso = join(dir.path, 'concurrent.iso');
  await copyFile(pristine, iso);
  const results = await Promise.all(
    archives.map((archive) =>
      cliProcess([
        'iso',
        'append-initrd',
        iso,
        '--archive',
        archive,
        '--in-place',
        '--lock-wait',
        '60',
      ]),
    ),
  );
  for (const result of results) assert.equal(result.code, 0, result.stderr);
  const opened = await CoreosIso.open(iso);
  try {
    const initrd = await opened.image.readFile(
      await opened.image.require('images/pxeboot/initrd.img'),
    );
    for (const [index, archive] of archives.entries())
      assert.ok(initrd.includes(await readFile(archive)), `archive ${names[index]} was lost`);
    assert.deepEqual(await opened.checkLayout(), []);
  } finally {
    await opened.close();
  }
});

test('lockHeld: --lock-wait 0 refuses naming the holder; a waiting editor gets the lock', async () => {
  const iso = join(dir.path, 'held.iso');
  await copyFile(pristine, iso);
  await mkdir(join(dir.path, 'unused'), { recursive: true });
  const lock = await lockIso(iso, { command: 'iso test-holder', waitSeconds: 0 });
  let released = false;
  try {
    const refused = await runCliCaptured([
      'iso',
      'kargs',
      iso,
      '--append',
      'x=1',
      '--in-place',
      '--lock-wait',
      '0',
    ]);
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      new RegExp(`being edited in place by pid ${process.pid} \\(\`hostmirror iso test-holder\``),
    );
    const waiting = runCliCaptured([
      'iso',
      'kargs',
      iso,
      '--append',
      'x=1',
      '--in-place',
      '--lock-wait',
      '20',
    ]);
    setTimeout(() => {
      released = true;
      void lock.release();
    }, 300);
    assert.equal((await waiting).code, 0);
    assert.ok(released, 'the waiting editor ran before the lock was released');
  } finally {
    await lock.release();
  }
});
