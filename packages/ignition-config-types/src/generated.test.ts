import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { generateAll, generatedDir } from '../tools/generate.ts';
import { shapeValidators, specVersions } from './index.ts';

test('committedOutputIsUpToDate', async () => {
  const expected = await generateAll();
  const committed = (await readdir(generatedDir)).sort();
  assert.deepEqual(committed, [...expected.keys()].sort(), 'generated file list differs');
  for (const [name, content] of expected) {
    const actual = await readFile(join(generatedDir, name), 'utf8');
    assert.ok(
      actual === content,
      `${name} differs from the generator's output; run \`pnpm --filter @hostmirror/ignition-config-types generate\``,
    );
  }
});

test('everySpecHasAValidator', () => {
  for (const version of specVersions) assert.equal(typeof shapeValidators[version], 'function');
});

test('unknownKeysAreReported', () => {
  const validate = shapeValidators['3.2.0'];
  assert.ok(validate);
  const config = {
    ignition: { version: '3.2.0' },
    storage: { files: [{ path: '/etc/x', mdoe: 420 }] },
    passwd: { users: [{ name: 'core', sshAuthorizedkeys: ['k'] }] },
  };
  assert.equal(validate(config), false);
  const unknown = (validate.errors ?? []).map((error) => [
    error.instancePath,
    error.params.unevaluatedProperty ?? error.params.additionalProperty,
  ]);
  assert.deepEqual(unknown, [
    ['/storage/files/0', 'mdoe'],
    ['/passwd/users/0', 'sshAuthorizedkeys'],
  ]);
});

test('missingRequiredKeysAreLeftToTheRules', () => {
  // Ignition's decoder ignores the schema's `required`; its Validate() says `path not specified`.
  const validate = shapeValidators['3.4.0'];
  assert.ok(validate);
  assert.equal(validate({ storage: { files: [{ mode: 420 }] } }), true);
});

test('wrongTypesAreReported', () => {
  const validate = shapeValidators['3.0.0'];
  assert.ok(validate);
  assert.equal(
    validate({
      ignition: { version: '3.0.0' },
      storage: { files: [{ path: '/x', mode: '0644' }] },
    }),
    false,
  );
  assert.equal(validate.errors?.[0]?.instancePath, '/storage/files/0/mode');
  assert.equal(validate.errors?.[0]?.keyword, 'type');
});
