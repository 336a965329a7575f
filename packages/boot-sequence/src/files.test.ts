import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  CONSOLE_UNITS,
  ENV_FILE,
  MANIFEST_FILE,
  PRE_PIVOT_HOOK,
  TLS_KEY_FILE,
} from './constants.ts';
import { BootSequenceError } from './errors.ts';
import { bootFileSet, renderEnvFile, renderManifest, renderPreloadList } from './files.ts';
import { sha256Hex } from './inventory.ts';
import { renderInitrdOverlay } from './overlay.ts';
import { planBootSequence } from './plan.ts';
import { scriptText } from './scripts.ts';
import type { BootAssets } from './types.ts';
import { REGISTRY_REFUSAL_STATUS, REGISTRY_RESTART_SECONDS, renderStepUnit } from './units.ts';

const pem = (kind: string) => `-----BEGIN ${kind}-----\nAA==\n-----END ${kind}-----\n`;
const assets: BootAssets = {
  archives: [{ name: 'mirror_000001.tar', sha256: 'a'.repeat(64) }],
  registriesConf: '[[registry]]\nlocation = "quay.io/x"\n',
  registryConfig: 'version: 0.1\n',
  caCertificate: pem('CERTIFICATE'),
  tls: { certificate: pem('CERTIFICATE'), key: pem('RSA PRIVATE KEY') },
  sync: {
    inventory: `openshift/release-images sha256:${'b'.repeat(64)}\n`,
    registryProgramSha256: 'c'.repeat(64),
    treeBytes: 52_428_800,
  },
};
const plan = planBootSequence({ mode: 'node0', topology: 'ha', rendezvousIP: '192.0.2.10' });

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof BootSequenceError, String(error));
    return error.code;
  }
  return 'none';
}

