import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { INSTALLED_GATED_UNITS, LIVE_GATED_UNITS } from './constants.ts';
import { BootSequenceError } from './errors.ts';
import { canonicalAddress, planBootSequence, stepsRunning } from './plan.ts';
import { type BootSettingsInput, MIRROR_MODES, type TOPOLOGIES } from './types.ts';

const base = { mode: 'node0', topology: 'ha', rendezvousIP: '192.0.2.10' } as const;

function codeOf(input: BootSettingsInput): string {
  try {
    planBootSequence(input);
  } catch (error) {
    assert.ok(error instanceof BootSequenceError);
    return error.code;
  }
  return 'none';
}

describe('settings', () => {
  test('errorCodes: each bad setting is refused with its own code', () => {
    assert.equal(codeOf({ mode: 'node0', topology: 'ha' }), 'BOOT_RENDEZVOUS_IP_REQUIRED');
    assert.equal(codeOf({ ...base, rendezvousIP: '192.0.2.300' }), 'BOOT_BAD_ADDRESS');
    // Node's isIP takes a zone index; new URL() threw a bare 'Invalid URL' on it (issue #20).
    assert.equal(codeOf({ ...base, rendezvousIP: 'fe80::1%eth0' }), 'BOOT_BAD_ADDRESS');
    assert.equal(codeOf({ ...base, registryName: 'Bad_Name' }), 'BOOT_BAD_NAME');
    assert.equal(codeOf({ ...base, registryName: '10.0.0.1' }), 'BOOT_BAD_NAME');
    assert.equal(codeOf({ ...base, registryPort: 0 }), 'BOOT_BAD_PORT');
    assert.equal(codeOf({ ...base, volumeLabel: 'my data' }), 'BOOT_BAD_LABEL');
    assert.equal(codeOf({ ...base, volumeMatch: [] }), 'BOOT_BAD_LABEL');
    assert.equal(codeOf({ ...base, volumeAccess: 'ro' as never }), 'BOOT_BAD_VOLUME_ACCESS');
    assert.equal(
      codeOf({ ...base, release: { repository: 'openshift/release-images', digest: 'sha256:12' } }),
      'BOOT_BAD_DIGEST',
    );
    assert.equal(codeOf({ ...base, mode: 'mirror' as never }), 'BOOT_BAD_MODE');
    assert.equal(codeOf({ ...base, topology: 'two' as never }), 'BOOT_BAD_TOPOLOGY');
    assert.equal(codeOf({ mode: 'every-node', topology: 'sno' }), 'none');
  });

  test('ipv6Canonical: the rendezvous IP is compared as `ip address` prints it', () => {
    assert.equal(canonicalAddress('2001:DB8:0:0::1'), '2001:db8::1');
    assert.equal(canonicalAddress('192.0.2.10'), '192.0.2.10');
  });

  test('defaults: registry name, port, volume label and timeouts', () => {
    const { settings } = planBootSequence({ mode: 'every-node', topology: 'compact' });
    assert.equal(settings.registryName, 'registry.hostmirror.internal');
    assert.equal(settings.registryPort, 5000);
    assert.equal(settings.volumeLabel, 'data');
    assert.deepEqual(settings.volumeMatch, ['partlabel', 'label']);
    assert.equal(settings.rendezvousIP, null);
    assert.deepEqual(settings.readyTimeoutSeconds, { live: 3600, installed: 600 });
  });
});

