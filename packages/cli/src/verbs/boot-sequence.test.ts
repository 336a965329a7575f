import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCliCaptured } from '../capture.ts';

async function bootSequence(args: string[]) {
  return runCliCaptured(['boot-sequence', ...args]);
}

const node0 = ['--mode', 'node0', '--topology', 'ha', '--rendezvous-ip', '192.0.2.10'];

test('textByDefault', async () => {
  const run = await bootSequence(node0);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^hostmirror boot sequence: mode node0, topology ha$/m);
  assert.match(run.stdout, /hostmirror-ready\.service/);
});

test('jsonIsThePlan', async () => {
  for (const args of [['--json'], ['--format', 'json']]) {
    const run = await bootSequence([...node0, ...args]);
    assert.equal(run.code, 0, run.stderr);
    const plan = JSON.parse(run.stdout);
    assert.equal(plan.tool, 'hostmirror boot-sequence');
    assert.equal(plan.settings.rendezvousIP, '192.0.2.10');
    assert.deepEqual(
      plan.roles.map((role: { role: string }) => role.role),
      ['node0', 'master', 'worker'],
    );
  }
});

test('mermaidAndSvg', async () => {
  const mermaid = await bootSequence([...node0, '--format', 'mermaid']);
  assert.equal(mermaid.code, 0);
  assert.ok(mermaid.stdout.startsWith('flowchart TD'));
  const svg = await bootSequence(['--mode', 'every-node', '--topology', 'sno', '--format', 'svg']);
  assert.equal(svg.code, 0);
  assert.ok(svg.stdout.startsWith('<svg '));
});

test('settingsOverrides', async () => {
  const run = await bootSequence([
    ...node0,
    '--registry-name',
    'mirror.example.internal',
    '--port',
    '8443',
    '--volume-label',
    'mirror',
    '--json',
  ]);
  assert.equal(run.code, 0, run.stderr);
  const { settings } = JSON.parse(run.stdout);
  assert.equal(settings.registryName, 'mirror.example.internal');
  assert.equal(settings.registryPort, 8443);
  assert.equal(settings.volumeLabel, 'mirror');
});

test('userErrorsExit1', async () => {
  const noIp = await bootSequence(['--mode', 'node0', '--topology', 'sno']);
  assert.equal(noIp.code, 1);
  assert.match(noIp.stderr, /rendezvous IP/);
  const badIp = await bootSequence([...node0.slice(0, 4), '--rendezvous-ip', 'node0']);
  assert.equal(badIp.code, 1);
});

test('usageErrorsExit2', async () => {
  assert.equal((await bootSequence(['--topology', 'sno'])).code, 2);
  assert.equal((await bootSequence(['--mode', 'every-node', '--topology', 'big'])).code, 2);
  assert.equal((await bootSequence([...node0, '--format', 'png'])).code, 2);
  assert.equal((await bootSequence([...node0, '--spec', '2.2.0'])).code, 2);
  assert.equal((await bootSequence([...node0, '--port', 'http'])).code, 2);
  const noArchive = await bootSequence([...node0, '--format', 'ignition']);
  assert.equal(noArchive.code, 2);
  assert.match(noArchive.stderr, /--archive/);
});

test('stdinAtMostOnce: - twice is a usage error naming the options, here and in iso/pxe customize', async () => {
  const twice = await bootSequence([
    ...node0,
    '--format',
    'ignition',
    '--archive',
    'mirror_000001.tar',
    '--ignition',
    '-',
    '--ignition',
    '-',
  ]);
  assert.equal(twice.code, 2, twice.stderr);
  assert.match(twice.stderr, /--ignition: - reads stdin more than once/);
  for (const verb of [
    ['iso', 'customize'],
    ['pxe', 'customize', '-o', 'out.img'],
  ]) {
    const run = await runCliCaptured([
      ...verb,
      'input',
      '--live-ignition',
      '-',
      '--dest-ignition',
      '-',
    ]);
    assert.equal(run.code, 2, `${verb.join(' ')}: ${run.stderr}`);
    assert.match(run.stderr, /--dest-ignition and --live-ignition: - reads stdin more than once/);
  }
});

test('help', async () => {
  const run = await bootSequence(['--help']);
  assert.equal(run.code, 0);
  assert.match(run.stdout, /^usage: hostmirror boot-sequence --mode/);
});

test('tlsDirMissingFileNamesItAndTheFix', async () => {
  const empty = await mkdtemp(join(tmpdir(), 'hostmirror-tls-dir-'));
  const run = await bootSequence([
    ...node0,
    ...['--format', 'ignition', '--archive', join(empty, 'mirror_000001.tar')],
    ...['--tls-dir', empty],
  ]);
  assert.equal(run.code, 1);
  assert.match(
    run.stderr,
    /--tls-dir .*cannot read .*(ca\.crt|server\.crt|server\.key) \(ENOENT\)/,
  );
  assert.match(run.stderr, /ca\.crt, server\.crt, server\.key/);
});
