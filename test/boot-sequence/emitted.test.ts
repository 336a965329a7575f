/**
 * What the boot sequence emits, checked by the real consumers: `systemd-analyze verify` on
 * every unit and drop-in, `shellcheck` and `bash -n` on every script, Debian's
 * `ignition-validate` and our validator on the live Ignition of every mode × topology (with a
 * snapshot), the MachineConfigs as OpenShift reads them, and the initrd overlay.
 */
import assert from 'node:assert/strict';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  type BootAssets,
  type BootPhase,
  bootFileSet,
  INITRD_REGISTRY_BINARY,
  type MachineConfigDocument,
  MIRROR_MODES,
  type MirrorMode,
  PRE_PIVOT_HOOK,
  planBootSequence,
  renderInitrdOverlay,
  renderLiveIgnition,
  renderMachineConfigs,
  TLS_KEY_FILE,
  TOPOLOGIES,
  type Topology,
} from '@hostmirror/boot-sequence';
import { repoRoot, requireTool, runTool } from '@hostmirror/fixtures';
import {
  serializeConfig,
  translateConfig,
  validateConfig,
} from '../../packages/ignition/src/index.ts';
import { buildOverlay, readInitrdFile, verifyInitrd } from '../../packages/initrd/src/index.ts';
import { testDir, writeFileSet } from './support.ts';

/** The YAML reader the mirror package uses (the test folder has no dependencies of its own). */
const { parse } = createRequire(join(repoRoot, 'packages/boot-sequence/package.json'))('yaml') as {
  parse(text: string, options: { version: '1.1' }): MachineConfigDocument;
};

const snapshotDir = join(testDir, 'snapshots');
/** UPDATE_SNAPSHOTS=1 rewrites the snapshots instead of comparing. */
const updateSnapshots = process.env.UPDATE_SNAPSHOTS === '1';

function pem(kind: string, body: string): string {
  return `-----BEGIN ${kind}-----\n${Buffer.from(body).toString('base64')}\n-----END ${kind}-----\n`;
}

/** Fixed assets: the snapshots must not change from run to run. */
const assets: BootAssets = {
  archives: [
    { name: 'mirror_000001.tar', sha256: '1'.repeat(64) },
    { name: 'mirror_000002.tar', sha256: '2'.repeat(64) },
  ],
  registriesConf:
    '[[registry]]\nprefix = ""\nlocation = "quay.io/openshift-release-dev/ocp-release"\nblocked = true\n\n[[registry.mirror]]\nlocation = "registry.hostmirror.internal:5000/openshift/release-images"\npull-from-mirror = "digest-only"\n',
  registryConfig: 'version: 0.1\n',
  caCertificate: pem('CERTIFICATE', 'hostmirror test CA'),
  tls: {
    certificate: pem('CERTIFICATE', 'hostmirror test server'),
    key: pem('PRIVATE KEY', 'hostmirror test key'),
  },
  preload: [
    {
      repository: 'quay.io/openshift-release-dev/ocp-v4.0-art-dev',
      digest: `sha256:${'3'.repeat(64)}`,
      tag: '4.14.3-x86_64-etcd',
    },
  ],
  sync: {
    inventory: `openshift/release-images sha256:${'4'.repeat(64)} 4.14.3-x86_64\n`,
    registryProgramSha256: '5'.repeat(64),
    treeBytes: 1_073_741_824,
  },
};

function planFor(mode: MirrorMode, topology: Topology) {
  return planBootSequence({
    mode,
    topology,
    rendezvousIP: '192.0.2.10',
    release: { repository: 'openshift/release-images', digest: `sha256:${'4'.repeat(64)}` },
  });
}

/** The units the live ISO or the installed system has and that our units name (stubbed). */
const STUB_UNITS = [
  'agent-interactive-console.service',
  'agent-interactive-console-serial@.service',
  'agent.service',
  'node-zero.service',
  'assisted-service.service',
  'assisted-service-pod.service',
  'assisted-service-db.service',
  'release-image.service',
  'crio.service',
  'kubelet.service',
  'machine-config-daemon-pull.service',
  'machine-config-daemon-firstboot.service',
];

let work: string;
/** A root with systemd's own units, reused for every verify. */
let systemdBase: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hostmirror-emitted-'));
  systemdBase = join(work, 'systemd-base');
  await requireTool('systemd-analyze');
  await cp('/usr/lib/systemd/system', join(systemdBase, 'usr/lib/systemd/system'), {
    recursive: true,
    verbatimSymlinks: true,
  });
});

after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

async function verifyUnits(root: string, units: string[]) {
  const analyze = await requireTool('systemd-analyze');
  return runTool(
    analyze,
    ['verify', `--root=${root}`, '--man=no', ...units.map((u) => `/etc/systemd/system/${u}`)],
    { timeoutMs: 30_000, env: { ...process.env, SYSTEMD_LOG_COLOR: '0' } },
  );
}