describe('step graph', () => {
  for (const mode of MIRROR_MODES)
    test(`${mode}: every dependency comes before the step that needs it, in both phases`, () => {
      const plan = planBootSequence({ ...base, mode });
      for (const phase of Object.values(plan.phases)) {
        const seen = new Set<string>();
        for (const step of phase.steps) {
          for (const unit of [...step.requires, ...step.wants].filter((u) =>
            u.startsWith('hostmirror-'),
          ))
            assert.ok(seen.has(unit), `${phase.phase}: ${step.unit} needs ${unit} first`);
          seen.add(step.unit);
        }
      }
    });

  test('gate: live units Require the mirror, installed units only Want it', () => {
    const plan = planBootSequence(base);
    assert.equal(plan.phases.live.gate.relation, 'requires');
    assert.deepEqual(plan.phases.live.gate.units, LIVE_GATED_UNITS);
    assert.equal(plan.phases.installed.gate.relation, 'wants');
    assert.deepEqual(plan.phases.installed.gate.units, INSTALLED_GATED_UNITS);
    for (const step of plan.phases.live.steps) assert.deepEqual(step.before, LIVE_GATED_UNITS);
    assert.deepEqual(plan.phases.live.gate.steps, ['hostmirror-ready.service']);
    const preload = planBootSequence({ ...base, mode: 'preload' });
    assert.deepEqual(preload.phases.live.gate.steps, [
      'hostmirror-ready.service',
      'hostmirror-preload.service',
    ]);
  });

  test('phases: persist runs live, restore installed; preload only in mode preload', () => {
    const ids = (mode: (typeof MIRROR_MODES)[number], phase: 'live' | 'installed') =>
      planBootSequence({ ...base, mode }).phases[phase].steps.map((step) => step.id);
    assert.ok(ids('node0', 'live').includes('persist'));
    assert.ok(!ids('node0', 'live').includes('restore'));
    assert.ok(ids('node0', 'installed').includes('restore'));
    assert.ok(!ids('node0', 'live').includes('preload'));
    assert.ok(ids('preload', 'live').includes('preload'));
    assert.ok(ids('preload', 'installed').includes('preload'));
  });

  test('network: nothing the console waits for is after network-online.target (the console holds that target)', () => {
    for (const mode of MIRROR_MODES) {
      const { live } = planBootSequence({ ...base, mode }).phases;
      assert.deepEqual(live.console?.after, [
        'hostmirror-configure.service',
        'hostmirror-registry.service',
      ]);
      // Everything the console's units are after, and what those need in turn.
      const byUnit = new Map(live.steps.map((step) => [step.unit, step]));
      const pending = [...(live.console?.after ?? [])];
      const seen = new Set<string>();
      while (pending.length > 0) {
        const unit = pending.pop() as string;
        if (seen.has(unit)) continue;
        seen.add(unit);
        const step = byUnit.get(unit);
        assert.ok(step, `${mode}: ${unit} is a step`);
        assert.ok(
          !step.after.includes('network-online.target'),
          `${mode}: ${unit} waits for the network`,
        );
        assert.ok(
          !step.wants.includes('network-online.target'),
          `${mode}: ${unit} wants the network`,
        );
        pending.push(...step.requires, ...step.wants);
      }
      assert.ok(
        seen.has('hostmirror-volume.service') && seen.has('hostmirror-unpack.service'),
        mode,
      );
      // The readiness wait does need the network (node0's registry is remote for a client).
      assert.deepEqual(
        byUnit.get('hostmirror-ready.service')?.after.includes('network-online.target'),
        true,
      );
    }
    assert.equal(planBootSequence(base).phases.installed.console, null);
  });

  test('conditions: a normal host runs only the volume step, a client no serving step', () => {
    const { live } = planBootSequence(base).phases;
    assert.deepEqual(
      stepsRunning(live, 'normal').map((step) => step.id),
      ['volume'],
    );
    assert.deepEqual(
      stepsRunning(live, 'client').map((step) => step.id),
      ['volume', 'configure', 'ready'],
    );
    assert.equal(stepsRunning(live, 'server').length, live.steps.length);
  });
});

