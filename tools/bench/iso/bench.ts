/**
 * Benchmark (not a test): `hostmirror iso append-initrd` and `iso embed` on a 1 GiB CoreOS-layout
 * ISO, side by side with `cp` of the same ISO. Usage (from the repository root):
 *
 *   node --import tsx tools/bench/iso/bench.ts [--iso-mib 1024] [--archive-mib 64] [--runs 3] [--keep]
 *
 * The ISO comes from packages/fixtures/src/coreos-iso.ts (isohybrid MBR + GPT, rootfs.img filling it up);
 * the archive is a newc cpio (system cpio) of random bytes, zstd-compressed. Every output is
 * synced to disk: `cp` is followed by `sync FILE`, ours fsyncs before the rename. The hostmirror
 * runs are `node --import tsx packages/cli/src/main.ts …`, the process `pnpm hostmirror` starts;
 * the start-up alone (`iso --help`) is measured too. Wall time is the median of the runs, peak
 * RSS from `/usr/bin/time -f %M`. Results: README.md beside this file.
 */
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeCoreosIso, requireTool, runOk } from '@hostmirror/fixtures';
import { CoreosIso } from '../../../packages/iso/src/index.ts';
import { cliNodeArgs, cliStartupLabel } from '../cli-command.ts';
import { loadNow, type Measure, MiB, median, timed } from '../harness.ts';

const timeout = 600_000;

/** The same operations through the library in this process: no node/tsx start-up in the time. */
async function libraryTimings(
  iso: string,
  archive: string,
  ignition: string,
  inPlace: string,
  out: string,
  runs: number,
): Promise<[string, number][]> {
  const config = await readFile(ignition);
  const cases: [string, (path: string) => Promise<void>, boolean][] = [
    [
      'embed --in-place',
      (path) =>
        withIso(path, async (coreos) =>
          coreos.write(await coreos.planEmbedIgnition(config), { kind: 'in-place' }),
        ),
      true,
    ],
    [
      'embed -o NEW',
      (path) =>
        withIso(path, async (coreos) =>
          coreos.write(await coreos.planEmbedIgnition(config), {
            kind: 'file',
            path: out,
            overwrite: true,
          }),
        ),
      false,
    ],
    [
      'append-initrd (verify + plan only)',
      (path) => withIso(path, async (coreos) => void (await coreos.planAppendInitrd([archive]))),
      false,
    ],
    [
      'append-initrd --in-place',
      (path) =>
        withIso(path, async (coreos) =>
          coreos.write((await coreos.planAppendInitrd([archive])).edit, { kind: 'in-place' }),
        ),
      true,
    ],
    [
      'append-initrd -o NEW',
      (path) =>
        withIso(path, async (coreos) =>
          coreos.write((await coreos.planAppendInitrd([archive])).edit, {
            kind: 'file',
            path: out,
            overwrite: true,
          }),
        ),
      false,
    ],
  ];
  const rows: [string, number][] = [];
  for (const [name, operation, onCopy] of cases) {
    const times: number[] = [];
    for (let run = 0; run < runs; run++) {
      if (onCopy) await copySynced(iso, inPlace);
      // Replacing the previous 1 GiB output would time its deletion too.
      await rm(out, { force: true });
      const start = performance.now();
      await operation(onCopy ? inPlace : iso);
      times.push(performance.now() - start);
    }
    rows.push([name, median(times)]);
  }
  return rows;
}

async function copySynced(from: string, to: string): Promise<void> {
  await copyFile(from, to);
  await runOk('sync', [to], { timeoutMs: timeout });
}

