/**
 * `pnpm build`: every package's `src` to `packages/<p>/dist` (JavaScript + `.d.ts`), for the
 * published packages, then the `hostmirror` command's bundle (tools/bundle-cli.ts) into
 * `packages/cli/dist/bin/`. Development never needs this (`pnpm hostmirror` re-bundles on change).
 *
 *   node --import tsx tools/build-packages.ts           incremental build (tsc -b)
 *   node --import tsx tools/build-packages.ts --clean   remove every dist/ and build info
 *
 * tsc emits what it compiles; the rest of `src` that the code reads at run time or that types
 * need is copied beside it: the generated Ajv validators (`*.js` + `*.d.ts`, ignition-config-types)
 * and the boot scripts the mirror package reads via `import.meta.url`. Tests are not copied.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCli, bundleDir, bundleEntry } from './bundle-cli.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const packagesDir = join(repoRoot, 'packages');
const solutionConfig = join(repoRoot, 'tsconfig.build.json');
const tscBin = join(repoRoot, 'node_modules/.bin/tsc');
/** Set by `tsBuildInfoFile` in each packages/<p>/tsconfig.build.json. */
const buildInfoName = 'dist.tsbuildinfo';
/** The CLI bundle's folder: made by tools/bundle-cli.ts, not by tsc, so never an orphan here. */
const cliBundleDir = bundleDir;

function packageDirs(): string[] {
  return readdirSync(packagesDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => join(packagesDir, entry.name))
    .sort();
}

/** Files tsc does not emit but the built package needs: non-TypeScript files and hand-kept `.d.ts`. */
function isCarriedAsset(name: string): boolean {
  if (/\.test\.[cm]?[jt]s$/.test(name)) return false;
  return name.endsWith('.d.ts') || !name.endsWith('.ts');
}

function copyAssets(srcDir: string, distDir: string): number {
  let copied = 0;
  for (const entry of readdirSync(srcDir, { withFileTypes: true })) {
    const from = join(srcDir, entry.name);
    const to = join(distDir, entry.name);
    if (entry.isDirectory()) {
      copied += copyAssets(from, to);
    } else if (entry.isFile() && isCarriedAsset(entry.name)) {
      mkdirSync(distDir, { recursive: true });
      copyFileSync(from, to);
      copied += 1;
    }
  }
  return copied;
}

/** Where a dist/ file comes from in src/: `x.js`, `x.js.map` and `x.d.ts` from `x.ts`, assets from themselves. */
function sourceCandidates(distRelative: string): string[] {
  const compiled = distRelative.replace(/(\.d\.ts|\.js\.map|\.js)$/, '.ts');
  return compiled === distRelative ? [distRelative] : [compiled, distRelative];
}

/**
 * Remove dist/ files whose source is gone (renamed or deleted): tsc -b never deletes outputs,
 * and `files: ["dist"]` would publish them.
 */
