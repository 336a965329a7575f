import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCliCaptured } from '../capture.ts';

async function ignition(args: string[]) {
  return runCliCaptured(['ignition', ...args]);
}

let folder = '';
const path = (name: string) => join(folder, name);

before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'hostmirror-cli-ignition-'));
  await writeFile(
    path('good.ign'),
    JSON.stringify({
      ignition: { version: '3.2.0' },
      storage: { files: [{ path: '/etc/a', contents: { source: 'data:,a', compression: '' } }] },
    }),
  );
  await writeFile(
    path('child.ign'),
    JSON.stringify({ ignition: { version: '3.3.0' }, kernelArguments: { shouldExist: ['quiet'] } }),
  );
  await writeFile(
    path('bad.ign'),
    '{"ignition":{"version":"3.3.0"},"storage":{"files":[{"path":"etc/x"}]}}',
  );
});
after(async () => {
  await rm(folder, { recursive: true, force: true });
});

test('validateValidExitsZero', async () => {
  const result = await ignition(['validate', path('good.ign')]);
  assert.equal(result.code, 0);
  assert.match(result.stdout, /valid \(spec 3\.2\.0/);
});

test('validateInvalidExitsOneWithIgnitionLines', async () => {
  const result = await ignition(['validate', path('bad.ign')]);
  assert.equal(result.code, 1);
  assert.match(result.stdout, /^error at \$\.storage\.files\.0\.path: path not absolute$/m);
});

test('validateJson', async () => {
  const result = await ignition(['validate', '--json', path('bad.ign')]);
  const report = JSON.parse(result.stdout) as { valid: boolean; errors: { path: string }[] };
  assert.equal(report.valid, false);
  assert.equal(report.errors[0]?.path, '$.storage.files.0.path');
});

test('validateForAnOlderIgnitionRelease', async () => {
  const result = await ignition(['validate', '--ignition-release', '2.14.0', path('good.ign')]);
  assert.equal(result.code, 0);
  await writeFile(path('v34.ign'), '{"ignition":{"version":"3.4.0"}}');
  const refused = await ignition(['validate', '--ignition-release', '2.14.0', path('v34.ign')]);
  assert.equal(refused.code, 1);
  assert.match(refused.stdout, /unsupported config version/);
  // 2.14 accepts its experimental spec (v2.14.0 config/v3_4_experimental), current Ignition does not.
  await writeFile(path('v34x.ign'), '{"ignition":{"version":"3.4.0-experimental"}}');
  const experimental = await ignition([
    'validate',
    '--ignition-release',
    '2.14.0',
    path('v34x.ign'),
  ]);
  assert.equal(experimental.code, 0, experimental.stdout);
  assert.match(experimental.stdout, /valid \(spec 3\.4\.0-experimental/);
  assert.equal((await ignition(['validate', path('v34x.ign')])).code, 1);
  // A release not written MAJOR.MINOR.PATCH is bad usage (IgnitionTypesError restated): exit 2.
  const badRelease = await ignition(['validate', '--ignition-release', 'v2', path('good.ign')]);
  assert.equal(badRelease.code, 2, badRelease.stderr);
  assert.match(badRelease.stderr, /Ignition release must look like 2\.14\.0; got "v2"/);
});

test('mergeWritesTheNewerSpecAndRefusesToOverwrite', async () => {
  const out = path('merged.ign');
  const first = await ignition(['merge', path('good.ign'), path('child.ign'), '-o', out]);
  assert.equal(first.code, 0, first.stderr);
  const merged = JSON.parse(await readFile(out, 'utf8')) as {
    ignition: { version: string };
    kernelArguments: unknown;
  };
  assert.equal(merged.ignition.version, '3.3.0');
  assert.deepEqual(merged.kernelArguments, { shouldExist: ['quiet'] });
  const again = await ignition(['merge', path('good.ign'), path('child.ign'), '-o', out]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exists/);
});

test('mergeOfAnInvalidInputNamesIt', async () => {
  const result = await ignition(['merge', path('good.ign'), path('bad.ign')]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /bad\.ign is not a valid Ignition config/);
});

test('translateDownRefusesToDropFields', async () => {
  const result = await ignition(['translate', path('child.ign'), '--to', '3.2.0']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /\$\.kernelArguments \(not in spec 3\.2\.0\)/);
});

test('translateUpToStdout', async () => {
  const result = await ignition(['translate', path('good.ign'), '--to', '3.4.0']);
  assert.equal(result.code, 0);
  assert.equal(
    (JSON.parse(result.stdout) as { ignition: { version: string } }).ignition.version,
    '3.4.0',
  );
});

test('usageErrorsExitTwo', async () => {
  assert.equal((await ignition(['translate', path('good.ign')])).code, 2);
  assert.equal((await ignition(['merge', path('good.ign')])).code, 2);
});
