/**
 * One error shape: every error class a package exports extends `HostmirrorError`
 * (`@hostmirror/errors`), so callers read `code`, `subject`, the place, `fix` and `cause` the same
 * way whatever threw; and no package source declares an error class on plain `Error` (which would
 * escape the shape without being exported). The packages are found from `packages/*` and imported
 * by name, as users import them.
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
