/**
 * The Node versions hostmirror claims are the ones it tests: every package.json's `engines.node`
 * is `>=` the floor tools/ensure-node.sh installs, and tools/run-tests.sh runs the unit suite on
 * that floor and on the newest release it installs. The CLI refuses an older Node in one sentence.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '@hostmirror/fixtures';

const ensureNode = readFileSync(join(repoRoot, 'tools/ensure-node.sh'), 'utf8');
const pinned = (label: string) =>
  new RegExp(`^ {2}${label}\\) version=(\\d+\\.\\d+\\.\\d+) ;;`, 'm').exec(ensureNode)?.[1];

test('every package claims the Node floor that the tests run on', () => {
  const floor = pinned('floor');
  assert.ok(floor, 'tools/ensure-node.sh pins a floor');
  const manifests = [
    'package.json',
    ...readdirSync(join(repoRoot, 'packages')).map((name) => `packages/${name}/package.json`),
  ];
  for (const manifest of manifests) {
    const { engines } = JSON.parse(readFileSync(join(repoRoot, manifest), 'utf8'));
    assert.equal(engines?.node, `>=${floor}`, manifest);
  }
  assert.ok(Number(pinned('newest')?.split('.')[0]) >= 24, 'the newest is Node 24 or later');
  const runTests = readFileSync(join(repoRoot, 'tools/run-tests.sh'), 'utf8');
  assert.match(runTests, /for release in floor 22 newest; do/);
});
