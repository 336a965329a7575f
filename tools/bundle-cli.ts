/**
 * The `hostmirror` command as users run it: one esbuild bundle of `packages/cli/src/main.ts` and
 * everything it imports (the workspace packages, yaml, ajv…) in `packages/cli/dist/bin/`.
 *
 *   node --import tsx tools/bundle-cli.ts [--quiet]
 *
 * - `hostmirror.js` is the entry (the published bin, `#!/usr/bin/env node`); each verb group is a
 *   chunk of its own that `src/verbs.ts` imports on first use, and code two groups share is a
 *   shared chunk, so `hostmirror --help` parses the dispatcher only and `iso embed` never the
 *   mirror, TLS or compression code (esbuild code splitting, https://esbuild.github.io/api/#splitting).
 * - What the sources read beside themselves through `import.meta.url` is embedded (esbuild
 *   `define`): the boot-sequence scripts (`globalThis.HOSTMIRROR_BUNDLED_SCRIPTS`, read by
 *   packages/boot-sequence/src/scripts.ts) and the package.json of every `@hostmirror/*` package
 *   (`globalThis.HOSTMIRROR_BUNDLED_PACKAGES`: versions, the engines floor). The bundle reads no
 *   file of the repository at run time, so it runs the same from a clone and from an npm install.
 * - Left outside (resolved at run time from `packages/cli/node_modules` or the installing
 *   project): node-forge (required on first TLS use by packages/host-config/src/tls.ts, a
 *   dependency of @hostmirror/cli) and the optional native codec bindings (zstd-napi,
 *   node-liblzma), which a user may add.
 * - `inputs.json` lists every file the bundle was made from, and the folders whose listing it
 *   read (packages, boot scripts), with their sizes and mtimes: `tools/hostmirror.mjs` (what
 *   `pnpm hostmirror` runs) rebuilds when one changed (`tools/bundle-freshness.mjs`), so
 *   development keeps running from source without a build step.
 * - Third-party code in the bundle keeps its licence: `THIRD-PARTY-LICENSES.txt` beside it
 *   holds each bundled npm package's name, version and licence text.
 *
 * Every file is written to a temporary name and renamed, the entry last (chunk names carry a
 * content hash), so a `hostmirror` started during a rebuild runs either the old or the new bundle.
 */
import { chmod, mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = join(repoRoot, 'packages');
/** Where the bundle goes; the published bin (`publishConfig.bin` of packages/cli). */
export const bundleDir = join(packagesDir, 'cli', 'dist', 'bin');
export const bundleEntry = join(bundleDir, 'hostmirror.js');
export const bundleInputsFile = join(bundleDir, 'inputs.json');
const scriptsDir = join(packagesDir, 'boot-sequence', 'src', 'scripts');
/** Resolved at run time, not bundled (see the header). */
const EXTERNAL = ['node-forge', 'zstd-napi', 'node-liblzma'];
/** `engines.node` of the CLI; the bundle is compiled for no newer syntax than that Node has. */
const TARGET = 'node20.19';
/** Files of an older bundle that no `hostmirror` may still be loading are removed after this. */
const staleChunkMs = 10 * 60_000;

interface PackageJson {
  name: string;
  version: string;
  license?: string;
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
}

async function readJson<T>(path: string): Promise<T> {
  return JSON.parse(await readFile(path, 'utf8')) as T;
}

/** The package.json fields the bundled code reads, for every workspace package (private too). */
async function bundledPackages(): Promise<{
  packages: Record<string, PackageJson>;
  files: string[];
}> {
  const packages: Record<string, PackageJson> = {};
  const files: string[] = [];
  for (const dir of (await readdir(packagesDir)).sort()) {
    const file = join(packagesDir, dir, 'package.json');
    const { name, version, engines, dependencies } = await readJson<PackageJson>(file);
    packages[name] = {
      name,
      version,
      ...(engines ? { engines } : {}),
      ...(dependencies ? { dependencies } : {}),
    };
    files.push(file);
  }
  return { packages, files };
}

async function bundledScripts(): Promise<{ scripts: Record<string, string>; files: string[] }> {
  const scripts: Record<string, string> = {};
  const files: string[] = [];
  for (const name of (await readdir(scriptsDir)).sort()) {
    const file = join(scriptsDir, name);
    scripts[name] = await readFile(file, 'utf8');
    files.push(file);
  }
  return { scripts, files };
}

/** The npm package folder an input under node_modules belongs to, or undefined for our own code. */
function npmPackageFolder(input: string): string | undefined {
  const parts = input.split(sep);
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return undefined;
  const take = parts[at + 1]?.startsWith('@') ? 3 : 2;
  return parts.slice(0, at + take).join(sep);
}

async function licenceText(folder: string): Promise<string> {
  const names = (await readdir(folder)).filter((name) => /^(licen[cs]e|copying)/i.test(name));
  if (names.length === 0) return '(no licence file in the package; see its package.json)';
  return (await Promise.all(names.sort().map((name) => readFile(join(folder, name), 'utf8')))).join(
    '\n',
  );
}

async function thirdPartyLicences(inputs: string[]): Promise<string> {
  const folders = [
    ...new Set(inputs.map(npmPackageFolder).filter((f): f is string => f !== undefined)),
  ];
  const sections: string[] = [];
  for (const folder of folders) {
    const manifest = await readJson<PackageJson>(join(folder, 'package.json'));
    if (manifest.name.startsWith('@hostmirror/')) continue;
    sections.push(
      `${manifest.name} ${manifest.version} (${manifest.license ?? 'see below'})\n\n${(await licenceText(folder)).trim()}\n`,
    );
  }
  sections.sort();
  return `Third-party code bundled into hostmirror.js and its chunks:\n\n${sections.join(`\n${'-'.repeat(72)}\n\n`)}`;
}

async function writeAtomic(path: string, data: string | Uint8Array, mode?: number): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, data);
  if (mode !== undefined) await chmod(temporary, mode);
  await rename(temporary, path);
}

