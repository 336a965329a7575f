import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type IgnitionConfig,
  mergeConfigs,
  mergeSameSpec,
} from '../../packages/ignition/src/index.ts';
import { loadMergeCases } from './conformance.ts';

const cases = loadMergeCases();

for (const testCase of cases) {
  test(`merge: ${testCase.name}`, () => {
    assert.deepEqual(mergeSameSpec(testCase.parent, testCase.child), testCase.result);
  });
}

test('merge: inputs are not modified', () => {
  const [first] = cases;
  assert.ok(first);
  const parent = structuredClone(first.parent);
  const child = structuredClone(first.child);
  mergeSameSpec(parent, child);
  assert.deepEqual(parent, first.parent);
  assert.deepEqual(child, first.child);
});

test('merge: configs of different specs are translated to the newer first', () => {
  const parent: IgnitionConfig = {
    ignition: { version: '3.5.0' },
    storage: { files: [{ path: '/a', mode: 0o4755 }] },
  };
  const child: IgnitionConfig = { ignition: { version: '3.6.0' } };
  const merged = mergeConfigs(parent, child);
  assert.equal(merged.ignition.version, '3.6.0');
  assert.equal(merged.storage?.files?.[0]?.mode, 0o755, 'special bits stripped crossing 3.5→3.6');
});
