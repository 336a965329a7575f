/**
 * Start-up of the `hostmirror` command, whole process from spawn to exit:
 *
 *   - `pnpm hostmirror …` — the README's command: the launcher tools/hostmirror.mjs checks the
 *     bundle's inputs and runs packages/cli/dist/bin/hostmirror.js (tools/bundle-cli.ts);
 *   - `node packages/cli/dist/bin/hostmirror.js …` — the bundle alone, as the published bin runs;
 *   - `node --import tsx packages/cli/src/main.ts …` — the sources through tsx (`pnpm hostmirror:src`);
 *   - `node -e ""` — bare Node, the floor.
 *
 *   node --import tsx tools/bench/cli-startup/run.ts [--runs 5]
 *
 * Each command runs `--runs` times, the variants interleaved so that the machine's load falls on
 * all alike; the figures are the median wall and CPU (user + system, `/usr/bin/time`) times, and
 * their ratios to bare Node of the same rounds (CPU is the steadier one on a shared machine).
 * `iso inspect` reads a small CoreOS-layout ISO made by packages/fixtures/src/coreos-iso.ts (xorriso).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { hostmirrorNodeArgs, makeCoreosIso, repoRoot } from '@hostmirror/fixtures';
import { loadNow, median } from '../harness.ts';

function findPnpm(): string {
  const local = join(repoRoot, '.tools', 'node_modules', '.bin', 'pnpm');
  return existsSync(local) ? local : 'pnpm';
}

interface Variant {
  label: string;
  command(args: readonly string[]): [string, string[]];
}

const pnpm = findPnpm();
const variants: Variant[] = [
  { label: 'node -e ""', command: () => [process.execPath, ['-e', '']] },
  {
    label: 'pnpm hostmirror',
    command: (args) => [pnpm, ['--silent', 'hostmirror', ...args]],
  },
  {
    label: 'bundle',
    command: (args) => [process.execPath, ['packages/cli/dist/bin/hostmirror.js', ...args]],
  },
  {
    label: 'tsx (src)',
    command: (args) => [process.execPath, ['--import', 'tsx', 'packages/cli/src/main.ts', ...args]],
  },
];

interface Timing {
  wallMs: number;
  /** User + system CPU of the process (and its children): steadier than wall time under load. */
  cpuMs: number;
}

/** One run under /usr/bin/time: wall and CPU time of the whole process tree. */
function timed([command, args]: [string, string[]]): Timing {
  const run = spawnSync('/usr/bin/time', ['-f', '%e %U %S', command, ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (run.status !== 0)
    throw new Error(`${command} ${args.join(' ')} exited with ${run.status}: ${run.stderr}`);
  const [wall = Number.NaN, user = Number.NaN, system = Number.NaN] = (
    run.stderr.trim().split('\n').at(-1) ?? ''
  )
    .split(' ')
    .map(Number);
  return { wallMs: wall * 1000, cpuMs: (user + system) * 1000 };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
  const runs = Number(values.runs);
  const work = await mkdtemp(join(tmpdir(), 'hm-startup-'));
  try {
    const iso = await makeCoreosIso({ output: join(work, 'small.iso') });
    // Make the bundle current first, so that no timed run pays for a rebuild.
    timed([process.execPath, [...hostmirrorNodeArgs, '--version']]);
    const commands: [string, string[]][] = [
      ['--help', ['--help']],
      ['mirror inspect --help', ['mirror', 'inspect', '--help']],
      ['iso inspect SMALL.iso', ['iso', 'inspect', iso.path]],
    ];
    const rows: string[] = [];
    for (const [label, args] of commands) {
      const times = variants.map(() => [] as Timing[]);
      for (let run = 0; run < runs; run++) {
        for (const [index, variant] of variants.entries())
          times[index]?.push(timed(variant.command(args)));
      }
      const wall = times.map((list) => median(list.map((time) => time.wallMs)));
      const cpu = times.map((list) => median(list.map((time) => time.cpuMs)));
      const [bareWall = 1, bareCpu = 1] = [wall[0], cpu[0]];
      const cells = wall
        .map((ms, index) =>
          index === 0
            ? `${ms.toFixed(0)} / ${bareCpu.toFixed(0)}`
            : `${ms.toFixed(0)} / ${(cpu[index] ?? 0).toFixed(0)} (${(ms / bareWall).toFixed(2)}× / ${((cpu[index] ?? 0) / bareCpu).toFixed(2)}×)`,
        )
        .join(' | ');
      rows.push(`| \`hostmirror ${label}\` | ${cells} |`);
    }
    const header = variants.map((variant) => `${variant.label}: wall / CPU ms`).join(' | ');
    process.stdout.write(
      `median of ${runs}, load average ${loadNow()}; in brackets the ratios to node -e "" of the same rounds\n` +
        `| command | ${header} |\n| --- |${' ---: |'.repeat(variants.length)}\n${rows.join('\n')}\n`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
