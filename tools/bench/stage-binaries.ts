/**
 * A tree of real binaries from Debian packages installed here, with the docs/design.md#initrd-spec
 * overlay spec that packs it: the input of the overlay benchmarks (initrd-overlay.ts, goals.ts).
 */
import { chmod, copyFile, mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runTool } from '@hostmirror/fixtures';
import { MiB } from './harness.ts';

/** Overlay specs take modes in octal only (`"0755"`); a decimal 493 is refused as ambiguous. */
function octalMode(mode: number): string {
  return `0${mode.toString(8)}`;
}

/**
 * Where the binaries come from, in order: the Go and C programs hostmirror deals with, then
 * large compiler and library binaries so that both input sizes are made of a few big files
 * (memory must not grow with bytes; a per-file cost would show as growth with file count).
 * Files not owned by a Debian package on this machine (`dpkg -S`) are skipped.
 */
const candidateBinaries = [
  '/usr/bin/qemu-system-x86_64', // qemu-system-x86
  '/usr/bin/docker-registry', // docker-registry
  '/usr/bin/skopeo', // skopeo
  '/usr/bin/ignition-validate', // ignition
  '/usr/lib/gcc/x86_64-linux-gnu/12/cc1plus', // g++-12
  '/usr/lib/gcc/x86_64-linux-gnu/12/cc1', // cpp-12
  '/usr/lib/gcc/x86_64-linux-gnu/12/lto1', // gcc-12
  '/usr/lib/x86_64-linux-gnu/libLLVM-15.so.1', // libllvm15
  '/usr/lib/x86_64-linux-gnu/libLLVM-14.so.1', // libllvm14
  '/usr/bin/node', // nodejs
  '/usr/lib/llvm-14/lib/libclang-cpp.so.14', // libclang-cpp14
];

/** The Debian package that owns `path`, or undefined. */
async function owningPackage(path: string): Promise<string | undefined> {
  const query = await runTool('dpkg', ['-S', path], { timeoutMs: 30_000 });
  if (query.exitCode !== 0) return undefined;
  return query.stdout.toString('utf8').split(':')[0]?.trim();
}

export interface StagedInput {
  dir: string;
  specPath: string;
  bytes: number;
  files: number;
  sources: string[];
}

/** Copy real binaries from Debian packages into `dir` until `targetBytes`. */
export async function stageInput(targetBytes: number, root: string): Promise<StagedInput> {
  const dir = join(root, 'tree');
  const files: { path: string; source: string; mode: string }[] = [];
  const directories = new Set<string>();
  const sources: string[] = [];
  let bytes = 0;
  for (const source of candidateBinaries) {
    if (bytes >= targetBytes) break;
    const info = await stat(source).catch(() => undefined);
    if (info === undefined || !info.isFile()) continue;
    const debianPackage = await owningPackage(source);
    if (debianPackage === undefined) continue;
    const target = join(dir, source);
    await mkdir(dirname(target), { recursive: true });
    await copyFile(source, target);
    const mode = info.mode & 0o777;
    await chmod(target, mode);
    files.push({ path: source, source: target, mode: octalMode(mode) });
    sources.push(`${source} (${debianPackage}, ${(info.size / MiB).toFixed(1)} MiB)`);
    for (let parent = dirname(source); parent !== '/'; parent = dirname(parent))
      directories.add(parent);
    bytes += info.size;
  }
  if (bytes < targetBytes * 0.9)
    throw new Error(
      `only ${(bytes / MiB).toFixed(0)} MiB of packaged binaries found; add candidates`,
    );
  const spec = {
    directories: [...directories].sort().map((path) => ({ path, mode: octalMode(0o755) })),
    files,
  };
  const specPath = join(root, 'spec.yaml');
  // JSON is YAML: no YAML library needed here.
  await writeFile(specPath, JSON.stringify(spec, null, 1));
  return {
    dir,
    specPath,
    bytes,
    files: files.length,
    sources,
  };
}
