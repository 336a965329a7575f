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
 * the CLI as `pnpm hostmirror` starts it (node + tsx), without SOURCE_DATE_EPOCH (random TLS
 * keys) and with it (seeded keys). Wall and CPU (user + system) time are medians, peak RSS
 * from `/usr/bin/time -f %M`.
 * Results: README.md beside this file.
 */
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeCoreosIso, repoRoot, requireTool, runOk, writeDemoInputs } from '@hostmirror/fixtures';
import { cliNodeArgs } from '../cli-command.ts';

const MiB = 1024 * 1024;
const timeout = 900_000;

interface Measure {
  seconds: number;
  /** User + system CPU seconds: steadier than wall time on a shared machine. */
  cpuSeconds: number;
  rssMiB: number;
}

async function timed(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<Measure> {
  const result = await runOk('/usr/bin/time', ['-f', '%e %M %U %S', command, ...args], {
    timeoutMs: timeout,
    cwd: repoRoot,
    env,
  });
  const last = result.stderr.toString().trim().split('\n').at(-1) ?? '';
  const [seconds, kib, user, system] = last.split(' ').map(Number);
  return {
    seconds: seconds ?? Number.NaN,
    cpuSeconds: (user ?? Number.NaN) + (system ?? Number.NaN),
    rssMiB: (kib ?? 0) / 1024,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

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
const registry = await requireTool('docker-registry');
const skopeo = await requireTool('skopeo');
const work = await mkdtemp(join(tmpdir(), 'hm-bench-build-iso-'));
try {
  const iso = await makeCoreosIso({
    output: join(work, 'base.iso'),
    busybox: true,
    rootfsSize: isoMiB * MiB - 8 * MiB,
  });
  const program = join(work, 'registry');
  await runOk(
    '/bin/sh',
    ['-c', `cat "$1" "$2" | head -c ${programMiB * MiB} > "$3"`, 'sh', registry, skopeo, program],
    { timeoutMs: 60_000 },
  );
  await chmod(program, 0o755);
  const inputs = await writeDemoInputs(join(work, 'inputs'), 1_700_000_000);
  const { SOURCE_DATE_EPOCH: _unset, ...plainEnv } = process.env;
  const cli = (out: string, compress: string) => [
    ...cliNodeArgs(), // HOSTMIRROR_CLI=built: the built CLI
    'build-iso',
    '--iso',
    iso.path,
    '--install-config',
    inputs.installConfig,
    '--agent-config',
    inputs.agentConfig,
    '--mirror',
    inputs.archive,
    '--registry-binary',
    program,
    '--compress',
    compress,
    '-o',
    out,
    '-f',
    '--json',
  ];
  const rows: [string, Measure[]][] = [
    ['cp ISO + sync, pigz program + sync', []],
    ['build-iso --compress zstd', []],
    ['build-iso --compress gzip', []],
    ['build-iso --compress zstd, SOURCE_DATE_EPOCH (seeded TLS)', []],
  ];
  for (let run = 0; run < runs; run++) {
    rows[0]?.[1].push(
      await timed('/bin/sh', [
        '-c',
        `cp "$1" "$2/cp.iso" && sync "$2/cp.iso" && "$3" -c "$4" > "$2/p.gz" && sync "$2/p.gz"`,
        'sh',
        iso.path,
        work,
        pigz,
        program,
      ]),
    );
    rows[1]?.[1].push(await timed(process.execPath, cli(join(work, 'zstd.iso'), 'zstd'), plainEnv));
    rows[2]?.[1].push(await timed(process.execPath, cli(join(work, 'gzip.iso'), 'gzip'), plainEnv));
    rows[3]?.[1].push(
      await timed(process.execPath, cli(join(work, 'seeded.iso'), 'zstd'), {
        ...plainEnv,
        SOURCE_DATE_EPOCH: '1700000000',
      }),
    );
  }
  const base = median(rows[0]?.[1].map((m) => m.seconds) ?? []);
  console.log(
    `ISO ${isoMiB} MiB, program ${programMiB} MiB, ${runs} runs (median wall, ratio, median CPU, max RSS)`,
  );
  for (const [label, measures] of rows) {
    const seconds = median(measures.map((m) => m.seconds));
    const cpu = median(measures.map((m) => m.cpuSeconds));
    const rss = Math.max(...measures.map((m) => m.rssMiB));
    console.log(
      `${label.padEnd(58)} ${seconds.toFixed(2).padStart(7)} s  ${(seconds / base).toFixed(2).padStart(5)}×  ${cpu.toFixed(2).padStart(6)} s CPU  ${rss.toFixed(0).padStart(5)} MiB`,
    );
  }
} finally {
  await rm(work, { recursive: true, force: true });
}
