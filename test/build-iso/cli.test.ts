/**
 * `hostmirror build-iso` and `tools/build-iso` as users run them: exit 0 with outputs, 1 with
 * a one-line message for a user error, 2 for bad usage; `--json` prints only the report.
 */
import assert from 'node:assert/strict';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { hostmirror } from '../foundation/hostmirror-cli.ts';
import { repoRoot } from '../support/paths.ts';
import { runTool } from '../support/tools.ts';
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
  const help = await hostmirror(['build-iso', '--help']);
  assert.equal(help.exitCode, 0);
  assert.match(help.stdoutText, /--demo -o OUT-DIR/);
});
