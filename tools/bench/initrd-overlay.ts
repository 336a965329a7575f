/**
 * Benchmark (not a test): `hostmirror initrd build` against the classic shell pipelines on real
 * binaries from Debian packages installed here. Usage (from the repository root):
 *
 *   node --import tsx tools/bench/initrd-overlay.ts [--sizes 100,300] [--repeat 3] [--keep]
 *
 * For each input size (MiB) it stages a tree of real binaries, then runs, one after the other:
 *   hostmirror initrd build (gzip, zstd)    node --import tsx packages/cli/src/main.ts …, the same
 *                                           process `pnpm hostmirror` starts (pnpm left out so
 *                                           that its own start-up is not timed)
 *   the library with `parallel: false` (overlay-single-stream.ts): gzip as one stream, "before"
 *   find | cpio -o -H newc | gzip -6 / pigz -6 / zstd -3
 * and prints wall time, CPU time (user + system), output size, size and time ratios to each
 * peer, and peak RSS (`/usr/bin/time -f %M`, the largest process of each pipeline).
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, requireTool, runOk } from '@hostmirror/fixtures';
import { cliNodeArgs } from './cli-command.ts';
import { MiB } from './harness.ts';
import { type StagedInput, stageInput } from './stage-binaries.ts';

interface Measured {
  name: string;
  wallS: number;
  /** User + system CPU seconds of the whole pipeline: less sensitive to a busy machine. */
  cpuS: number;
  maxRssKiB: number;
  outBytes: number;
}

async function measure(
  name: string,
  script: string,
  cwd: string,
  outPath: string,
): Promise<Measured> {
  const time = await requireTool('time');
  const timeFile = `${outPath}.time`;
  await runOk(time, ['-f', '%e %M %U %S', '-o', timeFile, '/bin/sh', '-ec', script], {
    cwd,
    timeoutMs: 30 * 60_000,
  });
  const [wall, rss, user, system] = (await readFile(timeFile, 'utf8'))
    .trim()
    .split(/\s+/)
    .map(Number);
  const outBytes = (await stat(outPath)).size;
  return {
    name,
    wallS: wall ?? Number.NaN,
    cpuS: (user ?? Number.NaN) + (system ?? Number.NaN),
    maxRssKiB: rss ?? Number.NaN,
    outBytes,
  };
}

function ratio(a: number, b: number): string {
  return `${(a / b).toFixed(3)}×`;
}

async function benchSize(sizeMiB: number, repeat: number, keep: boolean): Promise<Measured[]> {
  const root = await mkdtemp(join(tmpdir(), `hm-bench-${sizeMiB}-`));
  try {
    const input = await stageInput(sizeMiB * MiB, root);
    // Warm the page cache so that the first contender does not pay for the disk.
    await runOk('/bin/sh', ['-c', 'find . -type f -exec cat {} + > /dev/null'], {
      cwd: input.dir,
      timeoutMs: 10 * 60_000,
    });
    const cli = `node ${cliNodeArgs().join(' ')}`; // HOSTMIRROR_CLI=built: the built CLI
    const cpio = 'find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet';
    const out = (name: string) => join(root, name);
    const runs: [string, string, string][] = [
      [
        'hostmirror gzip',
        `cd ${repoRoot} && ${cli} initrd build ${input.specPath} -o ${out('hm.gz')} --compress gzip --level 6 -f`,
        out('hm.gz'),
      ],
      [
        'hostmirror gzip 1 segment',
        `cd ${repoRoot} && node --import tsx tools/bench/overlay-single-stream.ts ${input.specPath} ${out('hm1.gz')} gzip 6`,
        out('hm1.gz'),
      ],
      [
        'hostmirror zstd',
        `cd ${repoRoot} && ${cli} initrd build ${input.specPath} -o ${out('hm.zst')} --compress zstd --level 3 -f`,
        out('hm.zst'),
      ],
      ['cpio → gzip -6', `${cpio} | gzip -6n > ${out('gz')}`, out('gz')],
      ['cpio → pigz -6', `${cpio} | pigz -6n > ${out('pigz')}`, out('pigz')],
      ['cpio → zstd -3', `${cpio} | zstd -q -3 > ${out('zst')}`, out('zst')],
    ];
    const results: Measured[] = [];
    // Round-robin repeats: the machine is shared, so each figure is the fastest of `repeat`
    // runs (peak RSS: the largest), and a burst of load hits every contender alike.
    const rounds: Measured[][] = [];
    for (let round = 0; round < repeat; round += 1) {
      const measured: Measured[] = [];
      for (const [name, script, outPath] of runs)
        measured.push(await measure(name, script, input.dir, outPath));
      rounds.push(measured);
    }
    for (const [index, [name]] of runs.entries()) {
      const all = rounds.map((round) => round[index]).filter((m): m is Measured => m !== undefined);
      results.push({
        name,
        wallS: Math.min(...all.map((m) => m.wallS)),
        cpuS: Math.min(...all.map((m) => m.cpuS)),
        maxRssKiB: Math.max(...all.map((m) => m.maxRssKiB)),
        outBytes: all[0]?.outBytes ?? Number.NaN,
      });
    }
    printTable(sizeMiB, input, results);
    return results;
  } finally {
    if (keep) console.log(`kept ${root}`);
    else await rm(root, { recursive: true, force: true });
  }
}

