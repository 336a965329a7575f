/**
 * The packages as npm users get them: `pnpm build`, `pnpm -r pack` (publishConfig applied,
 * `workspace:*` replaced by versions), `npm install` of the tarballs into a fresh project outside
 * the repository, then plain `node` — no tsx anywhere — imports every package and runs the
 * installed `hostmirror` bin. The consumer's TypeScript check proves the shipped `.d.ts` resolve,
 * with no `@types/node` of the consumer's own (the packages whose types name Node's bring it).
 *
 * Third-party dependencies (yaml, smol-toml, node-forge) come from the npm cache when it has them
 * (`--prefer-offline`), else from the registry. npm runs what install scripts there are (none: no
 * package pulls a native binding, so no compiler is needed; installNeedsNoCompiler checks it), and
 * the install is timed against the 20 s a user should wait at most.
 * The ISO case needs xorriso (packages/fixtures/src/coreos-iso.ts names the Debian package when missing).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { makeCoreosIso, repoRoot, requireTool, runOk, runTool } from '@hostmirror/fixtures';

const pnpmHint = 'pnpm (not Debian: run tools/ensure-pnpm.sh)';
const buildTimeoutMs = 120_000;
const packTimeoutMs = 60_000;
const npmInstallTimeoutMs = 120_000;
const runTimeoutMs = 30_000;
/** TypeScript 5.0 (JavaScript) takes some 20-40 s over every package's declarations here. */
const typeCheckTimeoutMs = 180_000;

/** A package npm users get; private ones (`@hostmirror/fixtures`) are neither packed nor checked. */
interface WorkspacePackage {
  name: string;
  private: boolean;
  /** Code export subpaths, `.` first. */
  subpaths: string[];
  /** JSON export subpaths (`./package.json`, `./report.schema.json`), imported `with { type: 'json' }`. */
  jsonSubpaths: string[];
  /** The manifest's `files`: what the tarball holds besides package.json. */
  files: string[];
}

let work = '';
/** Wall time of `npm install` of the tarballs. */
let installSeconds = 0;
/** The CPU (user + system) npm and its children spent on the install, as bash's `times` reports it. */
let installCpuSeconds = 0;
/** The 1-minute load average while npm installed: the higher of its value before and after. */
let installLoad = 0;
let consumer = '';
/** Where `pnpm pack` wrote one tarball per package. */
let tarballs = '';
let packages: WorkspacePackage[] = [];

/** Without NODE_OPTIONS (a `--import tsx` there would hide a missing build). */
function plainEnv(): NodeJS.ProcessEnv {
  const { NODE_OPTIONS: _dropped, ...rest } = process.env;
  return rest;
}

async function findPnpm(): Promise<string> {
  try {
    return await requireTool('pnpm', pnpmHint);
  } catch {
    return requireTool(join(repoRoot, '.tools', 'node_modules', '.bin', 'pnpm'), pnpmHint);
  }
}

async function readWorkspacePackages(): Promise<WorkspacePackage[]> {
  const dirs = (await readdir(join(repoRoot, 'packages'))).sort();
  return Promise.all(
    dirs.map(async (dir) => {
      const manifest = JSON.parse(
        await readFile(join(repoRoot, 'packages', dir, 'package.json'), 'utf8'),
      ) as {
        name: string;
        private?: boolean;
        exports: Record<string, unknown>;
        files?: string[];
      };
      const subpaths = Object.keys(manifest.exports);
      return {
        name: manifest.name,
        private: manifest.private === true,
        subpaths: subpaths.filter((subpath) => !subpath.endsWith('.json')),
        jsonSubpaths: subpaths.filter((subpath) => subpath.endsWith('.json')),
        files: manifest.files ?? [],
      };
    }),
  ).then((all) => all.filter((found) => !found.private));
}

const specifier = (name: string, subpath: string) =>
  subpath === '.' ? name : `${name}/${subpath.slice(2)}`;

function specifiers(): string[] {
  return packages.flatMap(({ name, subpaths }) => subpaths.map((sub) => specifier(name, sub)));
}

