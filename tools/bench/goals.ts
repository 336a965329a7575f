/**
 * Benchmark (not a test): every row of issue #17's goal table, each beside its reference in the
 * same round. Usage (from the repository root):
 *
 *   node --import tsx tools/bench/goals.ts [--rounds 3] [--rows help,embed,...] [--iso-mib 1024]
 *                                          [--profile DIR] [--keep]
 *
 * --profile DIR adds one round per row, not counted, with ours run as `node --cpu-prof BUNDLE`
 * (profiles in DIR/ROW/, one per thread), and prints each profile's top self-time frames.
 *
 * Rows (`--rows`, default all), ours as the README runs it (`pnpm --silent hostmirror …`, the
 * launcher tools/hostmirror.mjs and the esbuild bundle) unless the row says otherwise:
 *
 *   build-iso         `build-iso` gzip, seeded (--tls-seed-file, SOURCE_DATE_EPOCH), 1 GiB ISO +
 *                     20 MiB registry program  vs  `cp` ISO + sync, `pigz -6` program + sync
 *                     goal ≤ 1.3×, peak RSS ≤ 128 MiB
 *   build-iso-bundle  the same through `node packages/cli/dist/bin/hostmirror.js` (the built CLI)
 *                     goal ≤ 1.3×
 *   embed             `iso embed --in-place` on the 1 GiB ISO, whole process  vs  the library call
 *                     in this process (open + plan + write); goal ≤ 0.150 s wall (absolute)
 *   help              `hostmirror --help`  vs  `node -e 0`; goal ≤ 0.150 s wall (absolute)
 *   embed-extend      `iso embed -o A` + `iso append-initrd --archive X -o B` (new files)  vs  two
 *                     `cp` ISO + sync; goal ≤ 1.1×, peak RSS ≤ 96 MiB. X: 16 MiB zstd cpio.
 *   overlay           `initrd build --compress gzip --level 6` of ~147 MiB of Debian binaries  vs
 *                     `find | sort | cpio -o -H newc | pigz -6n`; goal ≤ 0.9× wall at size ≤ 1.02×
 *
 * Each round runs every chosen row once, reference first then ours, so load from other sessions
 * falls on both sides of each ratio; a row's ratio is median (range) of its rounds' ratios. The
 * load average is printed before and after each row and at the end. Needs: cp sync pigz cpio
 * zstd docker-registry skopeo xorriso time. Results: README.md beside this file.
 */
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeCoreosIso, repoRoot, requireTool, runOk } from '@hostmirror/fixtures';
import { CoreosIso } from '../../packages/iso/src/index.ts';
import { stageBuildIsoInputs } from './build-iso/inputs.ts';
import {
  commitNow,
  loadNow,
  type Measure,
  MiB,
  medianRange,
  timed,
  timedShell,
} from './harness.ts';
import { stageInput } from './stage-binaries.ts';

const rowNames = [
  'build-iso',
  'build-iso-bundle',
  'embed',
  'help',
  'embed-extend',
  'overlay',
] as const;
type RowName = (typeof rowNames)[number];

/** One round of a row: the reference and ours, measured back to back. */
interface Pair {
  reference: Measure;
  ours: Measure;
  /** ours ÷ reference of what the goal compares (wall time unless the row says). */
  ratio: number;
  /** Output size ÷ the reference's, where the goal bounds it. */
  sizeRatio?: number;
}

interface Row {
  name: RowName;
  reference: string;
  ours: string;
  goal: string;
  /** Whether the medians meet the goal. */
  met(pairs: Pair[]): boolean;
  round(): Promise<Pair>;
}

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    rows: { type: 'string', default: rowNames.join(',') },
    'iso-mib': { type: 'string', default: '1024' },
    keep: { type: 'boolean' },
    profile: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const chosen = (values.rows ?? '').split(',').filter((name) => name !== '');
for (const name of chosen)
  if (!(rowNames as readonly string[]).includes(name))
    throw new Error(`--rows ${name}: expected some of ${rowNames.join(', ')}`);
const wanted = (name: RowName) => chosen.includes(name);