function printTable(sizeMiB: number, input: StagedInput, results: Measured[]): void {
  const byName = new Map(results.map((r) => [r.name, r]));
  const peersOf: Record<string, string[]> = {
    'hostmirror gzip': ['cpio → gzip -6', 'cpio → pigz -6'],
    'hostmirror gzip 1 segment': ['cpio → gzip -6', 'cpio → pigz -6'],
    'hostmirror zstd': ['cpio → zstd -3'],
  };
  console.log(
    `\n## input ~${sizeMiB} MiB: ${input.files} files, ${(input.bytes / MiB).toFixed(1)} MiB` +
      `: ${input.sources.join(', ')}`,
  );
  console.log(
    '| run | wall s | CPU s | MiB/s in | output bytes | peak RSS MiB | size vs peer | wall vs peer | CPU vs peer |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---|---|---|');
  for (const r of results) {
    const peers = (peersOf[r.name] ?? [])
      .map((peerName) => byName.get(peerName))
      .filter((p): p is Measured => p !== undefined);
    const size = peers.map((p) => `${ratio(r.outBytes, p.outBytes)} ${p.name}`).join('; ');
    const time = peers.map((p) => `${ratio(r.wallS, p.wallS)} ${p.name}`).join('; ');
    const cpu = peers.map((p) => `${ratio(r.cpuS, p.cpuS)} ${p.name}`).join('; ');
    console.log(
      `| ${r.name} | ${r.wallS.toFixed(2)} | ${r.cpuS.toFixed(2)} | ${(input.bytes / MiB / r.wallS).toFixed(1)} | ` +
        `${r.outBytes} | ${(r.maxRssKiB / 1024).toFixed(1)} | ${size || '–'} | ${time || '–'} | ${cpu || '–'} |`,
    );
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: '100,300' },
      repeat: { type: 'string', default: '3' },
      keep: { type: 'boolean' },
    },
  });
  for (const tool of ['cpio', 'gzip', 'pigz', 'zstd', 'time'] as const) await requireTool(tool);
  const sizes = (values.sizes ?? '').split(',').map(Number);
  const all: Record<number, Measured[]> = {};
  const repeat = Math.max(1, Number(values.repeat));
  console.log(
    `load average before: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (const size of sizes) all[size] = await benchSize(size, repeat, values.keep === true);
  console.log(
    `\nload average after: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  if (sizes.length > 1) {
    console.log('\n## peak RSS by input size (MiB)');
    console.log(`| run | ${sizes.map((s) => `~${s} MiB in`).join(' | ')} |`);
    console.log(`|---|${sizes.map(() => '---:').join('|')}|`);
    const names = (all[sizes[0] ?? 0] ?? []).map((r) => r.name);
    for (const name of names)
      console.log(
        `| ${name} | ${sizes
          .map((s) => ((all[s]?.find((r) => r.name === name)?.maxRssKiB ?? 0) / 1024).toFixed(1))
          .join(' | ')} |`,
      );
  }
}

await main();
