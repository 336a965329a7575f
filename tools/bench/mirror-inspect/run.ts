/**
 * Benchmark (not a test): `hostmirror mirror inspect` against `tar -tf` on the same generated
 * oc-mirror v2 archive, shaped like a release (docs/design.md#mirror-mode: "an 18 GB archive lists in
 * milliseconds"): 190 component images of 4 sparse layers each plus one 8.25 GiB layer (a
 * PAX size), ~1 000 blobs and ~1 700 link files, ≈ 17 GiB on paper, a few MiB on disk.
 *
 *   node --import tsx tools/bench/mirror-inspect/run.ts [WORK_DIR] [RUNS]
 *
 * Prints the median wall time of each command over RUNS runs (default 5), then the library
 * call alone (in-process, no Node start-up), and the load average (the machine is shared).
 * BENCH_STREAM=1 adds `cat | tar -tf -`, what a stream parser must pay.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { blobOf, TarBuilder } from '@hostmirror/fixtures';
import { MirrorArchive } from '@hostmirror/oc-mirror-archive';
import { cliNodeArgs, cliStartupLabel } from '../cli-command.ts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const components = 190;
const layersPerComponent = 4;
const hugeLayerBytes = 8.25 * GiB;

const work = resolve(process.argv[2] ?? join(tmpdir(), 'hostmirror-bench-inspect'));
const runs = Number(process.argv[3] ?? 5);
const repoRoot = resolve(import.meta.dirname, '../../..');

async function writeReleaseLikeArchive(path: string): Promise<void> {
  const tar = await TarBuilder.create(path, 'pax');
  const root = 'docker/registry/v2';
  const hex = (digest: string) => digest.slice(7);
  const blobPath = (digest: string) =>
    `${root}/blobs/sha256/${hex(digest).slice(0, 2)}/${hex(digest)}/data`;
  const links: [string, string][] = [];
  for (let image = 0; image <= components; image++) {
    const repository = image === 0 ? 'openshift/release-images' : 'openshift/release';
    const layers = (
      image === 0
        ? [hugeLayerBytes]
        : Array.from({ length: layersPerComponent }, (_, n) => (n + 1) * 5 * MiB + image * 4096)
    ).map((size, n) => ({
      digest: `sha256:${(image * 16 + n).toString(16).padStart(64, 'a')}`,
      size,
    }));
    const config = blobOf(`{"architecture":"amd64","os":"linux","image":${image}}`);
    const manifest = blobOf(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { digest: config.digest, size: config.bytes.length },
        layers,
      }),
    );
    for (const layer of layers) await tar.sparseFile(blobPath(layer.digest), layer.size);
    await tar.file(blobPath(config.digest), config.bytes);
    await tar.file(blobPath(manifest.digest), manifest.bytes);
    const repo = `${root}/repositories/${repository}`;
    const tag = image === 0 ? '4.14.3-x86_64' : `4.14.3-x86_64-component-${image}`;
    for (const blob of [config.digest, ...layers.map((layer) => layer.digest)])
      links.push([`${repo}/_layers/sha256/${hex(blob)}/link`, blob]);
    links.push([
      `${repo}/_manifests/revisions/sha256/${hex(manifest.digest)}/link`,
      manifest.digest,
    ]);
    links.push([`${repo}/_manifests/tags/${tag}/current/link`, manifest.digest]);
    links.push([
      `${repo}/_manifests/tags/${tag}/index/sha256/${hex(manifest.digest)}/link`,
      manifest.digest,
    ]);
  }
  for (const [name, digest] of links) await tar.file(name, digest);
  await tar.file(
    'working-dir/cluster-resources/idms-oc-mirror.yaml',
    'kind: ImageDigestMirrorSet\n',
  );
  await tar.end();
}

function medianMs(
  command: string,
  args: string[],
  options: { cwd?: string; shell?: boolean } = {},
): number {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const result = spawnSync(command, args, {
      cwd: options.cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
      shell: options.shell ?? false,
    });
    times.push(performance.now() - started);
    if (result.status !== 0)
      throw new Error(`${command} ${args.join(' ')} failed: ${result.stderr}`);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] ?? Number.NaN;
}

rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const archive = join(work, 'mirror_000001.tar');
await writeReleaseLikeArchive(archive);
const apparent = statSync(archive).size;
const onDisk = statSync(archive).blocks * 512;
const members =
  execFileSync('tar', ['-tf', archive], { encoding: 'utf8', maxBuffer: 64 * MiB }).split('\n')
    .length - 1;
process.stdout.write(
  `archive: ${(apparent / GiB).toFixed(2)} GiB apparent, ${(onDisk / MiB).toFixed(1)} MiB on disk, ${members} members; median of ${runs} runs\n`,
);

const rows: [string, number][] = [
  ['tar -tf (GNU tar 1.34, seeks a regular file)', medianMs('tar', ['-tf', archive])],
  ['tar -tvf', medianMs('tar', ['-tvf', archive])],
  [
    `hostmirror mirror inspect (CLI, incl. ${cliStartupLabel()} start-up)`,
    medianMs(
      'node',
      [...cliNodeArgs(), 'mirror', 'inspect', archive], // HOSTMIRROR_CLI=built: the built CLI
      { cwd: repoRoot },
    ),
  ],
  [
    'node --import tsx -e "" (start-up alone)',
    medianMs('node', ['--import', 'tsx', '-e', ''], { cwd: repoRoot }),
  ],
];
// A pipe cannot seek: what any stream parser pays (every byte; holes read as zeros). Slow
// (77 s for 17.8 GiB on a loaded 2-core machine), so only with BENCH_STREAM=1.
if (process.env.BENCH_STREAM === '1') {
  const streamed = performance.now();
  execFileSync('sh', ['-c', `cat '${archive}' | tar -tf - > /dev/null`]);
  rows.push(['cat | tar -tf - (a pipe cannot seek; 1 run)', performance.now() - streamed]);
}
const inProcess: number[] = [];
for (let run = 0; run < runs; run++) {
  const started = performance.now();
  const opened = await MirrorArchive.open([archive]);
  await opened.checkCompleteness();
  inProcess.push(performance.now() - started);
}
inProcess.sort((a, b) => a - b);
rows.push([
  'MirrorArchive.open + checkCompleteness (in-process)',
  inProcess[Math.floor(runs / 2)] ?? Number.NaN,
]);
process.stdout.write(
  `load average (1 min) at the end: ${loadavg()[0]?.toFixed(2)} on ${availableParallelism()} CPUs\n`,
);
for (const [name, ms] of rows) process.stdout.write(`${ms.toFixed(1).padStart(9)} ms  ${name}\n`);
if (!process.env.HOSTMIRROR_KEEP_WORK) rmSync(work, { recursive: true, force: true });