describe('settings file and manifest', () => {
  test('envFile: KEY=value lines the scripts and systemd both read', () => {
    const text = renderEnvFile(plan.settings, 'live', { sync: assets.sync });
    const lines = text.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
    for (const line of lines) assert.match(line, /^HOSTMIRROR_[A-Z0-9_]+=[^\s'"]+$/);
    assert.ok(lines.includes('HOSTMIRROR_RENDEZVOUS_IP=192.0.2.10'));
    assert.ok(lines.includes('HOSTMIRROR_PHASE=live'));
    assert.ok(lines.includes('HOSTMIRROR_READY_TIMEOUT=3600'));
    assert.ok(!text.includes('HOSTMIRROR_RELEASE_DIGEST'), 'no release given, no probe');
    assert.ok(
      lines.includes('HOSTMIRROR_VOLUME_ACCESS=read-write'),
      'unpack onto the volume by default',
    );
    assert.ok(lines.includes('HOSTMIRROR_DATA_DIR=/var/lib/hostmirror'));
  });

  test('manifest: sha256sum check lines in the given order', () => {
    assert.equal(
      renderManifest({
        ...assets,
        archives: [
          { name: 'mirror_000001.tar', sha256: '1'.repeat(64) },
          { name: 'mirror_000002.tar', sha256: '2'.repeat(64) },
        ],
      }),
      `${'1'.repeat(64)}  mirror_000001.tar\n${'2'.repeat(64)}  mirror_000002.tar\n`,
    );
  });

  test('manifestRefusals: empty, a path, a bad hash, a name twice', () => {
    const with_ = (archives: BootAssets['archives']) => () =>
      renderManifest({ ...assets, archives });
    assert.equal(codeOf(with_([])), 'BOOT_BAD_ARCHIVE');
    assert.equal(codeOf(with_([{ name: '../x.tar', sha256: 'a'.repeat(64) }])), 'BOOT_BAD_ARCHIVE');
    assert.equal(codeOf(with_([{ name: 'a b.tar', sha256: 'a'.repeat(64) }])), 'BOOT_BAD_ARCHIVE');
    assert.equal(codeOf(with_([{ name: 'x.tar', sha256: 'A'.repeat(64) }])), 'BOOT_BAD_DIGEST');
    const twice = { name: 'x.tar', sha256: 'a'.repeat(64) };
    assert.equal(codeOf(with_([twice, twice])), 'BOOT_BAD_ARCHIVE');
  });

  test('preloadList: lines of repository, digest, tag; bad entries refused', () => {
    const digest = `sha256:${'c'.repeat(64)}`;
    assert.equal(
      renderPreloadList({
        ...assets,
        preload: [
          { repository: 'quay.io/a/b', digest, tag: 'v1' },
          { repository: 'quay.io/a/c', digest },
        ],
      }),
      `quay.io/a/b ${digest} v1\nquay.io/a/c ${digest}\n`,
    );
    assert.equal(
      codeOf(() => renderPreloadList(assets)),
      'BOOT_PRELOAD_LIST_REQUIRED',
    );
    assert.equal(
      codeOf(() => renderPreloadList({ ...assets, preload: [{ repository: 'Quay', digest }] })),
      'BOOT_BAD_NAME',
    );
    assert.equal(
      codeOf(() =>
        renderPreloadList({
          ...assets,
          preload: [{ repository: 'quay.io/a/b', digest: 'latest' }],
        }),
      ),
      'BOOT_BAD_DIGEST',
    );
  });
});

describe('file sets', () => {
  test('live: scripts executable, the key 0600, settings and manifest present', () => {
    const set = bootFileSet(plan, 'live', assets);
    const byPath = new Map(set.files.map((file) => [file.path, file]));
    assert.equal(byPath.get(TLS_KEY_FILE)?.mode, 0o600);
    assert.equal(byPath.get('/usr/local/bin/hostmirror-unpack.sh')?.mode, 0o755);
    assert.equal(byPath.get('/usr/local/bin/hostmirror-lib.sh')?.mode, 0o644);
    assert.ok(byPath.has(ENV_FILE) && byPath.has(MANIFEST_FILE));
    assert.equal(set.units.length, plan.phases.live.steps.length);
    assert.deepEqual(
      set.dropins.map((dropin) => dropin.unit),
      [...plan.phases.live.gate.units, ...CONSOLE_UNITS],
    );
    for (const dropin of set.dropins.filter((d) => d.unit.startsWith('agent-interactive-console')))
      assert.equal(
        dropin.contents.split('\n').filter((line) => /^(Requires|Wants|Before)=/.test(line)).length,
        0,
        'the console is only ordered, never made to depend on the mirror',
      );
    assert.equal(
      bootFileSet(plan, 'installed', assets).dropins.length,
      plan.phases.installed.gate.units.length,
    );
  });

  test('installed: no TLS pair (it comes from the volume), the settings say installed', () => {
    const noCopy = planBootSequence({
      mode: 'node0',
      topology: 'ha',
      rendezvousIP: '192.0.2.10',
      controlPlaneCopy: false,
    });
    const sets = [
      bootFileSet(noCopy, 'installed', assets),
      bootFileSet(plan, 'installed', assets, { pool: 'worker' }),
    ];
    for (const set of sets) {
      assert.ok(!set.files.some((file) => file.path.startsWith('/etc/hostmirror/tls/')));
      assert.ok(!set.files.some((file) => file.path.endsWith('/hostmirror-sync.sh')));
      assert.ok(!set.units.some((unit) => unit.name === 'hostmirror-sync.service'));
      const env = set.files.find((file) => file.path === ENV_FILE);
      assert.match(env?.contents ?? '', /^HOSTMIRROR_PHASE=installed$/m);
      assert.doesNotMatch(env?.contents ?? '', /^HOSTMIRROR_COPY=/m, 'never copies');
    }
  });

  test('controlPlaneCopy: the master pool carries the sync step, its script, the TLS pair and the digests; the copy needs them', () => {
    assert.equal(plan.settings.controlPlaneCopy, true);
    const set = bootFileSet(plan, 'installed', assets, { pool: 'master' });
    const byPath = new Map(set.files.map((file) => [file.path, file]));
    assert.equal(byPath.get(TLS_KEY_FILE)?.mode, 0o600);
    assert.equal(byPath.get('/etc/hostmirror/tls/tls.crt')?.mode, 0o644);
    assert.equal(byPath.get('/usr/local/bin/hostmirror-sync.sh')?.mode, 0o755);
    assert.ok(!byPath.has('/etc/hostmirror/ca.key'), 'never the CA key');
    assert.ok(set.units.some((unit) => unit.name === 'hostmirror-sync.service'));
    const env = byPath.get(ENV_FILE)?.contents ?? '';
    assert.match(env, /^HOSTMIRROR_COPY=on$/m);
    assert.match(env, /^HOSTMIRROR_SYNC_REPOSITORY=hostmirror-internal\/sync$/m);
    assert.match(env, new RegExp(`^HOSTMIRROR_SYNC_PROGRAM_SHA256=${'c'.repeat(64)}$`, 'm'));
    assert.match(env, /^HOSTMIRROR_SYNC_TREE_BYTES=52428800$/m);
    assert.match(
      env,
      new RegExp(
        `^HOSTMIRROR_SYNC_INVENTORY_SHA256=${sha256Hex(assets.sync?.inventory ?? '')}$`,
        'm',
      ),
    );
    // node0 publishes on the live ISO: the repository and digests, but nothing copies there.
    const live = bootFileSet(plan, 'live', assets).files.find((f) => f.path === ENV_FILE);
    assert.match(live?.contents ?? '', /^HOSTMIRROR_SYNC_REPOSITORY=/m);
    assert.doesNotMatch(live?.contents ?? '', /^HOSTMIRROR_COPY=/m);
    const { sync: _, ...withoutSync } = assets;
    assert.equal(
      codeOf(() => bootFileSet(plan, 'installed', withoutSync)),
      'BOOT_SYNC_INPUTS_MISSING',
    );
    assert.equal(
      codeOf(() =>
        bootFileSet(plan, 'installed', {
          ...assets,
          sync: { inventory: '', registryProgramSha256: 'nope', treeBytes: 0 },
        }),
      ),
      'BOOT_BAD_DIGEST',
    );
    // SNO and the other modes have no other control-plane node to copy to.
    for (const input of [
      { mode: 'node0', topology: 'sno', rendezvousIP: '192.0.2.10' },
      { mode: 'every-node', topology: 'ha' },
    ] as const)
      assert.equal(planBootSequence(input).settings.controlPlaneCopy, false);
  });

  test('pemChecked: a key that is not PEM is refused', () => {
    assert.equal(
      codeOf(() => bootFileSet(plan, 'live', { ...assets, tls: { ...assets.tls, key: 'secret' } })),
      'BOOT_BAD_ARCHIVE',
    );
  });
});

describe('units', () => {
  test('oneshotAndDaemon: conditions, RemainAfterExit for steps, Restart for the registry', () => {
    const steps = new Map(plan.phases.live.steps.map((step) => [step.id, step]));
    const verify = renderStepUnit(steps.get('verify') ?? assert.fail());
    assert.match(verify, /^ConditionPathExists=\/run\/hostmirror\/serve$/m);
    assert.match(verify, /^Type=oneshot$/m);
    assert.match(verify, /^RemainAfterExit=yes$/m);
    assert.match(verify, /^Requires=hostmirror-volume\.service$/m);
    assert.match(verify, /^After=hostmirror-volume\.service$/m);
    assert.match(verify, /^Before=agent\.service .*crio\.service$/m);
    const registry = renderStepUnit(steps.get('registry') ?? assert.fail());
    assert.match(registry, /^Type=simple$/m);
    assert.match(registry, /^ExecStart=\/usr\/local\/bin\/hostmirror-serve\.sh$/m);
    const ready = renderStepUnit(steps.get('ready') ?? assert.fail());
    assert.match(ready, /^Wants=hostmirror-registry\.service network-online\.target$/m);
  });

  test('supervised: on the live ISO and installed, the registry restarts after any exit but a refusal, 1 s later, and never gives up', () => {
    for (const phase of ['live', 'installed'] as const) {
      const step = plan.phases[phase].steps.find((s) => s.id === 'registry') ?? assert.fail();
      const unit = renderStepUnit(step);
      const section = (name: string) => unit.split(`[${name}]\n`)[1]?.split('\n\n')[0] ?? '';
      assert.match(section('Service'), /^Restart=always$/m, phase);
      assert.match(section('Service'), /^RestartSec=1$/m, phase);
      assert.ok(REGISTRY_RESTART_SECONDS < 10);
      assert.match(section('Service'), /^RestartPreventExitStatus=78$/m, phase);
      assert.equal(REGISTRY_REFUSAL_STATUS, 78);
      assert.match(section('Unit'), /^StartLimitIntervalSec=0$/m, phase);
      assert.match(
        section('Service'),
        /^ExecStartPost=\/usr\/local\/bin\/hostmirror-wait-ready\.sh --main-pid \$MAINPID$/m,
        phase,
      );
      assert.match(section('Service'), /^TimeoutStartSec=infinity$/m, phase);
    }
    assert.match(scriptText('hostmirror-serve.sh'), /^HM_DIE_STATUS=78$/m);
  });

  test('syncRetriesAndBlocksNothing: the sync step retries after a failure, after the network, before nothing', () => {
    const step = plan.phases.installed.steps.find((s) => s.id === 'sync') ?? assert.fail();
    const unit = renderStepUnit(step);
    const section = (name: string) => unit.split(`[${name}]\n`)[1]?.split('\n\n')[0] ?? '';
    assert.match(section('Unit'), /^ConditionPathExists=\/run\/hostmirror\/sync$/m);
    assert.match(section('Unit'), /^Wants=network-online\.target$/m);
    assert.match(
      section('Unit'),
      /^After=hostmirror-volume\.service hostmirror-configure\.service network-online\.target$/m,
    );
    assert.doesNotMatch(unit, /^Before=/m, 'crio, kubelet and the MCD never wait for the copy');
    assert.match(section('Unit'), /^StartLimitIntervalSec=0$/m);
    // Type=simple: systemd before 244 (RHCOS 8: 239) refuses Restart= on a oneshot unit.
    assert.match(section('Service'), /^Type=simple$/m);
    assert.match(section('Service'), /^Restart=on-failure$/m);
    assert.match(section('Service'), /^RestartSec=30$/m);
    assert.match(section('Service'), /^RemainAfterExit=yes$/m);
    assert.ok(
      !plan.phases.installed.gate.steps.includes('hostmirror-sync.service') &&
        !plan.phases.live.steps.some((s) => s.id === 'sync'),
    );
    assert.deepEqual(step.pools, ['master']);
  });

  test('onlyTheDaemonIsSupervised: one-shot steps neither restart nor carry a start limit', () => {
    const verify = plan.phases.live.steps.find((s) => s.id === 'verify') ?? assert.fail();
    const unit = renderStepUnit(verify);
    assert.doesNotMatch(unit, /Restart|StartLimit|ExecStartPost/);
  });
});

describe('initrd overlay', () => {
  test('parentsListed: every folder above both files comes before them', () => {
    const spec = renderInitrdOverlay({ registryBinary: '/usr/bin/docker-registry' });
    const folders = spec.directories.map((dir) => dir.path);
    for (const file of spec.files) {
      const parent = file.path.slice(0, file.path.lastIndexOf('/'));
      assert.ok(folders.includes(parent), `${file.path} has its parent ${parent}`);
    }
    assert.ok(spec.files.some((file) => file.path === PRE_PIVOT_HOOK && file.mode === 0o755));
    assert.equal(spec.compress, 'zstd');
    const withInventory = renderInitrdOverlay({
      registryBinary: '/usr/bin/docker-registry',
      inventory: 'a b\n',
    });
    const inventory = withInventory.files.find((f) => f.path === '/usr/lib/hostmirror/inventory');
    assert.equal(inventory?.contents, 'a b\n');
    assert.equal(inventory?.mode, 0o644);
  });
});
