import { isIP } from 'node:net';
import {
  CONSOLE_UNITS,
  DEFAULT_READY_TIMEOUT_SECONDS,
  DEFAULT_REGISTRY_NAME,
  DEFAULT_REGISTRY_PORT,
  DEFAULT_VOLUME_LABEL,
  INSTALLED_GATED_UNITS,
  LIVE_GATED_UNITS,
} from './constants.ts';
import { controlPlaneNameFor } from './endpoints.ts';
import { BootSequenceError } from './errors.ts';
import {
  type BootPhase,
  type BootPlan,
  type BootSettings,
  type BootSettingsInput,
  type BootStep,
  type HostPart,
  MIRROR_MODES,
  type PhasePlan,
  type RolePlan,
  type StepCondition,
  type StepId,
  TOPOLOGIES,
  VOLUME_ACCESS,
} from './types.ts';

const NETWORK_ONLINE = 'network-online.target';

/** An RFC 1123 host name: dot-separated labels of letters, digits and inner hyphens. */
const HOST_NAME =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
/** GPT partition names and filesystem labels we accept: the characters a udev link keeps as they are. */
const VOLUME_LABEL = /^[A-Za-z0-9._-]{1,36}$/;
/** A manifest digest as the boot scripts accept it: sha256 only (OCI image-spec "Digests"). */
export const SHA256_DIGEST = /^sha256:[0-9a-f]{64}$/;
/** A repository path inside the mirror (`openshift/release-images`). */
const REPOSITORY_PATH = /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

/** The address as `ip address` prints it (IPv6 compressed, lower case), to compare text with text. */
export function canonicalAddress(address: string): string {
  const family = isIP(address);
  if (family === 4) return address;
  // Node's isIP accepts a zone index (`fe80::1%eth0`); a URL, and the hosts, do not.
  if (family === 6 && address.includes('%'))
    throw new BootSequenceError(
      'BOOT_BAD_ADDRESS',
      `The rendezvous IP '${address}' has a zone index (${address.slice(address.indexOf('%'))}), which names an interface of one host; give node0's address without it, one every host reaches (a global or unique-local IPv6 address, or IPv4).`,
    );
  if (family === 6) return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  throw new BootSequenceError(
    'BOOT_BAD_ADDRESS',
    `The rendezvous IP '${address}' is not an IPv4 or IPv6 address; give the address of node0 as in agent-config.yaml rendezvousIP.`,
  );
}

/**
 * The host counts of a topology: what openshift-install's agent accepts (1 control plane for
 * SNO; 2–5 otherwise, 2 being a two-node cluster with fencing: pkg/asset/agent/installconfig.go
 * validateControlPlaneConfiguration at 782c0705), workers only in `ha`.
 */
function hostCounts(input: BootSettingsInput): {
  controlPlaneReplicas: number;
  computeReplicas: number | undefined;
} {
  const sno = input.topology === 'sno';
  const controlPlaneReplicas = input.controlPlaneReplicas ?? (sno ? 1 : 3);
  const computeReplicas = input.computeReplicas ?? (input.topology === 'ha' ? undefined : 0);
  const fits =
    Number.isInteger(controlPlaneReplicas) &&
    (sno ? controlPlaneReplicas === 1 : controlPlaneReplicas >= 2 && controlPlaneReplicas <= 5) &&
    (computeReplicas === undefined ||
      (Number.isInteger(computeReplicas) &&
        (input.topology === 'ha' ? computeReplicas > 0 : computeReplicas === 0)));
  if (!fits)
    throw new BootSequenceError(
      'BOOT_BAD_TOPOLOGY',
      `Topology '${input.topology}' with ${controlPlaneReplicas} control-plane and ${computeReplicas ?? 'some'} compute hosts does not fit: sno is 1 and 0, compact 2–5 and 0, ha 2–5 and at least 1.`,
    );
  return { controlPlaneReplicas, computeReplicas };
}

