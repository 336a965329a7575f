/**
 * What a registry page and a license scanner read: every package is Apache-2.0 and ships the
 * project's LICENSE text (copied beside each package.json; npm packs it whatever `files` says).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '@hostmirror/fixtures';

test('every package is Apache-2.0 with the root LICENSE beside its package.json', () => {
  const license = readFileSync(join(repoRoot, 'LICENSE'), 'utf8');
  assert.match(license, /^\s*Apache License\s+Version 2\.0, January 2004/);
  for (const name of readdirSync(join(repoRoot, 'packages'))) {
    const folder = join(repoRoot, 'packages', name);
    const manifest = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
    assert.equal(manifest.license, 'Apache-2.0', name);
    assert.equal(readFileSync(join(folder, 'LICENSE'), 'utf8'), license, `${name}/LICENSE`);
  }
});
