/**
 * Benchmark (not a test): `hostmirror build-iso` on a 1 GiB CoreOS-layout ISO with a ~30 MiB
 * registry program, side by side with what it must at least do: `cp` of the ISO plus `pigz`
 * of the program (both synced to disk). Usage (from the repository root):
 *
 *   node --import tsx tools/bench/build-iso/run.ts [--iso-mib 1024] [--program-mib 30] [--runs 3]
 *
 * The ISO comes from packages/fixtures/src/coreos-iso.ts (isohybrid MBR + GPT, rootfs.img filling it up);
 * the program is Debian's docker-registry followed by skopeo, cut to size (real machine code,
 * so it compresses as a registry binary does); configs and archive are the demo's. Runs are
 * the CLI as `pnpm hostmirror` starts it (`node tools/hostmirror.mjs`: the bundle), gzip
 * with random TLS keys and gzip seeded (`--tls-seed-file` + SOURCE_DATE_EPOCH: reproducible).
 * Each round runs every row once, the floor first; ratios are to that round's floor. Wall and
 * CPU (user + system) time are medians with their range, peak RSS from `/usr/bin/time -f %M`.
 * HOSTMIRROR_BENCH_BASELINE=DIR adds a row for another checkout's CLI (the "before" of a change).
 * Results: README.md beside this file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeCoreosIso, repoRoot, requireTool, runOk } from '@hostmirror/fixtures';
import { cliNodeArgs } from '../cli-command.ts';
import { loadNow, type Measure, MiB, medianRange, timed } from '../harness.ts';
import { stageBuildIsoInputs } from './inputs.ts';

const timeout = 900_000;

const { values } = parseArgs({
  options: {
    'iso-mib': { type: 'string', default: '1024' },
    'program-mib': { type: 'string', default: '30' },
    runs: { type: 'string', default: '3' },
  },
});
const isoMiB = Number(values['iso-mib']);
const programMiB = Number(values['program-mib']);
const runs = Number(values.runs);
const pigz = await requireTool('pigz', 'pigz');
const work = await mkdtemp(join(tmpdir(), 'hm-bench-build-iso-'));
try {
  const iso = await makeCoreosIso({
    output: join(work, 'base.iso'),
    busybox: true,
    rootfsSize: isoMiB * MiB - 8 * MiB,
  });
  const { program, seededEnv, args } = await stageBuildIsoInputs(work, iso.path, programMiB);
  const { SOURCE_DATE_EPOCH: _unset, ...plainEnv } = process.env;
  const cli = (launcher: string[], out: string, compress: string, seeded = false) => [
    ...launcher,
    ...args(out, { compress, seeded }),
  ];
  const ours = cliNodeArgs(); // HOSTMIRROR_CLI=tsx: the sources through tsx
  // HOSTMIRROR_BENCH_BASELINE=DIR: also time another checkout's `pnpm hostmirror` (its
  // tools/hostmirror.mjs), in the same rounds: the "before" of a change, side by side.
  const baselineDir = process.env.HOSTMIRROR_BENCH_BASELINE;
  const baseline =
    baselineDir === undefined ? undefined : [join(baselineDir, 'tools/hostmirror.mjs')];
  const floor = () =>
    timed('/bin/sh', [
      '-c',
      `cp "$1" "$2/cp.iso" && sync "$2/cp.iso" && "$3" -6 -c "$4" > "$2/p.gz" && sync "$2/p.gz"`,
      'sh',
      iso.path,
      work,
      pigz,
      program,
    ]);
  const rows: [string, () => Promise<Measure>][] = [
    ['cp ISO + sync, pigz -6 program + sync (floor)', floor],
    [
      'build-iso --compress gzip',
      () => timed(process.execPath, cli(ours, join(work, 'gzip.iso'), 'gzip'), { env: plainEnv }),
    ],
    [
      'build-iso gzip, seeded (--tls-seed-file, SOURCE_DATE_EPOCH)',
      () =>
        timed(process.execPath, cli(ours, join(work, 'seeded.iso'), 'gzip', true), {
          env: seededEnv,
        }),
    ],
  ];
  if (baseline !== undefined)
    rows.push([
      'baseline: build-iso gzip, seeded',
      () =>
        timed(process.execPath, cli(baseline, join(work, 'baseline-out.iso'), 'gzip', true), {
          env: seededEnv,
        }),
    ]);
  // Make each CLI's bundle current first, so no timed run pays for a rebuild.
  for (const launcher of [ours, ...(baseline === undefined ? [] : [baseline])])
    await runOk(process.execPath, [...launcher, '--version'], {
      timeoutMs: timeout,
      cwd: repoRoot,
    });
  const measures: Measure[][] = rows.map(() => []);
  for (let run = 0; run < runs; run++) {
    for (const [index, [, measure]] of rows.entries()) {
      await rm(join(work, 'cp.iso'), { force: true });
      measures[index]?.push(await measure());
    }
  }
  const floorSeconds = measures[0]?.map((m) => m.seconds) ?? [];
  const fmt = medianRange;
  console.log(
    `ISO ${isoMiB} MiB, program ${programMiB} MiB, ${runs} rounds (each row once per round; median (range)); load average ${loadNow()}`,
  );
  console.log('| run | wall s | ÷ floor of the round | CPU s | peak RSS MiB |');
  console.log('|---|---:|---:|---:|---:|');
  for (const [index, [label]] of rows.entries()) {
    const list = measures[index] ?? [];
    const ratios = list.map((m, round) => m.seconds / (floorSeconds[round] ?? Number.NaN));
    console.log(
      `| ${label} | ${fmt(list.map((m) => m.seconds))} | ${fmt(ratios)}× | ${fmt(list.map((m) => m.cpuSeconds))} | ${fmt(
        list.map((m) => m.rssMiB),
        0,
      )} |`,
    );
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