/** Check the settings and fill in the defaults. */
export function resolveBootSettings(input: BootSettingsInput): BootSettings {
  if (!MIRROR_MODES.includes(input.mode))
    throw new BootSequenceError(
      'BOOT_BAD_MODE',
      `Mirror mode '${String(input.mode)}' is not one of ${MIRROR_MODES.join(', ')}.`,
    );
  if (!TOPOLOGIES.includes(input.topology))
    throw new BootSequenceError(
      'BOOT_BAD_TOPOLOGY',
      `Topology '${String(input.topology)}' is not one of ${TOPOLOGIES.join(', ')}.`,
    );
  const { controlPlaneReplicas, computeReplicas } = hostCounts(input);
  const rendezvousIP =
    input.rendezvousIP === undefined ? null : canonicalAddress(input.rendezvousIP);
  if (input.mode === 'node0' && rendezvousIP === null)
    throw new BootSequenceError(
      'BOOT_RENDEZVOUS_IP_REQUIRED',
      "Mode 'node0' needs the rendezvous IP (agent-config.yaml rendezvousIP): the other hosts pull from that host.",
    );
  const registryName = input.registryName ?? DEFAULT_REGISTRY_NAME;
  if (!HOST_NAME.test(registryName) || isIP(registryName) !== 0)
    throw new BootSequenceError(
      'BOOT_BAD_NAME',
      `The registry name '${registryName}' is not a lower-case DNS host name; it becomes an /etc/hosts alias and the certs.d folder name.`,
    );
  const clusterDomain = input.clusterDomain?.toLowerCase();
  if (clusterDomain !== undefined && (!HOST_NAME.test(clusterDomain) || isIP(clusterDomain) !== 0))
    throw new BootSequenceError(
      'BOOT_BAD_NAME',
      `The cluster domain '${input.clusterDomain}' is not a DNS name; give install-config.yaml's <metadata.name>.<baseDomain>.`,
      { fix: 'give the cluster domain as the installer makes it, like ocp.example.com' },
    );
  // SNO: the only control-plane node is node0, whose own name comes first already.
  const controlPlaneName =
    clusterDomain === undefined || input.topology === 'sno'
      ? null
      : controlPlaneNameFor(clusterDomain);
  const registryPort = input.registryPort ?? DEFAULT_REGISTRY_PORT;
  if (!Number.isInteger(registryPort) || registryPort < 1 || registryPort > 65535)
    throw new BootSequenceError(
      'BOOT_BAD_PORT',
      `The registry port ${registryPort} is not an integer from 1 to 65535.`,
    );
  const volumeLabel = input.volumeLabel ?? DEFAULT_VOLUME_LABEL;
  if (!VOLUME_LABEL.test(volumeLabel))
    throw new BootSequenceError(
      'BOOT_BAD_LABEL',
      `The volume label '${volumeLabel}' must be 1 to 36 letters, digits, '.', '_' or '-'.`,
    );
  const volumeMatch = input.volumeMatch ?? ['partlabel', 'label'];
  if (volumeMatch.length === 0)
    throw new BootSequenceError(
      'BOOT_BAD_LABEL',
      'volumeMatch is empty; give partlabel, label or both.',
    );
  const volumeAccess = input.volumeAccess ?? 'read-write';
  if (!VOLUME_ACCESS.includes(volumeAccess))
    throw new BootSequenceError(
      'BOOT_BAD_VOLUME_ACCESS',
      `The volume access '${String(volumeAccess)}' is not one of ${VOLUME_ACCESS.join(', ')}.`,
      { fix: 'give read-write (unpack onto the volume) or read-only (never write to the volume).' },
    );
  const release = input.release ?? null;
  if (release !== null) {
    if (!SHA256_DIGEST.test(release.digest))
      throw new BootSequenceError(
        'BOOT_BAD_DIGEST',
        `The release digest '${release.digest}' is not sha256:<64 lower-case hex digits>.`,
      );
    if (!REPOSITORY_PATH.test(release.repository))
      throw new BootSequenceError(
        'BOOT_BAD_NAME',
        `The release repository '${release.repository}' is not a repository path inside the mirror (like openshift/release-images).`,
      );
  }
  // One decision: mode node0 with another control-plane node copies node0's storage to it.
  const controlPlaneCopy =
    input.mode === 'node0' && controlPlaneReplicas > 1 && input.controlPlaneCopy !== false;
  return {
    mode: input.mode,
    topology: input.topology,
    controlPlaneReplicas,
    computeReplicas,
    registryName,
    registryPort,
    controlPlaneName,
    rendezvousIP,
    volumeLabel,
    volumeMatch,
    volumeAccess,
    release,
    readyTimeoutSeconds: { ...DEFAULT_READY_TIMEOUT_SECONDS, ...input.readyTimeoutSeconds },
    controlPlaneCopy,
  };
}