async function withIso(path: string, work: (iso: CoreosIso) => Promise<void>): Promise<void> {
  const iso = await CoreosIso.open(path);
  try {
    await work(iso);
  } finally {
    await iso.close();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'iso-mib': { type: 'string', default: '1024' },
      'archive-mib': { type: 'string', default: '64' },
      runs: { type: 'string', default: '3' },
      keep: { type: 'boolean' },
    },
  });
  const runs = Number(values.runs);
  const work = await mkdtemp(join(tmpdir(), 'hm-bench-iso-'));
  const [cpio, zstd] = await Promise.all([requireTool('cpio'), requireTool('zstd')]);
  try {
    const iso = join(work, 'base.iso');
    const rootfs = Number(values['iso-mib']) * MiB - 12 * MiB; // leaves room for the rest
    await makeCoreosIso({ output: iso, rootfsSize: rootfs });
    const tree = join(work, 'tree');
    await mkdir(join(tree, 'hostmirror'), { recursive: true });
    await runOk(
      '/bin/sh',
      [
        '-ec',
        `head -c ${Number(values['archive-mib']) * MiB} /dev/urandom > "$1"`,
        'sh',
        join(tree, 'hostmirror/blob'),
      ],
      { timeoutMs: timeout },
    );
    const archive = join(work, 'overlay.cpio.zst');
    await runOk(
      '/bin/sh',
      [
        '-ec',
        `cd "$1" && find hostmirror | "${cpio}" -o -H newc -R 0:0 --quiet | "${zstd}" -q -1 > "$2"`,
        'sh',
        tree,
        archive,
      ],
      { timeoutMs: timeout },
    );
    const ignition = join(work, 'config.ign');
    await writeFile(ignition, '{"ignition":{"version":"3.4.0"}}\n');
    const node = process.execPath;
    const cli = (...args: string[]) => [...cliNodeArgs(), ...args]; // HOSTMIRROR_CLI=built
    const copy = join(work, 'copy.iso');
    const out = join(work, 'out.iso');
    const inPlace = join(work, 'in-place.iso');
    const clean = async () => {
      await rm(copy, { force: true });
      await rm(out, { force: true });
    };
    const cp = () => timed('/bin/sh', ['-c', `cp "${iso}" "${copy}" && sync "${copy}"`]);
    // The copy is synced first: otherwise the run's own fsync would flush 1 GiB of dirty pages.
    const toInPlace = () => copySynced(iso, inPlace);
    const cases: [string, () => Promise<void>, () => Promise<Measure>][] = [
      [
        `${cliStartupLabel()} start-up (iso --help)`,
        async () => {},
        () => timed(node, cli('iso', '--help')),
      ],
      [
        'iso append-initrd -o NEW',
        clean,
        () => timed(node, cli('iso', 'append-initrd', iso, '--archive', archive, '-o', out)),
      ],
      [
        'iso embed -o NEW',
        clean,
        () => timed(node, cli('iso', 'embed', iso, '--ignition', ignition, '-o', out)),
      ],
      [
        'iso embed --in-place',
        toInPlace,
        () => timed(node, cli('iso', 'embed', inPlace, '--ignition', ignition, '--in-place')),
      ],
      [
        'iso append-initrd --in-place',
        toInPlace,
        () => timed(node, cli('iso', 'append-initrd', inPlace, '--archive', archive, '--in-place')),
      ],
    ];
    // Each run of each case is paired with a `cp` just before it, so a busy machine slows
    // both sides of a ratio alike; the table gives medians of the times and of the ratios.
    console.log(
      `ISO ${values['iso-mib']} MiB, archive ${values['archive-mib']} MiB (zstd of random bytes), median of ${runs}, load average ${loadNow()}`,
    );
    console.log('| run | wall s | cp s (paired) | ÷ cp | peak RSS MiB |');
    console.log('|---|---|---|---|---|');
    const middle = median;
    for (const [name, prepare, measure] of cases) {
      const ours: Measure[] = [];
      const copies: Measure[] = [];
      for (let run = 0; run < runs; run++) {
        await clean();
        copies.push(await cp());
        await prepare();
        ours.push(await measure());
      }
      const ratio = middle(ours.map((m, index) => m.seconds / (copies[index]?.seconds ?? 1)));
      console.log(
        `| ${name} | ${middle(ours.map((m) => m.seconds)).toFixed(2)} | ${middle(copies.map((m) => m.seconds)).toFixed(2)} | ${ratio.toFixed(2)} | ${Math.max(...ours.map((m) => m.rssMiB)).toFixed(0)} |`,
      );
    }
    const library = await libraryTimings(iso, archive, ignition, inPlace, out, runs);
    console.log('');
    console.log('In process (library calls, no start-up; open + plan + write; median):');
    console.log('| call | ms |');
    console.log('|---|---|');
    for (const [name, ms] of library) console.log(`| ${name} | ${ms.toFixed(0)} |`);
  } finally {
    if (!values.keep) await rm(work, { recursive: true, force: true });
    else console.log(`kept ${work}`);
  }
}

await main();
