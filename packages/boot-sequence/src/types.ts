/** Where the hosts get their images from (docs/design.md#mirror-mode). */
export type MirrorMode = 'node0' | 'every-node' | 'preload';
export const MIRROR_MODES: readonly MirrorMode[] = ['node0', 'every-node', 'preload'];

/** Single node, three control-plane nodes, or three plus workers. */
export type Topology = 'sno' | 'compact' | 'ha';
export const TOPOLOGIES: readonly Topology[] = ['sno', 'compact', 'ha'];

/** The live ISO (agent install) or the installed system after the reboot. */
export type BootPhase = 'live' | 'installed';

/** What a host does in a boot, decided by the first step: serve, pull from node0, or nothing. */
export type HostPart = 'server' | 'client' | 'normal';

/**
 * The markers the first step writes in the state folder; a step runs only if its marker exists.
 * `sync`: a control-plane node in mode node0 without the volume, installed, whose copy of node0's
 * storage is not complete yet (the `sync` step makes it; `copy` then marks a host that serves
 * that copy, beside `serve`).
 */
export type StepCondition = 'serve' | 'mirror' | 'sync';

export type StepId =
  | 'volume'
  | 'verify'
  | 'unpack'
  | 'persist'
  | 'restore'
  | 'registry'
  | 'configure'
  | 'ready'
  | 'preload'
  | 'sync';

/** One step of the sequence: a systemd unit running one script. */
export interface BootStep {
  id: StepId;
  /** The unit's name, `hostmirror-<id>.service`. */
  unit: string;
  description: string;
  /** The script's file name (installed in SCRIPT_DIR) and its arguments. */
  script: string;
  args: readonly string[];
  /**
   * `oneshot` steps finish (RemainAfterExit); the `daemon` keeps running; a `retry` step runs
   * until it succeeds (systemd starts it again after a failure) and orders nothing after it.
   */
  kind: 'oneshot' | 'daemon' | 'retry';
  /** The MachineConfig pools whose hosts carry this step (the live ISO carries every step). */
  pools: readonly ('master' | 'worker')[];
  /** Hard dependencies (`Requires=` + `After=`): their failure fails this step. */
  requires: readonly string[];
  /** Soft dependencies (`Wants=` + `After=`). */
  wants: readonly string[];
  /** Ordering only (`After=`), without pulling the unit in. */
  after: readonly string[];
  /** Units that must wait for this step (`Before=`). */
  before: readonly string[];
  /** The state marker this step needs (`ConditionPathExists=`), none for the first step. */
  condition: StepCondition | null;
  /** `TimeoutStartSec=`: 0 is no limit (unpacking 18 GB takes minutes; the scripts bound their own waits). */
  timeoutSeconds: number;
}

/** Drop-ins that make units we do not own wait for the mirror. */
export interface BootGate {
  units: readonly string[];
  /** `requires`: the unit fails when the mirror does; `wants`: it only waits. */
  relation: 'requires' | 'wants';
  /** The steps the gated units depend on. */
  steps: readonly string[];
}

/**
 * Units we do not own that must only be ordered after some steps, without depending on them:
 * the agent console, whose release pull must find this host pointed at the mirror.
 */
export interface BootOrdering {
  units: readonly string[];
  /** `After=` these step units. */
  after: readonly string[];
}

export interface PhasePlan {
  phase: BootPhase;
  steps: readonly BootStep[];
  gate: BootGate;
  /** The live phase's console ordering; none on the installed system (no agent console there). */
  console: BootOrdering | null;
}

/** A kind of host in a topology, and what it does in each mode. */
export interface RolePlan {
  role: 'node0' | 'master' | 'worker';
  /** How many hosts of this role the topology has ("2+" for HA workers). */
  count: string;
  /** `master` or `worker`: the MachineConfig pool of the installed host. */
  pool: 'master' | 'worker';
  /** What the host does when it has the volume it needs (every host may also end up `normal`). */
  part: Exclude<HostPart, 'normal'>;
  /** The units that run on it, per phase, in start order. */
  units: Record<BootPhase, readonly string[]>;
}

