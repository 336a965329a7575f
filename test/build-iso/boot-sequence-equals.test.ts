/**
 * One boot-asset assembly (issue 13): `hostmirror boot-sequence --format ignition` prints,
 * byte for byte, the live Ignition build-iso embeds for the same inputs — the same archives,
 * mode, topology, rendezvous IP and TLS pair (build-iso --tls-dir writes it, boot-sequence
 * --tls-dir reads it).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { buildMirrorIso } from '@hostmirror/build-iso';
import { DEMO_RENDEZVOUS_IP } from '@hostmirror/fixtures';
import { runCli } from '../../packages/cli/src/run.ts';
import { demoInputs, optionsFor } from './support.ts';

let work: string;
let inputs: Awaited<ReturnType<typeof demoInputs>>['inputs'];

before(async () => {
  ({ work, inputs } = await demoInputs('equals'));
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

test('boot-sequence --format ignition prints what build-iso embeds', async () => {
  const tlsDir = join(work, 'tls');
  const result = await buildMirrorIso(
    optionsFor(inputs, join(work, 'out.iso'), { tlsDir, mode: 'node0' }),
  );
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  const code = await runCli(
    [
      'boot-sequence',
      ...['--mode', 'node0', '--topology', 'sno', '--rendezvous-ip', DEMO_RENDEZVOUS_IP],
      ...['--format', 'ignition', '--tls-dir', tlsDir, '--archive', inputs.archive],
    ],
    { stdout, stderr, cwd: work, env: {} },
  );
  assert.equal(code, 0, stderr.read()?.toString());
  const printed = Buffer.concat(out);
  assert.equal(printed.length, result.report.ignition.size);
  assert.equal(
    createHash('sha256').update(printed).digest('hex'),
    result.report.ignition.sha256.replace(/^sha256:/, ''),
  );
});
