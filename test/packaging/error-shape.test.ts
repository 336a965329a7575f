/**
 * One error shape: every error class a package exports extends `HostmirrorError`
 * (`@hostmirror/errors`), so callers read `code`, `subject`, the place, `fix` and `cause` the same
 * way whatever threw; and no package source declares an error class on plain `Error` (which would
 * escape the shape without being exported); every error class declares a fix for each of its
 * codes and every code the sources throw has one, so a user always gets `fix`. The packages are
 * found from `packages/*` and imported by name, as users import them.
 */
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import { HostmirrorError } from '@hostmirror/errors';
import { repoRoot } from '@hostmirror/fixtures';

/**
 * Classes on plain `Error` that never leave their module: the systemd unit lexer's control flow
 * (`ignition/src/unit-file.ts` turns it into a validation problem before returning).
 */
const internalErrorClasses = new Set(['UnitTextError']);

/**
 * HostmirrorError classes that never leave their package: build-iso's ELF reader error, which
 * registry-program.ts turns into BuildIsoError REGISTRY_BINARY_UNFIT with the fix.
 */
const wrappedErrorClasses = new Set(['ElfError']);

async function workspacePackageNames(): Promise<string[]> {
  const names: string[] = [];
  for (const dir of (await readdir(join(repoRoot, 'packages'))).sort()) {
    let manifest: { name?: string; private?: boolean };
    try {
      manifest = JSON.parse(
        await readFile(join(repoRoot, 'packages', dir, 'package.json'), 'utf8'),
      );
    } catch {
      continue; // a folder without package.json (left over from a move)
    }
    if (manifest.name !== undefined) names.push(manifest.name);
  }
  return names;
}

function isErrorClass(value: unknown): value is new (...args: never[]) => Error {
  return typeof value === 'function' && value.prototype instanceof Error;
}

type ErrorClass = typeof HostmirrorError & (new (...args: never[]) => HostmirrorError);

/** Every exported HostmirrorError subclass of every workspace package, by class name. */
async function exportedErrorClasses(): Promise<Map<string, ErrorClass>> {
  const classes = new Map<string, ErrorClass>();
  for (const name of await workspacePackageNames()) {
    const exported: Record<string, unknown> = await import(name);
    for (const value of Object.values(exported))
      if (isErrorClass(value) && value.prototype instanceof HostmirrorError)
        classes.set(value.name, value as unknown as ErrorClass);
  }
  return classes;
}

/** The sources of the packages (tests and test support left out). */
async function packageSources(): Promise<{ path: string; text: string }[]> {
  const sources: { path: string; text: string }[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'dist') await walk(path);
      } else if (
        entry.name.endsWith('.ts') &&
        !entry.name.endsWith('.test.ts') &&
        !entry.name.includes('test-support')
      )
        sources.push({ path: relative(repoRoot, path), text: await readFile(path, 'utf8') });
    }
  };
  await walk(join(repoRoot, 'packages'));
  return sources;
}

test('everyExportedErrorClassExtendsHostmirrorError', async () => {
  const names = await workspacePackageNames();
  assert.ok(names.length >= 10, `found only ${names.length} packages`);
  const checked: string[] = [];
  const outside: string[] = [];
  for (const name of names) {
    const exported: Record<string, unknown> = await import(name);
    for (const [exportName, value] of Object.entries(exported)) {
      if (!isErrorClass(value) || value === HostmirrorError) continue;
      checked.push(`${name}:${exportName}`);
      if (!(value.prototype instanceof HostmirrorError)) outside.push(`${name}:${exportName}`);
    }
  }
  // The eleven user-facing classes of the packages (names and codes kept for users).
  for (const expected of [
    'AtomicFileError',
    'BootSequenceError',
    'BudgetExceededError',
    'BudgetInputError',
    'BuildIsoError',
    'CodecError',
    'IgnitionError',
    'InitrdError',
    'IsoError',
    'MirrorCheckError',
    'MirrorFormatError',
    'NewcError',
    'UsageError',
  ])
    assert.ok(
      checked.some((entry) => entry.endsWith(`:${expected}`)),
      `${expected} is not exported by any package (checked: ${checked.join(', ')})`,
    );
  assert.deepEqual(outside, [], `error classes outside the shape: ${outside.join(', ')}`);
});

test('noPackageSourceDeclaresAnErrorOnPlainError', async () => {
  const found: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules' && entry.name !== 'dist') await walk(path);
      } else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) {
        const text = await readFile(path, 'utf8');
        for (const match of text.matchAll(/class (\w+) extends Error\b/g))
          if (!internalErrorClasses.has(match[1] ?? ''))
            found.push(`${relative(repoRoot, path)}: class ${match[1]} extends Error`);
      }
    }
  };
  await walk(join(repoRoot, 'packages'));
  assert.deepEqual(
    found,
    [],
    `extend HostmirrorError from @hostmirror/errors instead:\n${found.join('\n')}`,
  );
});

