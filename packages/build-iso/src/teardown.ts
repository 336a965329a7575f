/**
 * `hostmirror teardown-manifests`: the way out of a build (issue #15 item 3). Reads the manifests
 * the build wrote (build-iso `--manifests-dir`), and writes into an output folder, each file whole
 * or not at all, what removes hostmirror from the installed cluster: per pool the
 * `99-<pool>-hostmirror-teardown` MachineConfig, and `remove-hostmirror.sh`, the `oc` steps in
 * order (boot-sequence `renderTeardown` decides what; this only reads and writes files).
 */
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@hostmirror/atomic-file';
import { renderTeardown, type Teardown } from '@hostmirror/boot-sequence';
import { BuildIsoError } from './errors.ts';

export interface TeardownOptions {
  /** The folder of manifests the build wrote. */
  manifestsDir: string;
  /** Where the teardown files go (made if missing). */
  outDir: string;
  /** Replace files already there (the CLI's `-f`). */
  overwrite?: boolean;
}

export interface WrittenTeardown {
  teardown: Teardown;
  /** The files written, in order. */
  files: string[];
}

/** The script of `oc` steps, beside the teardown MachineConfigs it applies. */
export const TEARDOWN_SCRIPT_FILE = 'remove-hostmirror.sh';

export async function writeTeardownManifests(options: TeardownOptions): Promise<WrittenTeardown> {
  let names: string[];
  try {
    names = (await readdir(options.manifestsDir)).filter((name) => /\.ya?ml$/.test(name)).sort();
  } catch (error) {
    throw new BuildIsoError(
      'INPUT_MISSING',
      `Cannot read the manifests folder ${options.manifestsDir} (${(error as NodeJS.ErrnoException).code}); give the folder build-iso wrote with --manifests-dir.`,
      {
        path: options.manifestsDir,
        fix: 'pass build-iso --manifests-dir of the build that installed the cluster',
      },
    );
  }
  const sources = await Promise.all(
    names.map(async (fileName) => ({
      fileName,
      text: await readFile(join(options.manifestsDir, fileName), 'utf8'),
    })),
  );
  const teardown = renderTeardown(sources);
  const outputs = [
    ...teardown.machineConfigs.map((config) => ({
      name: config.fileName,
      text: config.yaml,
      mode: 0o644,
    })),
    { name: TEARDOWN_SCRIPT_FILE, text: teardown.script, mode: 0o755 },
  ];
  const exists = await stat(options.outDir).then(
    (info) => info.isDirectory(),
    () => undefined,
  );
  if (exists === false)
    throw new BuildIsoError(
      'OUTPUT_INVALID',
      `-o ${options.outDir} is a file; give a folder for the teardown manifests.`,
      { path: options.outDir, fix: 'name a new or existing folder' },
    );
  if (!options.overwrite)
    for (const output of outputs) {
      const path = join(options.outDir, output.name);
      if (
        await stat(path).then(
          () => true,
          () => false,
        )
      )
        throw new BuildIsoError(
          'OUTPUT_EXISTS',
          `${path} exists; give another folder, or -f to replace it.`,
          { path, fix: 'use -f to replace, or another -o folder' },
        );
    }
  await mkdir(options.outDir, { recursive: true });
  const files: string[] = [];
  for (const output of outputs) {
    const path = join(options.outDir, output.name);
    await writeFileAtomic(path, output.text, { overwrite: true, mode: output.mode });
    files.push(path);
  }
  return { teardown, files };
}
