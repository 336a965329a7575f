/**
 * What a registry page and a license scanner read: every package is Apache-2.0 and ships the
 * project's LICENSE text (copied beside each package.json; npm packs it whatever `files` says),
 * and every published package links back to the project: `repository` (with the package's
 * `directory`, as npm documents for monorepos: docs.npmjs.com/cli/v10/configuring-npm/package-json#repository),
 * `homepage` (its README) and `bugs` (the issue tracker), all from the root package.json's URL.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '@hostmirror/fixtures';

interface Manifest {
  name: string;
  private?: boolean;
  license?: string;
  repository?: { type?: string; url?: string; directory?: string };
  homepage?: string;
  bugs?: { url?: string };
}

const readManifest = (folder: string): Manifest =>
  JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8')) as Manifest;
const packageDirs = readdirSync(join(repoRoot, 'packages')).sort();

test('every package is Apache-2.0 with the root LICENSE beside its package.json', () => {
  const license = readFileSync(join(repoRoot, 'LICENSE'), 'utf8');
  assert.match(license, /^\s*Apache License\s+Version 2\.0, January 2004/);
  for (const name of packageDirs) {
    const folder = join(repoRoot, 'packages', name);
    assert.equal(readManifest(folder).license, 'Apache-2.0', name);
    assert.equal(readFileSync(join(folder, 'LICENSE'), 'utf8'), license, `${name}/LICENSE`);
  }
});

test('every published package names the repository, its folder in it, its README and the issue tracker', () => {
  const root = readManifest(repoRoot);
  const url = root.repository?.url ?? '';
  // npm's own normal form: git+https://host/owner/name.git
  const web = /^git\+(https:\/\/[^/]+\/[^/]+\/[^/]+)\.git$/.exec(url)?.[1];
  assert.ok(web, `the root package.json's repository.url is git+https://…/OWNER/NAME.git: ${url}`);
  assert.equal(root.repository?.type, 'git');
  assert.equal(root.homepage, `${web}#readme`);
  assert.equal(root.bugs?.url, `${web}/issues`);
  const published = packageDirs.filter(
    (dir) => !readManifest(join(repoRoot, 'packages', dir)).private,
  );
  assert.ok(published.length >= 10, `only ${published.length} published packages found`);
  for (const dir of published) {
    const manifest = readManifest(join(repoRoot, 'packages', dir));
    assert.deepEqual(
      manifest.repository,
      { type: 'git', url, directory: `packages/${dir}` },
      `${manifest.name}: repository`,
    );
    assert.equal(manifest.homepage, `${web}/tree/main/packages/${dir}#readme`, manifest.name);
    assert.deepEqual(manifest.bugs, { url: `${web}/issues` }, `${manifest.name}: bugs`);
  }
});
