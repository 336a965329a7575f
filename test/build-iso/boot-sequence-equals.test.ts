/**
 * One boot-asset assembly (issue 13): `hostmirror boot-sequence --format ignition` prints,
 * byte for byte, the live Ignition build-iso embeds for the same inputs — the same archives,
 * mode, topology, rendezvous IP and TLS pair (build-iso --tls-dir writes it, boot-sequence
 * --tls-dir reads it), the same extra `--ignition` configs, and the same ISO when it embeds a
 * config (`--iso`: an agent ISO's, which build-iso keeps as the parent with its agent edits and
 * whose release by tag makes the release mirror serve tags).
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { type BuildMirrorIsoOptions, buildMirrorIso } from '@hostmirror/build-iso';
import { DEMO_RELEASE_SOURCE, DEMO_RENDEZVOUS_IP } from '@hostmirror/fixtures';
import { runCli } from '../../packages/cli/src/run.ts';
import { ConfigBuilder } from '../../packages/ignition/src/index.ts';
import { CoreosIso } from '../../packages/iso/src/index.ts';
import { demoInputs, optionsFor } from './support.ts';

let work: string;
let inputs: Awaited<ReturnType<typeof demoInputs>>['inputs'];

before(async () => {
  ({ work, inputs } = await demoInputs('equals'));
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/** Build, then print with boot-sequence given the same inputs; both bytes and digests. */
async function buildAndPrint(
  name: string,
  extra: Partial<BuildMirrorIsoOptions>,
  cliArgs: string[],
  topology: 'sno' | 'compact' = 'sno',
): Promise<{ printed: Buffer; embedded: { size: number; sha256: string }; stderr: string }> {
  const tlsDir = join(work, `${name}-tls`);
  const result = await buildMirrorIso(
    optionsFor(inputs, join(work, `${name}.iso`), { tlsDir, mode: 'node0', ...extra }),
  );
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  stdout.on('data', (chunk: Buffer) => out.push(chunk));
  const code = await runCli(
    [
      'boot-sequence',
      ...['--mode', 'node0', '--topology', topology, '--rendezvous-ip', DEMO_RENDEZVOUS_IP],
      ...['--format', 'ignition', '--tls-dir', tlsDir, '--archive', inputs.archive],
      ...cliArgs,
    ],
    { stdout, stderr, cwd: work, env: {} },
  );
  const errors = stderr.read()?.toString() ?? '';
  assert.equal(code, 0, errors);
  return {
    printed: Buffer.concat(out),
    embedded: {
      size: result.report.ignition.size,
      sha256: result.report.ignition.sha256.replace(/^sha256:/, ''),
    },
    stderr: errors,
  };
}

function assertSameBytes(run: Awaited<ReturnType<typeof buildAndPrint>>, what: string): void {
  assert.equal(run.printed.length, run.embedded.size, what);
  assert.equal(createHash('sha256').update(run.printed).digest('hex'), run.embedded.sha256, what);
}

test('a compact cluster in mode node0 (the control-plane copy on): boot-sequence given the same registry program prints what build-iso embeds', async () => {
  const compact = join(work, 'install-config-compact.yaml');
  await writeFile(
    compact,
    (await readFile(inputs.installConfig, 'utf8')).replace('  replicas: 1\n', '  replicas: 3\n'),
  );
  const run = await buildAndPrint(
    'compact',
    { installConfig: compact },
    ['--cluster-domain', 'demo.example.com', '--registry-binary', '/bin/busybox'],
    'compact',
  );
  assertSameBytes(run, 'compact, node0');
});

test('with an extra --ignition config, boot-sequence prints what build-iso embeds', async () => {
  const extra = join(work, 'extra.ign');
  await writeFile(
    extra,
    JSON.stringify(
      new ConfigBuilder({ version: '3.2.0' })
        .addFile('/etc/motd.d/site', 'a site of our own\n', { mode: 0o644 })
        .build(),
    ),
  );
  const run = await buildAndPrint('extra', { ignition: [extra] }, ['--ignition', extra]);
  assertSameBytes(run, 'extra --ignition');
  assert.match(run.printed.toString(), /"path":"\/etc\/motd.d\/site"/);
});

test('with an agent ISO, boot-sequence --iso prints what build-iso embeds into it', async () => {
  // An agent ISO's Ignition (openshift-install agent create image's layout, the parts build-iso
  // reads and edits), naming its release by tag.
  const release = `${DEMO_RELEASE_SOURCE}:${inputs.release.tag}`;
  const agentConfig = new ConfigBuilder({ version: '3.2.0' })
    .addFile(
      '/etc/assisted/manifests/cluster-image-set.yaml',
      `apiVersion: hive.openshift.io/v1\nkind: ClusterImageSet\nmetadata:\n  name: openshift-4.14.3\nspec:\n  releaseImage: ${release}\n`,
      { mode: 0o600 },
    )
    .addFile('/etc/assisted/agent-installer.env', `RELEASE_IMAGE=${release}\n`)
    .addFile('/etc/containers/registries.conf', 'unqualified-search-registries = []\n')
    .addUnit('agent.service', {
      contents:
        '[Service]\nExecStart=/usr/local/bin/start-agent.sh\n[Install]\nWantedBy=multi-user.target\n',
      enabled: true,
    })
    .addUnit('node-zero.service', {
      contents:
        '[Service]\nType=oneshot\nExecStart=/usr/local/bin/set-node-zero.sh\n[Install]\nWantedBy=multi-user.target\n',
      enabled: true,
    })
    .build();
  const agentIso = join(work, 'agent-input.iso');
  const input = await CoreosIso.open(inputs.iso);
  try {
    await input.write(await input.planEmbedIgnition(Buffer.from(JSON.stringify(agentConfig))), {
      kind: 'file',
      path: agentIso,
    });
  } finally {
    await input.close();
  }
  const run = await buildAndPrint('agent', { iso: agentIso }, ['--iso', agentIso]);
  assertSameBytes(run, 'agent ISO');
  const printed = run.printed.toString();
  // The agent's own config is the parent, with build-iso's agent edits in it.
  assert.match(printed, /"path":"\/etc\/assisted\/agent-installer.env"/);
  assert.match(printed, /"path":"\/etc\/assisted\/extra-manifests\/99-master-hostmirror.yaml"/);
  // Without --iso the print is another config (the agent ISO's parent is missing).
  const bare = await buildAndPrint('agent-bare', { iso: agentIso }, []);
  assert.notEqual(bare.printed.length, bare.embedded.size);
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