/** A root with systemd's units, the phase's files and units, and stubs for what the host provides. */
async function phaseRoot(name: string, mode: MirrorMode, phase: BootPhase) {
  const root = join(work, name);
  await cp(systemdBase, root, { recursive: true, verbatimSymlinks: true });
  const set = bootFileSet(planFor(mode, 'ha'), phase, assets);
  await writeFileSet(root, set);
  await mkdir(join(root, 'usr/bin'), { recursive: true });
  await writeFile(join(root, 'usr/bin/stub-service'), '#!/bin/sh\n', { mode: 0o755 });
  for (const unit of STUB_UNITS)
    await writeFile(
      join(root, 'etc/systemd/system', unit),
      '[Unit]\nDescription=stub of a unit the host provides\n\n[Service]\nExecStart=/usr/bin/stub-service\n',
    );
  return { root, set };
}

describe('systemd-analyze verify', () => {
  for (const mode of MIRROR_MODES)
    for (const phase of ['live', 'installed'] as const)
      test(`${mode} ${phase}: every unit and every gated unit with its drop-in verify without a word`, async () => {
        const { root, set } = await phaseRoot(`verify-${mode}-${phase}`, mode, phase);
        const units = [...set.units.map((u) => u.name), ...set.dropins.map((d) => d.unit)];
        const result = await verifyUnits(root, units);
        const output = `${result.stdout}${result.stderr}`;
        assert.equal(result.exitCode, 0, output);
        assert.equal(output, '', 'systemd-analyze printed something');
      });

  test('controlTypoIsCaught: a misspelt directive makes output, so the check above can fail', async () => {
    const { root, set } = await phaseRoot('verify-typo', 'node0', 'live');
    const unit = set.units[0];
    assert.ok(unit);
    await writeFile(
      join(root, 'etc/systemd/system', unit.name),
      unit.contents.replace('ExecStart=', 'ExecStrat='),
    );
    const result = await verifyUnits(root, [unit.name]);
    assert.match(`${result.stdout}${result.stderr}`, /ExecStrat/);
  });
});

describe('scripts', () => {
  test('shellcheckAndBashN: every emitted script and the pre-pivot hook', async () => {
    const shellcheck = await requireTool('shellcheck', 'shellcheck');
    const folder = join(work, 'scripts');
    // Every script any file set carries: the live ISO's (mode preload has them all but one)
    // and the master pool's installed set of mode node0 (the sync step's).
    const sets = [
      bootFileSet(planFor('preload', 'ha'), 'live', assets),
      bootFileSet(planFor('node0', 'ha'), 'installed', assets, { pool: 'master' }),
    ];
    const scripts = [
      ...new Map(
        sets.flatMap((set) => set.files).map((file) => [file.path, file] as const),
      ).values(),
    ].filter((file) => file.path.endsWith('.sh'));
    assert.ok(scripts.some((file) => file.path.endsWith('/hostmirror-sync.sh')));
    assert.ok(scripts.length >= 10);
    await mkdir(folder, { recursive: true });
    const names: string[] = [];
    for (const script of scripts) {
      const name = script.path.slice(script.path.lastIndexOf('/') + 1);
      await writeFile(join(folder, name), script.contents, { mode: script.mode });
      names.push(name);
    }
    const overlay = renderInitrdOverlay({ registryBinary: '/bin/true' });
    const hook = overlay.files.find((file) => file.path === PRE_PIVOT_HOOK);
    assert.ok(hook?.contents);
    await writeFile(join(folder, 'hook.sh'), hook.contents);
    const lint = await runTool(shellcheck, ['-x', ...names, 'hook.sh'], {
      timeoutMs: 60_000,
      cwd: folder,
    });
    assert.equal(lint.exitCode, 0, `${lint.stdout}`);
    for (const name of names) {
      const parsed = await runTool('bash', ['-n', name], { timeoutMs: 10_000, cwd: folder });
      assert.equal(parsed.exitCode, 0, `${name}: ${parsed.stderr}`);
    }
    const sh = await runTool('sh', ['-n', 'hook.sh'], { timeoutMs: 10_000, cwd: folder });
    assert.equal(sh.exitCode, 0, `${sh.stderr}`);
  });
});