export function unitOf(id: StepId): string {
  return `hostmirror-${id}.service`;
}

interface StepShape {
  id: StepId;
  description: string;
  script: string;
  args?: string[];
  kind?: 'oneshot' | 'daemon' | 'retry';
  /** Default: both pools. */
  pools?: readonly ('master' | 'worker')[];
  /** Default: the phase's gated units; a step nothing may wait for gives []. */
  before?: readonly string[];
  requires?: StepId[];
  wants?: StepId[];
  network?: boolean;
  condition: StepCondition | null;
}

function makeStep(shape: StepShape, before: readonly string[]): BootStep {
  const network = shape.network === true ? [NETWORK_ONLINE] : [];
  return {
    id: shape.id,
    unit: unitOf(shape.id),
    description: shape.description,
    script: shape.script,
    args: shape.args ?? [],
    kind: shape.kind ?? 'oneshot',
    pools: shape.pools ?? ['master', 'worker'],
    requires: (shape.requires ?? []).map(unitOf),
    wants: [...(shape.wants ?? []).map(unitOf), ...network],
    after: network,
    before: shape.before ?? before,
    condition: shape.condition,
    timeoutSeconds: 0,
  };
}

/** The steps of one phase, in an order that respects every dependency. */
function phaseSteps(settings: BootSettings, phase: BootPhase): StepShape[] {
  const live = phase === 'live';
  const steps: StepShape[] = [
    {
      id: 'volume',
      description: 'hostmirror: find the mirror volume and decide what this host does',
      script: 'hostmirror-volume.sh',
      // Never after network-online.target: the agent console holds that target until its
      // release pull passes (CONSOLE_UNITS), so what the pull needs must not wait for it.
      // A host's part is decided by the volume it carries, not by its address.
      condition: null,
    },
    {
      id: 'verify',
      description: 'hostmirror: verify the mirror archives against the build-time sha256 manifest',
      script: 'hostmirror-verify.sh',
      requires: ['volume'],
      condition: 'serve',
    },
    {
      id: 'unpack',
      description: 'hostmirror: unpack the registry storage onto the mirror volume',
      script: 'hostmirror-unpack.sh',
      requires: ['verify'],
      condition: 'serve',
    },
    live
      ? {
          id: 'persist',
          description:
            'hostmirror: keep the registry program and TLS pair on the volume for the installed system',
          script: 'hostmirror-registry-files.sh',
          args: ['persist'],
          requires: ['unpack'],
          condition: 'serve',
        }
      : {
          id: 'restore',
          description: 'hostmirror: install the registry program and TLS pair from the volume',
          script: 'hostmirror-registry-files.sh',
          args: ['restore'],
          requires: ['unpack'],
          condition: 'serve',
        },
    {
      id: 'registry',
      description: 'hostmirror: serve the mirror read-only over TLS',
      script: 'hostmirror-serve.sh',
      kind: 'daemon',
      requires: live ? ['unpack'] : ['unpack', 'restore'],
      condition: 'serve',
    },
    {
      id: 'configure',
      description: 'hostmirror: point containers at the mirror (registries.conf, CA, hosts alias)',
      script: 'hostmirror-configure.sh',
      requires: ['volume'],
      condition: 'mirror',
    },
    {
      id: 'ready',
      description: 'hostmirror: wait until the mirror serves the release image',
      script: 'hostmirror-wait-ready.sh',
      // The registry is only wanted: a daemon that restarts must not stop what depends on
      // the gate; the probe itself is what fails when the registry does not answer.
      requires: ['volume', 'unpack', live ? 'persist' : 'restore', 'configure'],
      wants: ['registry'],
      network: true,
      condition: 'mirror',
    },
  ];
  if (!live && settings.controlPlaneCopy)
    steps.push({
      id: 'sync',
      description:
        "hostmirror: copy node0's registry storage to this control-plane node, then serve it",
      script: 'hostmirror-sync.sh',
      // Retried until it is done (node0 may still be the live bootstrap host, or rebooting), and
      // never waited for: crio, kubelet and the MCD start as on any other node; until the copy is
      // complete this node pulls from node0 (and api-int) as before. configure has written the
      // CA for the registry name and the alias to node0 this copies from.
      kind: 'retry',
      pools: ['master'],
      before: [],
      requires: ['volume', 'configure'],
      network: true,
      condition: 'sync',
    });
  if (settings.mode === 'preload')
    steps.push({
      id: 'preload',
      description: 'hostmirror: copy the release images from the mirror into container storage',
      script: 'hostmirror-preload.sh',
      requires: ['ready'],
      condition: 'mirror',
    });
  return steps;
}