function jsonSpecifiers(): string[] {
  return packages.flatMap(({ name, jsonSubpaths }) =>
    jsonSubpaths.map((sub) => specifier(name, sub)),
  );
}

/** The installed bin, run as a user runs it: through its `#!/usr/bin/env node` line. */
function hostmirror(args: readonly string[]) {
  return runTool(join(consumer, 'node_modules', '.bin', 'hostmirror'), args, {
    cwd: consumer,
    env: plainEnv(),
    timeoutMs: runTimeoutMs,
  });
}

before(async () => {
  const pnpm = await findPnpm();
  const npm = await requireTool('npm', 'npm (Node.js ships it; Debian: npm)');
  packages = await readWorkspacePackages();
  work = await mkdtemp(join(tmpdir(), 'hm-pack-'));
  tarballs = join(work, 'tarballs');
  consumer = join(work, 'consumer');
  await mkdir(consumer);
  await runOk(process.execPath, ['--import', 'tsx', 'tools/build-packages.ts'], {
    cwd: repoRoot,
    timeoutMs: buildTimeoutMs,
  });
  const only = packages.flatMap(({ name }) => ['--filter', name]);
  await runOk(pnpm, ['-r', ...only, '--silent', 'pack', '--pack-destination', tarballs], {
    cwd: repoRoot,
    timeoutMs: packTimeoutMs,
  });
  const files = (await readdir(tarballs)).filter((name) => name.endsWith('.tgz'));
  assert.equal(files.length, packages.length, `one tarball per package: ${files.join(', ')}`);
  await writeFile(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'hostmirror-consumer', private: true, type: 'module' }),
  );
  const npmArgs = ['--no-audit', '--no-fund', '--prefer-offline'];
  const install = [...npmArgs, '--loglevel=error'];
  const [loadBefore = 0] = loadavg();
  const started = performance.now();
  const installed = await runOk(
    'bash',
    [
      '-c',
      '"$0" "$@" >&2; status=$?; times; exit $status',
      npm,
      'install',
      ...install,
      ...files.map((name) => join(tarballs, name)),
    ],
    { cwd: consumer, env: plainEnv(), timeoutMs: npmInstallTimeoutMs },
  );
  installSeconds = (performance.now() - started) / 1000;
  installCpuSeconds = childCpuSeconds(installed.stdout.toString('utf8'));
  installLoad = Math.max(loadBefore, loadavg()[0] ?? 0);
});

/** The children's user + system seconds from bash's `times` (its second line: `0m12.3s 0m2.1s`). */
function childCpuSeconds(times: string): number {
  const lines = times.trim().split('\n');
  const children = lines[lines.length - 1] ?? '';
  const match = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(children);
  assert.ok(match, `bash's times printed ${JSON.stringify(times)}`);
  const [, userMin, userSec, sysMin, sysSec] = match.map(Number);
  return (userMin ?? 0) * 60 + (userSec ?? 0) + (sysMin ?? 0) * 60 + (sysSec ?? 0);
}

after(async () => {
  if (work !== '') await rm(work, { recursive: true, force: true });
});