export interface BundleResult {
  files: number;
  bytes: number;
  inputs: number;
  ms: number;
}

export interface BundleOptions {
  /**
   * Remove every file of dist/bin this run did not write, however recent (the publish build:
   * `files: ["dist"]` would ship them). By default an older bundle's chunks and temporary files
   * stay for `staleChunkMs`, since a `hostmirror` started before this rebuild may still load them.
   */
  pruneAll?: boolean;
}

export async function bundleCli(options: BundleOptions = {}): Promise<BundleResult> {
  const started = performance.now();
  const [{ packages, files: packageFiles }, { scripts, files: scriptFiles }] = await Promise.all([
    bundledPackages(),
    bundledScripts(),
  ]);
  const result = await build({
    absWorkingDir: repoRoot,
    entryPoints: { hostmirror: 'packages/cli/src/main.ts' },
    outdir: bundleDir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: TARGET,
    chunkNames: '[name]-[hash]',
    external: EXTERNAL,
    // CommonJS packages in the bundle (yaml's node build, ajv) `require` Node's built-ins; an ES
    // module has no `require`, so each chunk makes one (esbuild's shim then uses it).
    banner: {
      js: "import { createRequire as __hostmirrorCreateRequire } from 'node:module';\nconst require = __hostmirrorCreateRequire(import.meta.url);",
    },
    define: {
      'globalThis.HOSTMIRROR_BUNDLED_PACKAGES': JSON.stringify(packages),
      'globalThis.HOSTMIRROR_BUNDLED_SCRIPTS': JSON.stringify(scripts),
    },
    sourcemap: 'linked',
    legalComments: 'eof',
    metafile: true,
    write: false,
    logLevel: 'error',
  });
  const metafile: Metafile = result.metafile;
  const inputs = Object.keys(metafile.inputs)
    .filter((input) => !input.startsWith('<'))
    .map((input) => resolve(repoRoot, input));
  await mkdir(bundleDir, { recursive: true });
  const written = new Set<string>();
  let bytes = 0;
  let entry: { path: string; text: string } | undefined;
  for (const file of result.outputFiles) {
    written.add(file.path);
    bytes += file.contents.byteLength;
    if (file.path === bundleEntry) {
      // src/main.ts asks for tsx on its first line; the bundle is plain JavaScript.
      entry = { path: file.path, text: file.text.replace(/^#![^\n]*\n/, '') };
      continue;
    }
    await writeAtomic(file.path, file.contents);
  }
  if (entry === undefined) throw new Error(`esbuild wrote no ${relative(repoRoot, bundleEntry)}`);
  const licences = join(bundleDir, 'THIRD-PARTY-LICENSES.txt');
  await writeAtomic(licences, await thirdPartyLicences(inputs));
  written.add(licences);
  // The folders whose listing decided what was bundled are tracked too: a boot script or a
  // package added there changes the folder's mtime (tools/bundle-freshness.mjs).
  const listedFolders = [packagesDir, scriptsDir];
  const tracked = [
    ...new Set([
      ...inputs,
      ...packageFiles,
      ...scriptFiles,
      ...listedFolders,
      fileURLToPath(import.meta.url),
    ]),
  ].sort();
  const manifest = await Promise.all(
    tracked.map(async (path) => {
      const info = await stat(path);
      return [relative(repoRoot, path), info.size, info.mtimeMs] as const;
    }),
  );
  await writeAtomic(bundleInputsFile, `${JSON.stringify({ files: manifest })}\n`);
  written.add(bundleInputsFile);
  await writeAtomic(entry.path, `#!/usr/bin/env node\n${entry.text}`, 0o755);
  // Older bundles' chunks and temporary files left by a killed rebuild (`.<pid>.tmp`) go once
  // no run can still be loading or writing them.
  const now = Date.now();
  const keepMs = options.pruneAll === true ? -1 : staleChunkMs;
  for (const name of await readdir(bundleDir)) {
    const path = join(bundleDir, name);
    if (written.has(path)) continue;
    const info = await stat(path).catch(() => undefined);
    if (info !== undefined && now - info.mtimeMs > keepMs) await unlink(path).catch(() => {});
  }
  return {
    files: result.outputFiles.length,
    bytes,
    inputs: tracked.length,
    ms: performance.now() - started,
  };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const done = await bundleCli();
  if (!process.argv.includes('--quiet')) {
    process.stdout.write(
      `bundled ${relative(repoRoot, bundleEntry)}: ${done.files} files, ${(done.bytes / 1024).toFixed(0)} KiB, from ${done.inputs} inputs in ${done.ms.toFixed(0)} ms\n`,
    );
  }
}