const pnpm = join(repoRoot, '.tools', 'node_modules', '.bin', 'pnpm');
/** Set for the profile round (`--profile`): ours runs as `node --cpu-prof … BUNDLE` instead. */
let profileDir: string | undefined;
const bundle = join(repoRoot, 'packages/cli/dist/bin/hostmirror.js');
const profiled = (args: string[]): [string, string[]] => [
  process.execPath,
  ['--cpu-prof', `--cpu-prof-dir=${profileDir}`, bundle, ...args],
];
/** `pnpm --silent hostmirror …`, the README's command (pnpm from tools/ensure-pnpm.sh). */
const readmeCli = (args: string[]): [string, string[]] =>
  profileDir === undefined ? [pnpm, ['--silent', 'hostmirror', ...args]] : profiled(args);
const bundleCli = (args: string[]): [string, string[]] =>
  profileDir === undefined ? [process.execPath, [bundle, ...args]] : profiled(args);
const median = (list: number[]) =>
  [...list].sort((a, b) => a - b)[Math.floor(list.length / 2)] ?? Number.NaN;

const work = await mkdtemp(join(tmpdir(), 'hm-goals-'));
const rows: Row[] = [];
try {
  await runOk(pnpm, ['--silent', 'hostmirror', '--version'], { timeoutMs: 300_000, cwd: repoRoot });
  const needsIso = chosen.some((name) => name !== 'help' && name !== 'overlay');
  const iso = needsIso
    ? await makeCoreosIso({
        output: join(work, 'base.iso'),
        busybox: true,
        rootfsSize: Number(values['iso-mib']) * MiB - 8 * MiB,
      })
    : undefined;
  const synced = (from: string, to: string) =>
    runOk('/bin/sh', ['-ec', 'cp "$1" "$2" && sync "$2"', 'sh', from, to], { timeoutMs: 600_000 });

  if (iso !== undefined && (wanted('build-iso') || wanted('build-iso-bundle'))) {
    const pigz = await requireTool('pigz', 'pigz');
    const staged = await stageBuildIsoInputs(work, iso.path, 20);
    const { program } = staged;
    const env = staged.seededEnv;
    const args = (out: string) => staged.args(out, { compress: 'gzip', seeded: true });
    const floor = () =>
      timedShell(
        'cp "$1" "$2/cp.iso" && sync "$2/cp.iso" && "$3" -6 -c "$4" > "$2/p.gz" && sync "$2/p.gz"',
        [iso.path, work, pigz, program],
      );
    const buildRow = (name: RowName, cli: typeof readmeCli, label: string): Row => ({
      name,
      reference: '`cp` ISO + sync, `pigz -6` program + sync',
      ours: `${label} build-iso gzip seeded (1 GiB ISO, 20 MiB program)`,
      goal: name === 'build-iso' ? '≤ 1.3×, RSS ≤ 128 MiB' : '≤ 1.3×',
      met: (pairs) =>
        median(pairs.map((p) => p.ratio)) <= 1.3 &&
        (name !== 'build-iso' || Math.max(...pairs.map((p) => p.ours.rssMiB)) <= 128),
      async round() {
        await rm(join(work, 'cp.iso'), { force: true });
        await rm(join(work, 'out.iso'), { force: true });
        const reference = await floor();
        await rm(join(work, 'cp.iso'), { force: true });
        const ours = await timed(...cli(args(join(work, 'out.iso'))), {
          env,
        });
        await rm(join(work, 'out.iso'), { force: true });
        return { reference, ours, ratio: ours.seconds / reference.seconds };
      },
    });
    if (wanted('build-iso')) rows.push(buildRow('build-iso', readmeCli, '`pnpm hostmirror`'));
    if (wanted('build-iso-bundle')) rows.push(buildRow('build-iso-bundle', bundleCli, 'bundle'));
  }

  const ignition = join(work, 'config.ign');
  await writeFile(ignition, '{"ignition":{"version":"3.4.0"}}\n');

  if (iso !== undefined && wanted('embed')) {
    const inPlace = join(work, 'in-place.iso');
    await synced(iso.path, inPlace);
    const config = await readFile(ignition);
    rows.push({
      name: 'embed',
      reference: 'library call in this process (open + plan + write in place)',
      ours: `\`pnpm hostmirror iso embed --in-place\` (${values['iso-mib']} MiB ISO), whole process`,
      goal: '≤ 0.150 s wall',
      met: (pairs) => median(pairs.map((p) => p.ours.seconds)) <= 0.15,
      async round() {
        const start = performance.now();
        const before = process.cpuUsage();
        const coreos = await CoreosIso.open(inPlace);
        try {
          await coreos.write(await coreos.planEmbedIgnition(config), { kind: 'in-place' });
        } finally {
          await coreos.close();
        }
        const cpu = process.cpuUsage(before);
        const reference: Measure = {
          seconds: (performance.now() - start) / 1000,
          cpuSeconds: (cpu.user + cpu.system) / 1e6,
          rssMiB: Number.NaN,
        };
        const ours = await timed(
          ...readmeCli(['iso', 'embed', inPlace, '--ignition', ignition, '--in-place']),
        );
        return { reference, ours, ratio: ours.seconds / reference.seconds };
      },
    });
  }

  if (wanted('help'))
    rows.push({
      name: 'help',
      reference: '`node -e 0`',
      ours: '`pnpm hostmirror --help`',
      goal: '≤ 0.150 s wall',
      met: (pairs) => median(pairs.map((p) => p.ours.seconds)) <= 0.15,
      async round() {
        const reference = await timed(process.execPath, ['-e', '0']);
        const ours = await timed(...readmeCli(['--help']));
        return { reference, ours, ratio: ours.seconds / reference.seconds };
      },
    });

  if (iso !== undefined && wanted('embed-extend')) {
    const [cpio, zstd] = await Promise.all([requireTool('cpio'), requireTool('zstd')]);
    const tree = join(work, 'tree');
    await mkdir(join(tree, 'hostmirror'), { recursive: true });
    await runOk(
      '/bin/sh',
      ['-ec', `head -c ${16 * MiB} /dev/urandom > "$1"`, 'sh', join(tree, 'hostmirror/blob')],
      {
        timeoutMs: 60_000,
      },
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
      {
        timeoutMs: 60_000,
      },
    );
    const [a, b] = [join(work, 'a.iso'), join(work, 'b.iso')];
    const clean = async () => Promise.all([rm(a, { force: true }), rm(b, { force: true })]);
    const sum = (x: Measure, y: Measure): Measure => ({
      seconds: x.seconds + y.seconds,
      cpuSeconds: x.cpuSeconds + y.cpuSeconds,
      rssMiB: Math.max(x.rssMiB, y.rssMiB),
    });
    rows.push({
      name: 'embed-extend',
      reference: 'two `cp` ISO + sync',
      ours: '`pnpm hostmirror iso embed -o A` + `iso append-initrd --archive (16 MiB) -o B`',
      goal: '≤ 1.1×, RSS ≤ 96 MiB',
      met: (pairs) =>
        median(pairs.map((p) => p.ratio)) <= 1.1 &&
        Math.max(...pairs.map((p) => p.ours.rssMiB)) <= 96,
      async round() {
        await clean();
        const cp = () => timedShell('cp "$1" "$2" && sync "$2"', [iso.path, a]);
        const first = await cp();
        await clean();
        const reference = sum(first, await timedShell('cp "$1" "$2" && sync "$2"', [iso.path, b]));
        await clean();
        const embed = await timed(
          ...readmeCli(['iso', 'embed', iso.path, '--ignition', ignition, '-o', a]),
        );
        const extend = await timed(
          ...readmeCli(['iso', 'append-initrd', iso.path, '--archive', archive, '-o', b]),
        );
        await clean();
        const ours = sum(embed, extend);
        return { reference, ours, ratio: ours.seconds / reference.seconds };
      },
    });
  }

  if (wanted('overlay')) {
    await Promise.all([requireTool('cpio'), requireTool('pigz')]);
    const staged = await stageInput(147 * MiB, join(work, 'overlay'));
    console.log(
      `overlay input: ${staged.files} files, ${(staged.bytes / MiB).toFixed(1)} MiB: ${staged.sources.join(', ')}`,
    );
    await runOk('/bin/sh', ['-c', 'find . -type f -exec cat {} + > /dev/null'], {
      cwd: staged.dir,
      timeoutMs: 600_000,
    });
    const [ref, out] = [join(work, 'ref.cpio.gz'), join(work, 'ours.cpio.gz')];
    rows.push({
      name: 'overlay',
      reference: '`find \\| sort \\| cpio -o -H newc -R 0:0 \\| pigz -6n`',
      ours: `\`pnpm hostmirror initrd build --compress gzip --level 6\` (${(staged.bytes / MiB).toFixed(0)} MiB, ${staged.files} files)`,
      goal: '≤ 0.9× at size ≤ 1.02×',
      met: (pairs) =>
        median(pairs.map((p) => p.ratio)) <= 0.9 &&
        Math.max(...pairs.map((p) => p.sizeRatio ?? Number.NaN)) <= 1.02,
      async round() {
        const reference = await timedShell(
          'cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | pigz -6n > "$2"',
          [staged.dir, ref],
        );
        const ours = await timed(
          ...readmeCli([
            'initrd',
            'build',
            staged.specPath,
            '-o',
            out,
            '--compress',
            'gzip',
            '--level',
            '6',
            '-f',
          ]),
        );
        const sizeRatio = (await stat(out)).size / (await stat(ref)).size;
        return { reference, ours, ratio: ours.seconds / reference.seconds, sizeRatio };
      },
    });
  }

  const commit = commitNow();
  console.log(
    `issue #17 goals: ${rounds} rounds, commit ${commit}, ${new Date().toISOString()}, load average ${loadNow()}`,
  );
  const results = rows.map(() => [] as Pair[]);
  const loads = rows.map(() => [] as string[]);
  for (let round = 0; round < rounds; round++) {
    for (const [index, row] of rows.entries()) {
      loads[index]?.push(loadNow().split(' ')[0] ?? '');
      results[index]?.push(await row.round());
    }
  }
  console.log(`end ${new Date().toISOString()}, load average ${loadNow()}`);
  console.log(
    '| row | reference | ref wall s | ref CPU s | ours | wall s | CPU s | peak RSS MiB | wall ratio | CPU ratio | size ratio | goal | met | load (1 min) at each round |',
  );
  console.log('|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---|---|---|');
  for (const [index, row] of rows.entries()) {
    const pairs = results[index] ?? [];
    const sizes = pairs.flatMap((p) => (p.sizeRatio === undefined ? [] : [p.sizeRatio]));
    const digits = row.name === 'embed' ? 3 : 2;
    const cells = [
      row.name,
      row.reference,
      medianRange(
        pairs.map((p) => p.reference.seconds),
        digits,
      ),
      medianRange(
        pairs.map((p) => p.reference.cpuSeconds),
        digits,
      ),
      row.ours,
      medianRange(pairs.map((p) => p.ours.seconds)),
      medianRange(pairs.map((p) => p.ours.cpuSeconds)),
      medianRange(
        pairs.map((p) => p.ours.rssMiB),
        0,
      ),
      `${medianRange(pairs.map((p) => p.ratio))}×`,
      `${medianRange(pairs.map((p) => p.ours.cpuSeconds / p.reference.cpuSeconds))}×`,
      sizes.length > 0 ? `${medianRange(sizes, 3)}×` : '–',
      row.goal,
      row.met(pairs) ? 'yes' : '**no**',
      loads[index]?.join(', ') ?? '',
    ];
    console.log(`| ${cells.join(' | ')} |`);
  }
  // --profile DIR: one more round of each row, not counted above, with ours run as
  // `node --cpu-prof --cpu-prof-dir=DIR/ROW BUNDLE …` (Node 20 refuses --cpu-prof in
  // NODE_OPTIONS, so not through pnpm), and the top self-time frames of each profile.
  if (values.profile !== undefined) {
    for (const row of rows) {
      const dir = join(values.profile, row.name);
      await mkdir(dir, { recursive: true });
      profileDir = dir;
      await row.round();
      profileDir = undefined;
      const summary = await runOk(
        process.execPath,
        ['--import', 'tsx', join(repoRoot, 'tools/bench/profile-summary.ts'), dir, '--top', '12'],
        { timeoutMs: 120_000, cwd: repoRoot },
      );
      console.log(`\n### profile of ${row.name} (${dir}), load average ${loadNow()}`);
      console.log(summary.stdout.toString());
    }
  }
} finally {
  if (values.keep) console.log(`kept ${work}`);
  else await rm(work, { recursive: true, force: true });
}
