/**
 * The inputs both build-iso benchmarks give `hostmirror build-iso` (build-iso/run.ts and the
 * goals table's build-iso rows in goals.ts): a registry program of a chosen size made of real
 * binaries (docker-registry then skopeo, cut), the demo cluster configs and archive, a TLS seed
 * file, and the seeded environment (SOURCE_DATE_EPOCH) — and the command line that uses them.
 */
import { chmod, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { requireTool, runOk, writeDemoInputs } from '@hostmirror/fixtures';
import { MiB } from '../harness.ts';

export interface BuildIsoBenchInputs {
  /** The registry program (`--registry-binary`). */
  program: string;
  /** The environment of a seeded build: SOURCE_DATE_EPOCH set, as CI pipelines run it. */
  seededEnv: NodeJS.ProcessEnv;
  /** `build-iso … -o OUT -f --json`, seeded with the TLS seed file when asked. */
  args(out: string, options: { compress: string; seeded: boolean }): string[];
}

export async function stageBuildIsoInputs(
  work: string,
  isoPath: string,
  programMiB: number,
): Promise<BuildIsoBenchInputs> {
  const [registry, skopeo] = await Promise.all([
    requireTool('docker-registry'),
    requireTool('skopeo'),
  ]);
  const program = join(work, 'registry');
  await runOk(
    '/bin/sh',
    ['-c', `cat "$1" "$2" | head -c ${programMiB * MiB} > "$3"`, 'sh', registry, skopeo, program],
    { timeoutMs: 60_000 },
  );
  await chmod(program, 0o755);
  const inputs = await writeDemoInputs(join(work, 'inputs'), 1_700_000_000);
  const seedFile = join(work, 'tls-seed');
  await writeFile(seedFile, 'bench-seed-0123456789abcdef0123456789abcdef\n');
  const { SOURCE_DATE_EPOCH: _unset, ...plainEnv } = process.env;
  return {
    program,
    seededEnv: { ...plainEnv, SOURCE_DATE_EPOCH: '1700000000' },
    args: (out, { compress, seeded }) => [
      'build-iso',
      '--iso',
      isoPath,
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
      ...(seeded ? ['--tls-seed-file', seedFile] : []),
      '-o',
      out,
      '-f',
      '--json',
    ],
  };
}