test('aPackageErrorCarriesTheCommonFields', async () => {
  const { IsoError } = await import('@hostmirror/iso');
  const cause = new Error('short read');
  const error = new IsoError('NOT_ISO9660', 'No ISO 9660 volume descriptor at byte 32768.', {
    path: 'live.iso',
    offset: 32768,
    fix: 'Give a CoreOS live ISO.',
    cause,
  });
  assert.ok(error instanceof HostmirrorError);
  assert.deepEqual(JSON.parse(JSON.stringify(error)), {
    name: 'IsoError',
    code: 'NOT_ISO9660',
    message: 'No ISO 9660 volume descriptor at byte 32768.',
    path: 'live.iso',
    offset: 32768,
    fix: 'Give a CoreOS live ISO.',
  });
  assert.equal(error.cause, cause);
});

test('everyCodeHasAFix: each error class has its own fix for every code, and every code the sources throw is in it', async () => {
  const classes = await exportedErrorClasses();
  assert.ok(classes.size >= 15, `found only ${classes.size} error classes`);
  const problems: string[] = [];
  // Each class's own table (an inherited one would answer for another class's codes), every
  // fix a sentence.
  for (const [name, errorClass] of classes) {
    if (!Object.hasOwn(errorClass, 'fixes')) {
      problems.push(`${name} declares no static fixes table`);
      continue;
    }
    const fixes = Object.entries(errorClass.fixes);
    if (fixes.length === 0) problems.push(`${name}.fixes is empty`);
    for (const [code, fix] of fixes)
      if (!/^\S.{10,}[.)]$/s.test(fix))
        problems.push(`${name}.fixes.${code} is not a sentence: ${JSON.stringify(fix)}`);
  }
  // Every `new XxxError('CODE'` in the sources: the class is exported (so users can branch on
  // it) and has a fix for that code; every error class declared is exported.
  let thrown = 0;
  for (const { path, text } of await packageSources()) {
    for (const match of text.matchAll(/class (\w+Error) extends (\w+)/g)) {
      const name = match[1] as string;
      if (!internalErrorClasses.has(name) && !wrappedErrorClasses.has(name) && !classes.has(name))
        problems.push(
          `${path}: ${name} is not exported by its package (export it, or throw the package's error class)`,
        );
    }
    for (const match of text.matchAll(/new (\w+Error)\(\s*'([A-Z][A-Z0-9_]*)'/g)) {
      const [, name, code] = match as unknown as [string, string, string];
      thrown++;
      const errorClass = classes.get(name);
      if (errorClass === undefined) {
        if (!internalErrorClasses.has(name))
          problems.push(`${path}: throws ${name}, which no package exports`);
        continue;
      }
      if (!(errorClass.fixes[code] ?? '').trim())
        problems.push(`${path}: ${name} ${code} has no fix in ${name}.fixes`);
    }
  }
  assert.ok(thrown >= 300, `found only ${thrown} throws with a code`);
  assert.deepEqual(problems, [], problems.join('\n'));
});

test("aThrowWithoutAFixGetsTheClassFix: the fix a user sees, and a throw's own fix wins", async () => {
  const { IsoError } = await import('@hostmirror/iso');
  const { InitrdError } = await import('@hostmirror/initrd');
  const plain = new IsoError(
    'NOT_COREOS',
    'Unrecognized CoreOS ISO image: no coreos/igninfo.json.',
  );
  assert.equal(plain.fix, IsoError.fixes.NOT_COREOS);
  assert.match(JSON.parse(JSON.stringify(plain)).fix, /RHCOS live ISO/);
  const own = new InitrdError('TRUNCATED', 'cut', { fix: 'Download it again from the mirror.' });
  assert.equal(own.fix, 'Download it again from the mirror.');
  // A class without its own table (a user's subclass) gives no fix rather than another's.
  class PartError extends HostmirrorError<'X'> {}
  assert.equal(new PartError('X', 'm').fix, undefined);
});

/**
 * A plain `Error` (or `RangeError`, `TypeError`) a package throws reaches users as a bug with a
 * stack and no code or fix; each one left must be an internal invariant and say why in a comment
 * saying "Internal invariant" within the five lines above it. The private fixtures (test set-up,
 * never published) are left out.
 */
test('noPackageSourceThrowsAPlainErrorUnlessAnInternalInvariant', async () => {
  const found: string[] = [];
  const plain = /\b(?:new|throw) (?:Error|RangeError|TypeError)\(/;
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'generated') await walk(path);
      } else if (entry.name.endsWith('.ts') && !/\.test(-support)?\.ts$/.test(entry.name)) {
        const lines = (await readFile(path, 'utf8')).split('\n');
        lines.forEach((line, index) => {
          if (!plain.test(line) || line.trimStart().startsWith('*')) return;
          const above = lines.slice(Math.max(0, index - 5), index + 1).join('\n');
          if (!/internal invariant/i.test(above))
            found.push(`${relative(repoRoot, path)}:${index + 1}: ${line.trim()}`);
        });
      }
    }
  };
  for (const dir of await readdir(join(repoRoot, 'packages')))
    if (dir !== 'fixtures') await walk(join(repoRoot, 'packages', dir, 'src'));
  assert.deepEqual(
    found,
    [],
    `throw the package's typed error (code, subject, fix), or say "Internal invariant" and why above it:\n${found.join('\n')}`,
  );
});
