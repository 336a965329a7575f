/**
 * Start-up of the `hostmirror` command: tsx (`pnpm hostmirror`, src/) against the built
 * JavaScript (`pnpm build`, dist/, as the published package runs). Run `pnpm build` first.
 *
 *   node --import tsx tools/bench/cli-startup/run.ts [--runs 5]
 *
 * Each command runs `--runs` times, the variants interleaved so that the machine's load falls on
 * both alike (and a bare `node -e ""` beside them); the figure is the median wall time of the
 * whole process, spawn to exit.
 * `iso inspect` reads a small CoreOS-layout ISO made by packages/fixtures/src/coreos-iso.ts (xorriso).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeCoreosIso, repoRoot } from '@hostmirror/fixtures';
import { type CliVariant, cliNodeArgs } from '../cli-command.ts';

const variants: CliVariant[] = ['tsx', 'built'];

function wallMs(args: readonly string[]): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, { cwd: repoRoot, stdio: 'ignore' });
  const elapsed = performance.now() - started;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} exited with ${run.status}`);
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' } } });
  const runs = Number(values.runs);
  const work = await mkdtemp(join(tmpdir(), 'hm-startup-'));
  try {
    const iso = await makeCoreosIso({ output: join(work, 'small.iso') });
    const commands: [string, string[]][] = [
      ['--help', ['--help']],
      ['mirror inspect --help', ['mirror', 'inspect', '--help']],
      ['iso inspect SMALL.iso', ['iso', 'inspect', iso.path]],
    ];
    const rows: string[] = [];
    const bare: number[] = [];
    for (const [label, args] of commands) {
      const times = new Map<CliVariant, number[]>(variants.map((variant) => [variant, []]));
      for (let run = 0; run < runs; run++) {
        bare.push(wallMs(['-e', '']));
        for (const variant of variants)
          times.get(variant)?.push(wallMs([...cliNodeArgs(variant), ...args]));
      }
      const [tsx, built] = variants.map((variant) => median(times.get(variant) ?? []));
      rows.push(
        `| ${label} | ${tsx?.toFixed(0)} | ${built?.toFixed(0)} | ${((tsx ?? 0) / (built ?? 1)).toFixed(1)}× |`,
      );
    }
    process.stdout.write(
      `median of ${runs}, load average ${loadavg()[0]?.toFixed(1)}; node -e "" alone: ${median(bare).toFixed(0)} ms\n` +
        `| command | tsx ms | built ms | tsx / built |\n| --- | ---: | ---: | ---: |\n${rows.join('\n')}\n`,
    );
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

await main();