/** Settings that shape the sequence; all but `mode` and `topology` have defaults. */
export interface BootSettingsInput {
  mode: MirrorMode;
  topology: Topology;
  /**
   * The cluster's host counts (install-config replicas): control planes 1 for `sno`, 2–5
   * otherwise (2 is a two-node cluster with fencing), workers 0 for `sno`/`compact`. Default:
   * 1, 3 and 3 with "2+" workers for `ha`.
   */
  controlPlaneReplicas?: number;
  computeReplicas?: number;
  /** The registry's host name (an `/etc/hosts` alias on every host). */
  registryName?: string;
  registryPort?: number;
  /** The host that runs the agent's rendezvous (node0): required in mode `node0`. */
  rendezvousIP?: string;
  /**
   * The cluster's DNS domain, `<metadata.name>.<baseDomain>` of install-config.yaml. With it, the
   * installed hosts' second mirror is `api-int.<clusterDomain>`, which reaches any control-plane
   * node (endpoints.ts); without it (or in SNO) the only mirror name is `registryName`.
   */
  clusterDomain?: string;
  volumeLabel?: string;
  /** Which labels to look at, in order. */
  volumeMatch?: readonly ('partlabel' | 'label')[];
  /**
   * `read-write` (default): the storage tree is unpacked onto the volume, beside the archives,
   * and survives the reboot there. `read-only`: the volume is mounted `-o ro` and never written
   * (a read-only medium, or a volume to keep untouched); the tree and its state go to
   * `DATA_DIR` on the host (on the live ISO that is the RAM-backed `/var`, so it counts against
   * the host's RAM; on the installed system its disk, unpacked again after the reboot).
   */
  volumeAccess?: VolumeAccess;
  /** The release image in the mirror, checked by digest before the install starts. */
  release?: { repository: string; digest: string };
  readyTimeoutSeconds?: Partial<Record<BootPhase, number>>;
  /**
   * Mode node0: copy node0's registry storage to every other control-plane node after the
   * install (the `sync` step), so each serves on its own. Default: on wherever there is another
   * control-plane node (mode node0, not SNO); `false` keeps them pulling from node0 (and
   * `api-int`) as clients.
   */
  controlPlaneCopy?: boolean;
}

/** How the boot uses the mirror volume (`BootSettingsInput.volumeAccess`). */
export type VolumeAccess = 'read-write' | 'read-only';
export const VOLUME_ACCESS: readonly VolumeAccess[] = ['read-write', 'read-only'];

/** The same settings, checked and completed. */
export interface BootSettings {
  mode: MirrorMode;
  topology: Topology;
  controlPlaneReplicas: number;
  /** undefined: an `ha` cluster of unknown size ("2+" workers). */
  computeReplicas: number | undefined;
  registryName: string;
  registryPort: number;
  /** `api-int.<clusterDomain>`: the installed hosts' second mirror (endpoints.ts); null without one. */
  controlPlaneName: string | null;
  rendezvousIP: string | null;
  volumeLabel: string;
  volumeMatch: readonly ('partlabel' | 'label')[];
  volumeAccess: VolumeAccess;
  release: { repository: string; digest: string } | null;
  readyTimeoutSeconds: Record<BootPhase, number>;
  /** Whether the other control-plane nodes copy node0's storage after the install (mode node0). */
  controlPlaneCopy: boolean;
}

/** The whole sequence for one mode and topology. */
export interface BootPlan {
  settings: BootSettings;
  phases: Record<BootPhase, PhasePlan>;
  roles: readonly RolePlan[];
}

/** One archive of the build-time manifest. */
export interface ArchiveDigest {
  /** The file name on the volume (no folders). */
  name: string;
  /** Lower-case hex sha256 of the whole file. */
  sha256: string;
}

/** An image to copy into container storage in mode `preload`. */
export interface PreloadImage {
  /** The source repository as pods name it (`quay.io/openshift-release-dev/ocp-v4.0-art-dev`). */
  repository: string;
  digest: string;
  tag?: string;
}

/** The contents the sequence carries, made at build time. */
export interface BootAssets {
  archives: readonly ArchiveDigest[];
  /** The registries.conf drop-in (v2 TOML) that points the sources at `<registryName>:<port>`. */
  registriesConf: string;
  /** distribution's `config.yml`; the serve script overrides root, address and TLS paths. */
  registryConfig: string;
  /** PEM of the CA that signed the registry's certificate. */
  caCertificate: string;
  /** PEM certificate (with `<registryName>` among its names) and key of the registry. */
  tls: { certificate: string; key: string };
  /** Mode `preload`: what to copy into container storage. */
  preload?: readonly PreloadImage[];
  /**
   * Stale archive repositories (named at build time by the completeness rule): the unpack step
   * leaves them out, so the registry never offers their missing blobs.
   */
  skipRepositories?: readonly string[];
  /**
   * The control-plane copy (`settings.controlPlaneCopy`): what the `sync` step copies (the
   * inventory, inventory.ts) and the sha256 of the registry program node0 publishes beside it.
   */
  sync?: BootSyncAssets;
}

/** What the other control-plane nodes need to copy node0's storage (inventory.ts). */
export interface BootSyncAssets {
  /** The inventory text: `<repository> <digest> [<tag>]` lines (renderInventory). */
  inventory: string;
  /** sha256 hex of the registry program the ISO carries (node0 publishes it, the copy checks it). */
  registryProgramSha256: string;
  /**
   * What the copied storage tree takes on disk (budget's registryTreeBytes): the copy checks
   * its install disk has room for it, and headroom beside it, before it fetches anything.
   */
  treeBytes: number;
}

/** A file of the sequence, ready for Ignition, a MachineConfig or a folder. */
export interface BootFile {
  path: string;
  mode: number;
  contents: string;
}

/** A unit file of the sequence. */
export interface BootUnit {
  name: string;
  contents: string;
  enabled: boolean;
}

/** A drop-in on a unit we do not own. */
export interface BootDropin {
  unit: string;
  name: string;
  contents: string;
}

/** Everything one phase puts on a host. */
export interface BootFileSet {
  phase: BootPhase;
  files: readonly BootFile[];
  units: readonly BootUnit[];
  dropins: readonly BootDropin[];
}