test('installNeedsNoCompiler: no installed package has an install script or a native build; under 20 s', async () => {
  const found: string[] = [];
  async function visit(folder: string): Promise<void> {
    for (const entry of await readdir(folder, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const path = join(folder, entry.name);
      if (entry.name.startsWith('@')) {
        await visit(path);
        continue;
      }
      const manifest = JSON.parse(await readFile(join(path, 'package.json'), 'utf8')) as {
        scripts?: Record<string, string>;
        gypfile?: boolean;
      };
      const scripts = ['preinstall', 'install', 'postinstall'].filter(
        (name) => manifest.scripts?.[name] !== undefined,
      );
      const gyp = (await readdir(path)).includes('binding.gyp');
      if (scripts.length > 0 || gyp || manifest.gypfile === true)
        found.push(`${entry.name}: ${[...scripts, ...(gyp ? ['binding.gyp'] : [])].join(', ')}`);
    }
  }
  await visit(join(consumer, 'node_modules'));
  assert.deepEqual(found, []);
  // The wall time is what a user waits; on a machine busier than its cores (a shared CI host)
  // it measures the neighbours, and the install's own CPU time is judged instead. The load is
  // the one around the install (sampled then), not the one when this test happens to run.
  const judged = installLoad > availableParallelism() ? installCpuSeconds : installSeconds;
  assert.ok(
    judged < 20,
    `npm install took ${installSeconds.toFixed(1)} s (CPU ${installCpuSeconds.toFixed(1)} s, load ${installLoad.toFixed(1)} around it, ${availableParallelism()} cores)`,
  );
});

test('packedManifestsPointAtDist', async () => {
  for (const { name, files } of packages) {
    const folder = join(consumer, 'node_modules', name);
    const manifest = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8')) as {
      exports: Record<string, string | { types: string; default: string }>;
      types: string;
      dependencies?: Record<string, string>;
      bin?: Record<string, string>;
    };
    for (const [subpath, target] of Object.entries(manifest.exports)) {
      if (typeof target === 'string') {
        // A data file (package.json, a JSON schema) exported as itself, and shipped.
        assert.equal(target, subpath, `${name} exports ${subpath}`);
        assert.match(subpath, /\.json$/, `${name} exports ${subpath}`);
        continue;
      }
      assert.match(target.default, /^\.\/dist\/.*\.js$/, `${name} exports ${subpath}`);
      assert.match(target.types, /^\.\/dist\/.*\.d\.ts$/, `${name} exports ${subpath} types`);
    }
    assert.match(manifest.types, /^\.\/dist\//, `${name} types`);
    for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
      assert.doesNotMatch(range, /^workspace:/, `${name} depends on ${dep}@${range}`);
      assert.notEqual(dep, '@hostmirror/fixtures', `${name}: the private fixtures are not shipped`);
    }
    for (const bin of Object.values(manifest.bin ?? {})) assert.match(bin, /^\.\/dist\//);
    const shipped = await readdir(folder);
    assert.deepEqual(
      shipped.sort(),
      [...new Set([...files, 'package.json'])].sort(),
      `${name} ships its manifest's files`,
    );
    assert.ok(
      files.includes('dist') && files.includes('README.md') && files.includes('LICENSE'),
      `${name} files`,
    );
    assert.equal(
      await readFile(join(folder, 'LICENSE'), 'utf8'),
      await readFile(join(repoRoot, 'LICENSE'), 'utf8'),
      `${name} ships the project's LICENSE (Apache-2.0)`,
    );
    const maps = (await readdir(join(folder, 'dist'))).filter((file) => file.endsWith('.js.map'));
    assert.ok(maps.length > 0, `${name} ships source maps`);
    // Tests and their helpers stay in the repository.
    const dist = await readdir(join(folder, 'dist'), { recursive: true });
    const testFiles = dist.filter((file) => /\.test(-support)?\.|\.fixture\./.test(file));
    assert.deepEqual(testFiles, [], `${name} ships test files`);
  }
});

test('everyPackageImportsWithPlainNode', async () => {
  const script = `
    const loaded = {};
    for (const specifier of ${JSON.stringify(specifiers())}) {
      loaded[specifier] = Object.keys(await import(specifier)).length;
    }
    for (const specifier of ${JSON.stringify(jsonSpecifiers())}) {
      loaded[specifier] = Object.keys((await import(specifier, { with: { type: 'json' } })).default).length;
    }
    console.log(JSON.stringify({ execArgv: process.execArgv, loaded }));`;
  const run = await runOk(process.execPath, ['--input-type=module', '-e', script], {
    cwd: consumer,
    env: plainEnv(),
    timeoutMs: runTimeoutMs,
  });
  const report = JSON.parse(run.stdout.toString('utf8')) as {
    execArgv: string[];
    loaded: Record<string, number>;
  };
  assert.deepEqual(report.execArgv, ['--input-type=module', '-e', script]);
  for (const specifier of [...specifiers(), ...jsonSpecifiers()]) {
    assert.ok((report.loaded[specifier] ?? 0) > 0, `${specifier} exports nothing`);
  }
});

test('declarationsThatNameNodeTypesBringThem: @types/node declared, referenced, installed', async () => {
  const nodeTypeUse = /\bBuffer\b|\bNodeJS\.|(?:from|import)\s*\(?\s*['"]node:/;
  const users: string[] = [];
  for (const { name } of packages) {
    const folder = join(consumer, 'node_modules', name);
    const manifest = JSON.parse(await readFile(join(folder, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
    };
    const declarations = (await readdir(join(folder, 'dist'), { recursive: true })).filter((file) =>
      file.endsWith('.d.ts'),
    );
    for (const file of declarations) {
      const text = await readFile(join(folder, 'dist', file), 'utf8');
      if (!nodeTypeUse.test(text)) continue;
      users.push(`${name}/dist/${file}`);
      assert.ok(
        text.startsWith('/// <reference types="node" />\n'),
        `${name}/dist/${file} names Node types without /// <reference types="node" />`,
      );
      assert.equal(
        manifest.dependencies?.['@types/node'],
        '>=20.19.0',
        `${name} ships ${file}, which names Node types, so it depends on @types/node (the floor up)`,
      );
    }
  }
  assert.ok(users.length > 10, `only ${users.length} declarations name Node types: ${users}`);
  const installed = JSON.parse(
    await readFile(join(consumer, 'node_modules', '@types', 'node', 'package.json'), 'utf8'),
  ) as { version: string };
  assert.match(installed.version, /^\d+\.\d+\.\d+$/);
});

test('shippedTypesCheckInAConsumer', async () => {
  const imports = specifiers().map(
    (specifier, index) => `import * as m${index} from '${specifier}';`,
  );
  const uses = specifiers().map((_, index) => `m${index}`);
  // A deliberate type error proves the check sees the real declarations (not `any`).
  await writeFile(
    join(consumer, 'use.ts'),
    `${imports.join('\n')}\nexport const all: object[] = [${uses.join(', ')}];\n` +
      `export const wrong: number = m0;\n`,
  );
  await writeFile(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        target: 'ES2022',
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        // No types of its own: Node's come only through the packages' `@types/node` dependency
        // and the `/// <reference types="node" />` their declarations start with.
        types: [],
      },
      files: ['use.ts'],
    }),
  );
  const npm = await requireTool('npm', 'npm (Node.js ships it; Debian: npm)');
  const npmInstall = (args: string[]) =>
    runOk(
      npm,
      ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error', ...args],
      {
        cwd: consumer,
        env: plainEnv(),
        timeoutMs: npmInstallTimeoutMs,
      },
    );
  async function typeCheck(tsc: string, with_: string): Promise<void> {
    const check = await runTool(tsc, ['-p', 'tsconfig.json', '--pretty', 'false'], {
      cwd: consumer,
      timeoutMs: typeCheckTimeoutMs,
    });
    assert.equal(check.timedOut, false, `${tsc} took over ${typeCheckTimeoutMs} ms`);
    const errors = check.stdout.toString('utf8').trim().split('\n');
    assert.equal(errors.length, 1, `${tsc} (${with_}):\n${errors.join('\n')}${check.stderr}`);
    assert.match(errors[0] ?? '', /^use\.ts\(\d+,\d+\): error TS2322:/, `${tsc}: ${check.stderr}`);
  }
  // The workspace's TypeScript (the newest), with the @types/node npm chose for the packages.
  const chosen = JSON.parse(
    await readFile(join(consumer, 'node_modules', '@types', 'node', 'package.json'), 'utf8'),
  ) as { version: string };
  await typeCheck(join(repoRoot, 'node_modules', '.bin', 'tsc'), `@types/node ${chosen.version}`);
  // The oldest TypeScript the declarations support (5.0: from npm, into the test's folder). Current
  // @types/node declares `typeScriptVersion` 5.6 (DefinitelyTyped supports two years of TypeScript),
  // so a TS 5.0 project pins an older one of its own: the floor's, which the packages' range
  // `>=20.19.0` accepts, so npm keeps exactly one copy (two would declare Node's globals twice).
  const oldest = join(work, 'typescript-5.0');
  await runOk(
    npm,
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      '--loglevel=error',
      '--prefix',
      oldest,
      'typescript@5.0.4',
    ],
    { env: plainEnv(), timeoutMs: npmInstallTimeoutMs },
  );
  await npmInstall(['--save-dev', '@types/node@20.19.43']);
  const copies = (await readdir(join(consumer, 'node_modules'), { recursive: true })).filter(
    (path) => path.endsWith(join('@types', 'node', 'package.json')),
  );
  assert.deepEqual(copies, [join('@types', 'node', 'package.json')], 'one @types/node');
  await typeCheck(join(oldest, 'node_modules', '.bin', 'tsc'), '@types/node 20.19.43 of its own');
});

test('installedBinRunsHelp', async () => {
  for (const args of [['--help'], ['mirror', 'inspect', '--help'], ['iso', '--help']]) {
    const run = await hostmirror(args);
    assert.equal(run.exitCode, 0, `hostmirror ${args.join(' ')}: ${run.stderr}`);
    assert.match(run.stdout.toString('utf8'), /^usage: hostmirror/m);
  }
});

/** `./name.js` specifiers in a bundle file: its static imports and its `import()` chunks. */
function chunkImports(text: string): string[] {
  return [...text.matchAll(/["']\.\/([\w.-]+\.js)["']/g)].map((match) => match[1] as string);
}

test('cliTarballHoldsOneBundle: one entry (tools/bundle-cli.ts), every chunk reached from it, --help runs unpacked', async () => {
  const tarball = (await readdir(tarballs)).find((name) => /^hostmirror-cli-.*\.tgz$/.test(name));
  assert.ok(tarball !== undefined, `no @hostmirror/cli tarball in ${tarballs}`);
  const unpacked = join(work, 'cli-unpacked');
  await mkdir(unpacked);
  await runOk('tar', ['-xzf', join(tarballs, tarball), '-C', unpacked], {
    timeoutMs: runTimeoutMs,
  });
  const bin = join(unpacked, 'package', 'dist', 'bin');
  const shipped = (await readdir(bin)).sort();
  const scripts = shipped.filter((name) => name.endsWith('.js'));
  const texts = new Map(
    await Promise.all(
      scripts.map(async (name) => [name, await readFile(join(bin, name), 'utf8')] as const),
    ),
  );
  // The entry is the one file with the `#!/usr/bin/env node` line bundle-cli.ts writes.
  const entries = scripts.filter((name) => texts.get(name)?.startsWith('#!/usr/bin/env node\n'));
  assert.deepEqual(entries, ['hostmirror.js'], `entries in ${tarball}: ${entries.join(', ')}`);
  // Every chunk is imported by the entry or a chunk it imports: none left from another bundle.
  const reached = new Set(['hostmirror.js']);
  const queue = ['hostmirror.js'];
  for (let name = queue.pop(); name !== undefined; name = queue.pop())
    for (const imported of chunkImports(texts.get(name) ?? '')) {
      assert.ok(texts.has(imported), `${name} imports ./${imported}, which ${tarball} lacks`);
      if (!reached.has(imported)) queue.push(imported);
      reached.add(imported);
    }
  assert.ok(reached.size > 5, `only ${reached.size} bundle files reached: ${[...reached]}`);
  assert.deepEqual(
    scripts.filter((name) => !reached.has(name)),
    [],
    `${tarball} ships chunks no import reaches (an earlier bundle's)`,
  );
  // Nothing else: no boot scripts copied beside it (they are embedded), no stray map.
  const rest = shipped.filter((name) => !name.endsWith('.js'));
  assert.deepEqual(
    rest.filter((name) => !(name.endsWith('.js.map') && reached.has(name.slice(0, -4)))),
    ['THIRD-PARTY-LICENSES.txt', 'inputs.json'],
    'besides the bundle: its source maps, the licences and the inputs list',
  );
  // The unpacked bundle alone, no node_modules anywhere above it: --help and --version run.
  for (const [args, expected] of [
    [['--help'], /^usage: hostmirror/m],
    [['--version'], /^hostmirror \d+\.\d+\.\d+\n/],
  ] as const) {
    const run = await runTool(process.execPath, [join(bin, 'hostmirror.js'), ...args], {
      cwd: unpacked,
      env: plainEnv(),
      timeoutMs: runTimeoutMs,
    });
    assert.equal(run.exitCode, 0, `hostmirror ${args.join(' ')} unpacked: ${run.stderr}`);
    assert.match(run.stdout.toString('utf8'), expected);
  }
});

test('installedBinBuildsAnInitrd', async () => {
  const spec = join(work, 'overlay.yaml');
  const overlay = join(work, 'overlay.img');
  await writeFile(join(work, 'payload.bin'), Buffer.alloc(70_000, 7));
  await writeFile(
    spec,
    [
      'files:',
      '  - path: /etc/hostmirror/config.yml',
      '    contents: "version: 0.1\\n"',
      '  - path: /usr/local/bin/payload',
      '    source: ./payload.bin',
      '    mode: 0755',
      'directories: [{ path: /etc/hostmirror, mode: 0755 }]',
      'symlinks: [{ path: /usr/local/bin/p, target: payload }]',
      '',
    ].join('\n'),
  );
  const build = await hostmirror(['initrd', 'build', spec, '-o', overlay, '--compress', 'gzip']);
  assert.equal(build.exitCode, 0, build.stderr.toString('utf8'));
  const verify = await hostmirror(['initrd', 'verify', overlay, '--json']);
  assert.equal(verify.exitCode, 0, verify.stdout.toString('utf8'));
  const listing = await hostmirror(['initrd', 'ls', overlay, '--json']);
  assert.equal(listing.exitCode, 0, listing.stderr.toString('utf8'));
  const text = listing.stdout.toString('utf8');
  for (const path of ['etc/hostmirror/config.yml', 'usr/local/bin/payload', 'usr/local/bin/p']) {
    assert.ok(text.includes(path), `initrd ls lists ${path}: ${text.slice(0, 500)}`);
  }
});

test('installedBinOnEverySupportedNode: --version, and the same overlay bytes through -o - | head -c 1 on the floor, 22 and the newest', async () => {
  const spec = join(work, 'same-bytes.yaml');
  await writeFile(
    spec,
    'files:\n  - path: /etc/hostmirror/a\n    contents: "same on every Node\\n"\n',
  );
  const bin = join(consumer, 'node_modules', '.bin', 'hostmirror');
  const digests = new Map<string, string>();
  for (const release of ['floor', '22', 'newest']) {
    const node = (
      await runOk('bash', [join(repoRoot, 'tools/ensure-node.sh'), release], {
        timeoutMs: npmInstallTimeoutMs,
      })
    ).stdout
      .toString('utf8')
      .trim();
    const version = await runOk(node, [bin, '--version'], {
      cwd: consumer,
      env: plainEnv(),
      timeoutMs: runTimeoutMs,
    });
    assert.match(version.stdout.toString('utf8'), /^hostmirror \d+\.\d+\.\d+\n/);
    const built = await runOk(
      node,
      [bin, 'initrd', 'build', spec, '-o', '-', '--compress', 'gzip'],
      { cwd: consumer, env: plainEnv(), timeoutMs: runTimeoutMs },
    );
    digests.set(release, createHash('sha256').update(built.stdout).digest('hex'));
    // The reader leaves after one byte: no EPIPE trace, the status SIGPIPE gives.
    const piped = await runOk(
      'bash',
      [
        '-c',
        `"$0" "$1" initrd build "$2" -o - --compress gzip -q | head -c 1 >/dev/null; echo "\${PIPESTATUS[0]}"`,
        node,
        bin,
        spec,
      ],
      { cwd: consumer, env: plainEnv(), timeoutMs: runTimeoutMs },
    );
    assert.equal(piped.stderr.toString('utf8'), '', release);
    assert.match(piped.stdout.toString('utf8'), /^(0|141)\n$/, release);
  }
  assert.equal(new Set(digests.values()).size, 1, JSON.stringify([...digests]));
});

test('installedBinIsTheBundle: no repository file read, --demo builds an ISO', async () => {
  // The bin is the esbuild bundle (tools/bundle-cli.ts; its files: cliTarballHoldsOneBundle):
  // what the sources read through import.meta.url (boot scripts, package.json) is inside.
  const version = await hostmirror(['--version', '--json']);
  assert.equal(version.exitCode, 0, version.stderr.toString('utf8'));
  const packagesRun = (JSON.parse(version.stdout.toString('utf8')) as { packages: object })
    .packages;
  assert.ok('@hostmirror/boot-sequence' in packagesRun, JSON.stringify(packagesRun));
  // --demo: the generated inputs (a chunk of its own), the embedded boot scripts in the ISO's
  // Ignition, node-forge (left outside the bundle) for the mirror's TLS.
  const out = join(work, 'demo');
  const demo = await hostmirror(['build-iso', '--demo', '-o', out, '-q', '--json']);
  assert.equal(demo.exitCode, 0, `${demo.stderr}\n${demo.stdout.toString('utf8').slice(0, 2000)}`);
  const shown = await hostmirror(['iso', 'ignition', 'show', join(out, 'hostmirror-demo.iso')]);
  assert.equal(shown.exitCode, 0, shown.stderr.toString('utf8'));
  const files = (
    JSON.parse(shown.stdout.toString('utf8')) as { storage: { files: { path: string }[] } }
  ).storage.files.map((file) => file.path);
  for (const path of ['/usr/local/bin/hostmirror-serve.sh', '/etc/hostmirror/tls/tls.crt'])
    assert.ok(files.includes(path), `${path} in the demo ISO's Ignition: ${files.join(', ')}`);
});

test('installedBootSequenceReadsItsBootScripts', async () => {
  // scriptText reads `scripts/<name>` beside the module (import.meta.url): dist must carry them.
  const script = `
    const { PRE_PIVOT_HOOK_SCRIPT, STEP_SCRIPTS, scriptText } = await import('@hostmirror/boot-sequence');
    const names = [...STEP_SCRIPTS, PRE_PIVOT_HOOK_SCRIPT];
    console.log(JSON.stringify(names.map((name) => [name, scriptText(name).length])));`;
  const run = await runOk(process.execPath, ['--input-type=module', '-e', script], {
    cwd: consumer,
    env: plainEnv(),
    timeoutMs: runTimeoutMs,
  });
  const sizes = JSON.parse(run.stdout.toString('utf8')) as [string, number][];
  assert.ok(sizes.length > 1, 'the boot-sequence package lists its boot scripts');
  for (const [name, length] of sizes) assert.ok(length > 0, `${name} is empty`);
});

test('installedBinEmbedsIntoAnIso', async () => {
  const made = await makeCoreosIso({
    output: join(work, 'small.iso'),
    volumeId: 'hostmirror-pack-test',
  });
  const inspect = await hostmirror(['iso', 'inspect', made.path, '--json']);
  assert.equal(inspect.exitCode, 0, inspect.stderr.toString('utf8'));
  const report = JSON.parse(inspect.stdout.toString('utf8')) as { volumeId: string };
  assert.equal(report.volumeId, made.volumeId);
  const config = { ignition: { version: '3.4.0' }, passwd: { users: [{ name: 'core' }] } };
  const ignition = join(work, 'config.ign');
  const embedded = join(work, 'embedded.iso');
  await writeFile(ignition, JSON.stringify(config));
  const embed = await hostmirror([
    'iso',
    'embed',
    made.path,
    '--ignition',
    ignition,
    '-o',
    embedded,
  ]);
  assert.equal(embed.exitCode, 0, embed.stderr.toString('utf8'));
  const shown = await hostmirror(['iso', 'show-ignition', embedded]);
  assert.equal(shown.exitCode, 0, shown.stderr.toString('utf8'));
  assert.deepEqual(JSON.parse(shown.stdout.toString('utf8')), config);
});