describe('roles', () => {
  test('topologies: node0 alone, with two masters, and with workers', () => {
    const roles = (topology: (typeof TOPOLOGIES)[number]) =>
      planBootSequence({ ...base, topology }).roles.map((role) => `${role.role}:${role.pool}`);
    assert.deepEqual(roles('sno'), ['node0:master']);
    assert.deepEqual(roles('compact'), ['node0:master', 'master:master']);
    assert.deepEqual(roles('ha'), ['node0:master', 'master:master', 'worker:worker']);
  });

  test('parts: in mode node0 only node0 serves; in every-node and preload every host does', () => {
    const parts = (mode: (typeof MIRROR_MODES)[number]) =>
      planBootSequence({ ...base, mode }).roles.map((role) => role.part);
    assert.deepEqual(parts('node0'), ['server', 'client', 'client']);
    assert.deepEqual(parts('every-node'), ['server', 'server', 'server']);
    assert.deepEqual(parts('preload'), ['server', 'server', 'server']);
    const worker = planBootSequence(base).roles[2];
    assert.deepEqual(worker?.units.live, [
      'hostmirror-volume.service',
      'hostmirror-configure.service',
      'hostmirror-ready.service',
    ]);
  });

  test('controlPlaneCopy: in mode node0 the other masters copy node0 installed (sync), workers and node0 never do', () => {
    const plan = planBootSequence(base);
    const units = (role: string) =>
      plan.roles.find((r) => r.role === role)?.units.installed ?? assert.fail(role);
    assert.ok(units('master').includes('hostmirror-sync.service'));
    assert.ok(!units('worker').includes('hostmirror-sync.service'));
    assert.ok(!units('node0').includes('hostmirror-sync.service'));
    assert.ok(plan.roles.every((role) => !role.units.live.includes('hostmirror-sync.service')));
    // The last step of the installed phase, after what it needs; not a step the gate waits for.
    const steps = plan.phases.installed.steps.map((step) => step.id);
    assert.equal(steps.at(-1), 'sync');
    const off = planBootSequence({ ...base, controlPlaneCopy: false });
    assert.ok(!off.phases.installed.steps.some((step) => step.id === 'sync'));
    assert.equal(off.settings.controlPlaneCopy, false);
    assert.equal(
      planBootSequence({ ...base, topology: 'compact', controlPlaneReplicas: 2 }).settings
        .controlPlaneCopy,
      true,
    );
  });
});

// openshift-install's agent accepts 1–5 control planes (2 = two-node with fencing) and any
// worker count (pkg/asset/agent/installconfig.go validateControlPlaneConfiguration at 782c0705):
// the plan names as many hosts per role as the cluster has.
describe('host counts', () => {
  const counts = (input: Partial<BootSettingsInput> & Pick<BootSettingsInput, 'topology'>) =>
    planBootSequence({ mode: 'node0', rendezvousIP: '192.0.2.10', ...input }).roles.map(
      (role) => `${role.role}:${role.count}:${role.part}`,
    );
  test('twoNodeFourAndFiveControlPlanes', () => {
    assert.deepEqual(counts({ topology: 'compact', controlPlaneReplicas: 2 }), [
      'node0:1:server',
      'master:1:client',
    ]);
    assert.deepEqual(counts({ topology: 'compact', controlPlaneReplicas: 4 }), [
      'node0:1:server',
      'master:3:client',
    ]);
    assert.deepEqual(counts({ topology: 'ha', controlPlaneReplicas: 5, computeReplicas: 7 }), [
      'node0:1:server',
      'master:4:client',
      'worker:7:client',
    ]);
    assert.deepEqual(counts({ topology: 'ha' }), [
      'node0:1:server',
      'master:2:client',
      'worker:2+:client',
    ]);
  });
  test('countsThatDoNotFitTheTopologyAreRefused', () => {
    for (const input of [
      { topology: 'sno', controlPlaneReplicas: 3 },
      { topology: 'compact', controlPlaneReplicas: 6 },
      { topology: 'compact', controlPlaneReplicas: 3, computeReplicas: 2 },
      { topology: 'ha', controlPlaneReplicas: 3, computeReplicas: 0 },
      { topology: 'compact', controlPlaneReplicas: 1 },
    ] as const)
      assert.throws(() => counts(input), { code: 'BOOT_BAD_TOPOLOGY' }, JSON.stringify(input));
  });
});
