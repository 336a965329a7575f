/**
 * `hostmirror build-iso` and `tools/build-iso` as users run them: exit 0 with outputs, 1 with
 * a one-line message for a user error, 2 for bad usage; `--json` prints only the report.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { repoRoot, runTool } from '@hostmirror/fixtures';
import { runCliCaptured } from '../../packages/cli/src/capture.ts';
import { hostmirror } from '../foundation/hostmirror-cli.ts';
import { demoInputs } from './support.ts';

let work: string;
let inputs: Awaited<ReturnType<typeof demoInputs>>['inputs'];

before(async () => {
  ({ work, inputs } = await demoInputs('cli'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

const base = () => [
  '--iso',
  inputs.iso,
  '--install-config',
  inputs.installConfig,
  '--agent-config',
  inputs.agentConfig,
  '--mirror',
  inputs.folder,
  '--registry-binary',
  '/bin/busybox',
];

test('tools/build-iso builds; --json prints only the report; the report names the outputs', async () => {
  const out = join(work, 'tool.iso');
  const result = await runTool(
    join(repoRoot, 'tools/build-iso'),
    [...base(), '-o', out, '--json'],
    {
      cwd: work,
      timeoutMs: 120_000,
    },
  );
  assert.equal(result.exitCode, 0, result.stderr.toString());
  const report = JSON.parse(result.stdout.toString());
  assert.equal(report.outputs.iso.path, out);
  assert.equal(report.outputs.iso.size, (await stat(out)).size);
  assert.equal(report.inputs.archives.length, 1, '--mirror FOLDER finds mirror_000001.tar');
});

test('exit 1 with one line for a user error, 2 for bad usage', async () => {
  const missing = await hostmirror([
    'build-iso',
    ...base(),
    '--release-image',
    'quay.io/openshift-release-dev/ocp-release:9.9.9',
    '-o',
    join(work, 'x.iso'),
  ]);
  assert.equal(missing.exitCode, 1);
  // Progress lines (not a TTY: plain lines) come first; the error is the last line.
  const errors = missing.stderrText.split('\n').filter((line) => line.startsWith('hostmirror: '));
  assert.equal(errors.length, 1, missing.stderrText);
  assert.match(errors[0] ?? '', /The release .* is not in the archive/);
  const usage = await hostmirror(['build-iso', '--iso', inputs.iso, '-o', join(work, 'y.iso')]);
  assert.equal(usage.exitCode, 2);
  assert.match(usage.stderrText, /--mirror is required/);
  const mode = await hostmirror([
    'build-iso',
    ...base(),
    '--mode',
    'everywhere',
    '-o',
    join(work, 'z.iso'),
  ]);
  assert.equal(mode.exitCode, 2);
  // The volume's disk named like node0's install disk: refused naming node0 and the reason.
  const sameDisk = await hostmirror([
    'build-iso',
    ...base(),
    '--volume-disk-hint',
    'deviceName=/dev/disk/by-path/pci-0000:00:05.0',
    '-o',
    join(work, 'same-disk.iso'),
  ]);
  assert.equal(sameDisk.exitCode, 1, sameDisk.stderrText);
  assert.match(sameDisk.stderrText, /node0.*found busy partitions/);
  const badHint = await hostmirror([
    'build-iso',
    ...base(),
    '--volume-disk-hint',
    'model=QEMU',
    '-o',
    join(work, 'bad-hint.iso'),
  ]);
  assert.notEqual(badHint.exitCode, 0);
  assert.match(badHint.stderrText, /--volume-disk-hint|volume disk hint 'model=QEMU'/);
  const help = await hostmirror(['build-iso', '--help']);
  assert.equal(help.exitCode, 0);
  assert.match(help.stdoutText, /--demo -o OUT-DIR/);
});

test('--ignition - reads the extra config from stdin: the ISO of the file, the report names -', async () => {
  const extra = JSON.stringify({
    ignition: { version: '3.2.0' },
    storage: {
      files: [{ path: '/etc/hostmirror-extra', contents: { source: 'data:,from-stdin' } }],
    },
  });
  const extraFile = join(work, 'extra.ign');
  const seed = join(work, 'stdin-seed');
  await writeFile(extraFile, extra);
  await writeFile(seed, 'the same TLS keys for both builds');
  const env = { SOURCE_DATE_EPOCH: '1700000000' };
  const build = (ignition: string, output: string) =>
    runCliCaptured(
      [
        'build-iso',
        ...base(),
        '--tls-seed-file',
        seed,
        '--ignition',
        ignition,
        '-o',
        output,
        '--json',
        '-q',
      ],
      { cwd: work, env, stdin: extra },
    );
  const fromStdin = await build('-', join(work, 'stdin.iso'));
  assert.equal(fromStdin.code, 0, fromStdin.stderr);
  const fromFile = await build(extraFile, join(work, 'file.iso'));
  assert.equal(fromFile.code, 0, fromFile.stderr);
  const digest = async (path: string) =>
    createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  assert.equal(await digest(join(work, 'stdin.iso')), await digest(join(work, 'file.iso')));
  const [stdinExtra] = JSON.parse(fromStdin.stdout).inputs.extraIgnition;
  const [fileExtra] = JSON.parse(fromFile.stdout).inputs.extraIgnition;
  assert.deepEqual(stdinExtra, {
    path: '-',
    size: extra.length,
    sha256: createHash('sha256').update(extra).digest('hex'),
  });
  assert.deepEqual(fileExtra, { ...stdinExtra, path: extraFile });
  const twice = await runCliCaptured(
    ['build-iso', ...base(), '--ignition', '-', '--ignition', '-', '-o', join(work, 'twice.iso')],
    { cwd: work, env, stdin: extra },
  );
  assert.equal(twice.code, 2, twice.stderr);
  assert.match(twice.stderr, /stdin more than once/);
});

test('install-config writes imageDigestSources and the CA into a new file; the input is never modified', async () => {
  const { createHash } = await import('node:crypto');
  const { readFile, writeFile } = await import('node:fs/promises');
  const { createMirrorTls } = await import('@hostmirror/host-config');
  const { parseYaml11 } = await import('../../packages/build-iso/src/index.ts');
  const input = join(work, 'ic-input.yaml');
  // The user's install-config without mirrors, with a comment to keep.
  await writeFile(
    input,
    (await readFile(inputs.installConfig, 'utf8')).replace(
      /imageDigestSources:[\s\S]*?(?=pullSecret)/,
      '',
    ),
  );
  const ca = join(work, 'ca.crt');
  await writeFile(
    ca,
    createMirrorTls({ hosts: ['registry.hostmirror.internal'] }).caCertificatePem,
  );
  const sha = async (path: string) =>
    createHash('sha256')
      .update(await readFile(path))
      .digest('hex');
  const before = await sha(input);
  const out = join(work, 'ic-output.yaml');
  const result = await hostmirror([
    'install-config',
    inputs.archive,
    '-i',
    input,
    '-o',
    out,
    '--ca',
    ca,
  ]);
  assert.equal(result.exitCode, 0, result.stderrText);
  assert.equal(await sha(input), before, 'the input is unchanged');
  const text = await readFile(out, 'utf8');
  assert.ok(text.startsWith('# hostmirror demo'), 'comments kept');
  const config = parseYaml11(text, out) as {
    imageDigestSources: { source: string; mirrors: string[] }[];
    additionalTrustBundle: string;
  };
  assert.deepEqual(
    config.imageDigestSources.find((entry) => entry.source.endsWith('/ocp-release'))?.mirrors,
    ['registry.hostmirror.internal:5000/openshift/release-images'],
  );
  assert.equal(config.additionalTrustBundle, (await readFile(ca, 'utf8')).replace(/\r\n/g, '\n'));
  assert.match(text, /^additionalTrustBundle: \|\n {2}-----BEGIN CERTIFICATE-----$/m);
  const same = await hostmirror(['install-config', inputs.archive, '-i', input, '-o', input]);
  assert.equal(same.exitCode, 1);
  assert.match(same.stderrText, /is the input install-config/);
  assert.equal(await sha(input), before);
  const exists = await hostmirror(['install-config', inputs.archive, '-i', input, '-o', out]);
  assert.equal(exists.exitCode, 1, 'an existing output needs -f');
});