function phasePlan(settings: BootSettings, phase: BootPhase): PhasePlan {
  const gated = phase === 'live' ? LIVE_GATED_UNITS : INSTALLED_GATED_UNITS;
  const shapes = phaseSteps(settings, phase);
  const steps = shapes.map((shape) => makeStep(shape, gated));
  const gateSteps = settings.mode === 'preload' ? ['ready', 'preload'] : ['ready'];
  return {
    phase,
    steps,
    gate: {
      units: gated,
      relation: phase === 'live' ? 'requires' : 'wants',
      steps: gateSteps.map((id) => unitOf(id as StepId)),
    },
    // The console's first pull then goes to the mirror: the registries.conf drop-in, CA and
    // alias are in place, and a host that serves has started its registry (the registry
    // step is skipped, and so orders nothing, on a host that does not serve).
    console:
      phase === 'live'
        ? { units: CONSOLE_UNITS, after: [unitOf('configure'), unitOf('registry')] }
        : null,
  };
}

/** The steps that run on a host that took `part`: those whose condition its markers meet. */
export function stepsRunning(
  phase: PhasePlan,
  part: HostPart,
  pool: 'master' | 'worker' = 'master',
): BootStep[] {
  return phase.steps.filter(
    (step) =>
      step.pools.includes(pool) &&
      (step.condition === null ||
        (step.condition === 'mirror' && part !== 'normal') ||
        (step.condition === 'serve' && part === 'server') ||
        (step.condition === 'sync' && part === 'client')),
  );
}

/** The hosts of each topology; node0 is always a control-plane host (it runs the rendezvous). */
function topologyRoles(settings: BootSettings): Omit<RolePlan, 'part' | 'units'>[] {
  const node0 = { role: 'node0', count: '1', pool: 'master' } as const;
  const masters = {
    role: 'master',
    count: String(settings.controlPlaneReplicas - 1),
    pool: 'master',
  } as const;
  const workers = {
    role: 'worker',
    count: settings.computeReplicas === undefined ? '2+' : String(settings.computeReplicas),
    pool: 'worker',
  } as const;
  switch (settings.topology) {
    case 'sno':
      return [node0];
    case 'compact':
      return [node0, masters];
    case 'ha':
      return [node0, masters, workers];
  }
}

/** Build the boot sequence for a mode and topology. */
export function planBootSequence(input: BootSettingsInput): BootPlan {
  const settings = resolveBootSettings(input);
  const phases = { live: phasePlan(settings, 'live'), installed: phasePlan(settings, 'installed') };
  const roles = topologyRoles(settings).map((role): RolePlan => {
    const part = settings.mode === 'node0' && role.role !== 'node0' ? 'client' : 'server';
    return {
      ...role,
      part,
      units: {
        live: stepsRunning(phases.live, part, role.pool).map((step) => step.unit),
        installed: stepsRunning(phases.installed, part, role.pool).map((step) => step.unit),
      },
    };
  });
  return { settings, phases, roles };
}