describe('live Ignition', () => {
  for (const mode of MIRROR_MODES)
    for (const topology of TOPOLOGIES)
      test(`${mode} ${topology}: matches its snapshot, valid for us and for ignition-validate at 3.2.0 and 3.3.0`, async () => {
        const config = renderLiveIgnition(planFor(mode, topology), assets);
        const text = serializeConfig(config, { pretty: true });
        const snapshot = join(snapshotDir, `live-${mode}-${topology}.ign`);
        if (updateSnapshots) {
          await mkdir(snapshotDir, { recursive: true });
          await writeFile(snapshot, text);
        } else
          assert.equal(
            text,
            await readFile(snapshot, 'utf8'),
            `${snapshot} (UPDATE_SNAPSHOTS=1 rewrites it)`,
          );
        const ours = validateConfig(text);
        assert.equal(ours.valid, true, JSON.stringify(ours.errors));
        assert.deepEqual(ours.warnings, []);
        const validate = await requireTool('ignition-validate');
        for (const spec of ['3.2.0', '3.3.0']) {
          const file = join(work, `live-${mode}-${topology}-${spec}.ign`);
          await writeFile(file, serializeConfig(translateConfig(config, spec)));
          const result = await runTool(validate, [file], { timeoutMs: 30_000 });
          assert.equal(result.exitCode, 0, `${spec}: ${result.stdout}${result.stderr}`);
          assert.equal(`${result.stdout}${result.stderr}`.trim(), '', `${spec} warnings`);
        }
      });
});

describe('MachineConfigs', () => {
  for (const topology of TOPOLOGIES)
    test(`${topology}: one per pool, YAML with the fields OpenShift reads, a valid 3.2.0 config without the TLS key`, async () => {
      const rendered = renderMachineConfigs(planFor('node0', topology), assets);
      assert.deepEqual(
        rendered.map((mc) => mc.name),
        topology === 'ha'
          ? ['99-master-hostmirror', '99-worker-hostmirror']
          : ['99-master-hostmirror'],
      );
      for (const mc of rendered) {
        const document = parse(mc.yaml, { version: '1.1' });
        assert.equal(document.apiVersion, 'machineconfiguration.openshift.io/v1');
        assert.equal(document.kind, 'MachineConfig');
        assert.equal(document.metadata.name, mc.name);
        assert.deepEqual(document.metadata.labels, {
          'machineconfiguration.openshift.io/role': mc.pool,
        });
        const config = document.spec.config;
        assert.equal(config.ignition.version, '3.2.0');
        const report = validateConfig(config);
        assert.equal(report.valid, true, JSON.stringify(report.errors));
        const files = config.storage?.files ?? [];
        // The key stays on the volume, but for the control-plane nodes that copy node0's
        // storage (mode node0, the master pool, not SNO): they have no volume.
        const copies = mc.pool === 'master' && topology !== 'sno';
        assert.equal(
          files.find((file) => file.path === TLS_KEY_FILE)?.mode,
          copies ? 0o600 : undefined,
          `${mc.pool} ${topology}: the TLS key`,
        );
        assert.equal(
          (config.systemd?.units ?? []).some((unit) => unit.name === 'hostmirror-sync.service'),
          copies,
          `${mc.pool} ${topology}: the sync step`,
        );
        for (const file of files)
          assert.equal(
            file.contents?.compression ?? '',
            '',
            `${file.path}: MCO reads plain data URLs`,
          );
        const units = config.systemd?.units ?? [];
        const ours = units.filter((unit) => unit.contents !== undefined);
        assert.ok(ours.some((unit) => unit.name === 'hostmirror-restore.service'));
        assert.ok(ours.every((unit) => unit.enabled === true));
        const crio = units.find((unit) => unit.name === 'crio.service');
        assert.match(crio?.dropins?.[0]?.contents ?? '', /^Wants=hostmirror-ready\.service$/m);
        const validate = await requireTool('ignition-validate');
        const file = join(work, `${mc.name}-${topology}.ign`);
        await writeFile(file, JSON.stringify(config));
        const result = await runTool(validate, [file], { timeoutMs: 30_000 });
        assert.equal(result.exitCode, 0, `${result.stdout}${result.stderr}`);
      }
    });
});

describe('initrd overlay', () => {
  test('carriesRegistryAndHook: the overlay builds, passes the kernel rules and holds both files', async () => {
    const registry = join(work, 'registry-binary');
    await writeFile(registry, Buffer.alloc(100_000, 7), { mode: 0o755 });
    const spec = renderInitrdOverlay({ registryBinary: registry, compress: 'gzip' });
    const archive = join(work, 'overlay.img');
    const chunks: Buffer[] = [];
    for await (const chunk of buildOverlay(spec, { baseDir: work, mtime: 0 }))
      chunks.push(chunk as Buffer);
    await writeFile(archive, Buffer.concat(chunks));
    const report = await verifyInitrd(archive);
    assert.equal(report.ok, true, JSON.stringify(report.faults));
    const binary = await readInitrdFile(archive, INITRD_REGISTRY_BINARY);
    assert.deepEqual(Buffer.from(binary ?? []), await readFile(registry));
    const hook = await readInitrdFile(archive, PRE_PIVOT_HOOK);
    assert.equal(Buffer.from(hook ?? []).toString('utf8'), spec.files[1]?.contents);
  });
});
