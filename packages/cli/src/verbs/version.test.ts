import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { runCliCaptured } from '../capture.ts';

const packagesDir = new URL('../../../', import.meta.url);
const cliPackage = JSON.parse(readFileSync(new URL('cli/package.json', packagesDir), 'utf8')) as {
  version: string;
  dependencies: Record<string, string>;
};

test('--version, -V and version print the same, the tool version on the first line', async () => {
  const outputs = await Promise.all(
    [['--version'], ['-V'], ['version']].map((argv) => runCliCaptured(argv)),
  );
  for (const output of outputs) {
    assert.equal(output.code, 0, output.stderr);
    assert.equal(output.stdout, outputs[0]?.stdout);
  }
  const lines = outputs[0]?.stdout.split('\n') ?? [];
  assert.equal(lines[0], `hostmirror ${cliPackage.version}`);
  assert.ok(lines.includes(`node ${process.version} (${process.platform}-${process.arch})`));
  assert.ok(lines.includes('codec gzip: node:zlib'));
});

test('version --json names every @hostmirror package the CLI depends on with its installed version, Node and the codec backends', async () => {
  const { code, stdout } = await runCliCaptured(['--version', '--json']);
  assert.equal(code, 0);
  const report = JSON.parse(stdout);
  assert.equal(report.tool, 'hostmirror version');
  assert.equal(report.toolVersion, cliPackage.version);
  assert.equal(report.schemaVersion, 1);
  assert.equal(report.node, process.version);
  const expected: Record<string, string> = { '@hostmirror/cli': cliPackage.version };
  for (const name of Object.keys(cliPackage.dependencies).filter((n) =>
    n.startsWith('@hostmirror/'),
  ))
    expected[name] = JSON.parse(
      readFileSync(
        new URL(`${name.slice('@hostmirror/'.length)}/package.json`, packagesDir),
        'utf8',
      ),
    ).version;
  assert.deepEqual(report.packages, expected);
  assert.deepEqual(Object.keys(report.codecs), ['gzip', 'xz', 'zstd']);
  assert.deepEqual(report.codecs.gzip, { backend: 'node:zlib' });
  for (const { backend, fix } of Object.values(report.codecs) as {
    backend: unknown;
    fix?: string;
  }[])
    assert.ok(typeof backend === 'string' || (backend === null && typeof fix === 'string'));
});

test('every package exports its package.json (tools read versions through it)', () => {
  for (const name of readdirSync(packagesDir)) {
    const manifest = JSON.parse(readFileSync(new URL(`${name}/package.json`, packagesDir), 'utf8'));
    assert.equal(manifest.exports['./package.json'], './package.json', name);
    if (manifest.publishConfig?.exports !== undefined)
      assert.equal(manifest.publishConfig.exports['./package.json'], './package.json', name);
  }
});

test('every JSON object the CLI prints starts with the verb, the tool version and the schema version', async () => {
  const { code, stdout } = await runCliCaptured(['budget', '--ram', '16GiB', '--json']);
  assert.equal(code, 0);
  const report = JSON.parse(stdout);
  assert.deepEqual(Object.keys(report).slice(0, 3), ['tool', 'toolVersion', 'schemaVersion']);
  assert.equal(report.tool, 'hostmirror budget');
  assert.equal(report.toolVersion, cliPackage.version);
});