function pruneOrphans(srcDir: string, distDir: string, folder = ''): number {
  let pruned = 0;
  for (const entry of readdirSync(join(distDir, folder), { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) {
      if (join(distDir, path) === cliBundleDir) continue;
      pruned += pruneOrphans(srcDir, distDir, path);
      if (readdirSync(join(distDir, path)).length === 0)
        rmSync(join(distDir, path), { recursive: true });
    } else if (!sourceCandidates(path).some((source) => existsSync(join(srcDir, source)))) {
      rmSync(join(distDir, path));
      pruned += 1;
    }
  }
  return pruned;
}

/**
 * Declarations for every TypeScript a consumer may run (5.0 and later): tsc rewrites `./x.ts` to
 * `./x.js` in JavaScript but not in `.d.ts` (TypeScript before 5.x rejects `.ts` specifiers in a
 * declaration), and it prints the typed arrays of `lib` 5.7+ with their buffer type
 * (`Uint8Array<ArrayBuffer>`), which older TypeScript reads as "not generic". Both rewritten here,
 * the same way every build (test/packaging/pack.test.ts type-checks a consumer with TS 5.0).
 */
const RELATIVE_TS_SPECIFIER = /((?:from|import)\s*\(?\s*)(['"])(\.{1,2}\/[^'"]+?)\.ts\2/g;
const GENERIC_TYPED_ARRAY =
  /\b(Buffer|DataView|(?:Big)?(?:Ui|I)nt(?:8|16|32|64)(?:Clamped)?Array|Float(?:16|32|64)Array)<(?:ArrayBuffer|ArrayBufferLike|SharedArrayBuffer)>/g;

/**
 * A declaration that names Node's types (`Buffer`, `NodeJS.*`, `node:` modules) starts with
 * `/// <reference types="node" />`, so a consumer's program loads `@types/node` (which those
 * packages declare as a dependency) even when its tsconfig lists `types: []`; TypeScript 5.5+
 * no longer writes the directive itself. test/packaging/pack.test.ts type-checks such a consumer.
 */
const NODE_TYPE_USE = /\bBuffer\b|\bNodeJS\.|(?:from|import)\s*\(?\s*['"]node:/;
const NODE_TYPES_REFERENCE = '/// <reference types="node" />';

function portableDeclaration(text: string): string {
  const referenced =
    NODE_TYPE_USE.test(text) && !text.includes(NODE_TYPES_REFERENCE)
      ? `${NODE_TYPES_REFERENCE}\n${text}`
      : text;
  return referenced
    .replace(
      RELATIVE_TS_SPECIFIER,
      (_all, lead, quote, path) => `${lead}${quote}${path}.js${quote}`,
    )
    .replace(GENERIC_TYPED_ARRAY, '$1');
}

function fixDeclarations(folder: string): number {
  let fixed = 0;
  if (!existsSync(folder)) return 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) fixed += fixDeclarations(path);
    else if (entry.name.endsWith('.d.ts')) {
      const text = readFileSync(path, 'utf8');
      const portable = portableDeclaration(text);
      if (portable !== text) {
        writeFileSync(path, portable);
        fixed += 1;
      }
    }
  }
  return fixed;
}

/**
 * tsc -b trusts a package's build info even when its dist/ is gone (then its dependents fail
 * with TS6305); so a package without dist/index.js loses its build info and is built again.
 */
function forgetBuildsWithoutOutput(): void {
  for (const dir of packageDirs()) {
    if (!existsSync(join(dir, 'dist', 'index.js')))
      rmSync(join(dir, buildInfoName), { force: true });
  }
}

/** Every package must be in the solution config, or `tsc -b` silently leaves it unbuilt. */
function checkSolutionListsEveryPackage(): void {
  const solution = readFileSync(solutionConfig, 'utf8');
  for (const dir of packageDirs()) {
    const config = `${relative(repoRoot, dir)}/tsconfig.build.json`;
    if (!existsSync(join(repoRoot, config)) || !solution.includes(`"${config}"`)) {
      throw new Error(
        `${config}: missing or not referenced by tsconfig.build.json; copy packages/atomic-file/tsconfig.build.json, list the package's @hostmirror dependencies as references, and add it to the root tsconfig.build.json`,
      );
    }
  }
}

async function build(): Promise<void> {
  checkSolutionListsEveryPackage();
  forgetBuildsWithoutOutput();
  try {
    execFileSync(tscBin, ['-b', solutionConfig], { stdio: 'inherit', cwd: repoRoot });
  } catch {
    process.stderr.write(
      'build-packages: tsc -b failed (its errors are above); dist/ is incomplete\n',
    );
    process.exit(1);
  }
  let copied = 0;
  let pruned = 0;
  for (const dir of packageDirs()) {
    pruned += pruneOrphans(join(dir, 'src'), join(dir, 'dist'));
    copied += copyAssets(join(dir, 'src'), join(dir, 'dist'));
    fixDeclarations(join(dir, 'dist'));
  }
  // What is published: this bundle only, no chunk of an earlier one (`files: ["dist"]`).
  const bundled = await bundleCli({ pruneAll: true });
  process.stdout.write(
    `built ${packageDirs().length} packages; ${copied} assets copied; ${pruned} orphans removed; bin ${relative(repoRoot, bundleEntry)} (${bundled.files} files)\n`,
  );
}

function clean(): void {
  for (const dir of packageDirs()) {
    rmSync(join(dir, 'dist'), { recursive: true, force: true });
    rmSync(join(dir, buildInfoName), { force: true });
  }
}

if (process.argv.includes('--clean')) clean();
else await build();
