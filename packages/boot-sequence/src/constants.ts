/**
 * Names and on-disk paths of the mirror-mode boot sequence (docs/design.md#mirror-mode). The scripts in
 * `scripts/` use the same paths; `hostmirror-lib.sh` is the other place they are written.
 */

/** Where our step scripts are installed; upstream's agent scripts live there too (docs/installer.md#agent-ignition). */
export const SCRIPT_DIR = '/usr/local/bin';
/**
 * The readiness probe: exits 0 once the mirror answers GET /v2/ over TLS and resolves the
 * release by digest (bounded wait). The registry unit runs it as ExecStartPost, the `ready` step
 * runs it, and anything else (a stand-in, an operator) can run it to wait for the mirror.
 */
export const READINESS_PROBE = 'hostmirror-wait-ready.sh';
/** The shared helpers every step script sources from its own folder. */
export const SCRIPT_LIBRARY = 'hostmirror-lib.sh';
/** Settings of the sequence, `KEY=value` lines read by the scripts (and valid as a systemd EnvironmentFile). */
export const ENV_FILE = '/etc/hostmirror/hostmirror.env';
/** sha256sum(1) lines for every archive, written at build time. */
export const MANIFEST_FILE = '/etc/hostmirror/archives.sha256';
/** The registry program's config (distribution `config.yml`). */
export const REGISTRY_CONFIG_FILE = '/etc/hostmirror/registry/config.yml';
/** The registries.conf drop-in, staged: it is installed only when this host uses the mirror. */
export const STAGED_REGISTRIES_CONF = '/etc/hostmirror/registries.conf';
/** The CA that signed the registry's certificate, staged like the drop-in. */
export const CA_FILE = '/etc/hostmirror/ca.crt';
/** The registry's certificate and key. */
export const TLS_CERTIFICATE_FILE = '/etc/hostmirror/tls/tls.crt';
export const TLS_KEY_FILE = '/etc/hostmirror/tls/tls.key';
/**
 * Archive repositories not to unpack: stale cache repositories the cluster does not need and
 * whose blobs the archives lack (formats' completeness rule, judged at build time).
 */
export const SKIP_REPOSITORIES_FILE = '/etc/hostmirror/skip-repositories';
/** Images to copy into container storage in mode `preload`. */
export const PRELOAD_LIST_FILE = '/etc/hostmirror/preload.list';
/** This boot's decisions (tmpfs): markers `node0`, `mirror`, `serve`, `normal`, `volume`. */
export const STATE_DIR = '/run/hostmirror';
/**
 * Where the data volume is mounted. `/var/mnt` is where telco-ran-tools mounts its `data`
 * partition (docs/installer.md#telco-precaching); only the mount point is on the RAM-backed live `/var`.
 */
export const VOLUME_MOUNT = '/var/mnt/hostmirror';
/**
 * Where a read-only volume's storage tree and unpack state go (`volumeAccess: 'read-only'`):
 * on the host, never on the volume. On the live ISO `/var` is RAM-backed (an overlay on tmpfs),
 * so the tree counts against the host's RAM; on the installed system it is the install disk.
 */
export const READ_ONLY_DATA_DIR = '/var/lib/hostmirror';
/**
 * The volume's partition or filesystem label: `data`, as telco-ran-tools partitions it and
 * as `coreos-installer --save-partlabel data` keeps it across the install (docs/installer.md#telco-precaching).
 */
export const DEFAULT_VOLUME_LABEL = 'data';
/** The registry program on the booted system (the pre-pivot hook or the restore step puts it there). */
export const REGISTRY_BINARY = '/usr/local/bin/hostmirror-registry';
/** The registry program inside the initrd overlay. The hook's source path is the same. */
export const INITRD_REGISTRY_BINARY = '/usr/lib/hostmirror/registry';
/**
 * dracut runs (sources) `/usr/lib/dracut/hooks/pre-pivot/*.sh` before switch-root, where
 * openshift/installer puts its agent copy hook (docs/installer.md#agent-cpio).
 */
export const PRE_PIVOT_HOOK = '/usr/lib/dracut/hooks/pre-pivot/90-hostmirror-registry.sh';
/**
 * The name the hosts use for the registry; an `/etc/hosts` alias points it at 127.0.0.1 on
 * a host that serves and at the rendezvous IP elsewhere, so registries.conf is the same on
 * every host. `.internal` is reserved for private use (ICANN, 2024).
 */
export const DEFAULT_REGISTRY_NAME = 'registry.hostmirror.internal';
/**
 * The registry's port: distribution's default (docs/mirror.md#registry). Not 22625, which OpenShift's
 * own internal release image registry takes on control-plane nodes (docs/installer.md#registry-less-design).
 */
export const DEFAULT_REGISTRY_PORT = 5000;
/** How long a host waits for the registry: node0 may still be unpacking an 18 GB archive set. */
export const DEFAULT_READY_TIMEOUT_SECONDS = { live: 3600, installed: 600 } as const;
/** How long the volume step waits for udev to show the volume. */
export const VOLUME_WAIT_SECONDS = 15;

/**
 * The live-ISO services that must not start before the mirror answers (docs/design.md#mirror-mode;
 * `assisted-service*.service` are the three units the agent ISO enables, docs/installer.md#agent-ignition).
 * Our units are `Before=` them, and each gets a drop-in with `Requires=`, so a failed mirror
 * stops the install at once with "Dependency failed" instead of letting pulls time out.
 */
export const LIVE_GATED_UNITS = [
  'agent.service',
  'node-zero.service',
  'assisted-service.service',
  'assisted-service-pod.service',
  'assisted-service-db.service',
  'release-image.service',
  'crio.service',
] as const;

/**
 * The installed system's services that pull images at first boot (telco-ran-tools orders its
 * precache unit before the MCD pull, docs/installer.md#telco-precaching). Here the drop-in only `Wants=`: a
 * node whose mirror fails still boots, and node0's registry is no longer needed once the
 * cluster runs.
 */
export const INSTALLED_GATED_UNITS = [
  'crio.service',
  'kubelet.service',
  'machine-config-daemon-pull.service',
  'machine-config-daemon-firstboot.service',
] as const;

/** The drop-in file name put on each gated unit. */
export const GATE_DROPIN = '10-hostmirror.conf';

/** MachineConfig API (machineconfiguration.openshift.io/v1) and the role label MCO pools select. */
export const MACHINE_CONFIG_API_VERSION = 'machineconfiguration.openshift.io/v1';
export const MACHINE_CONFIG_ROLE_LABEL = 'machineconfiguration.openshift.io/role';
/** OpenShift renders MachineConfigs at Ignition spec 3.2.0 (docs/installer.md#agent-ignition). */
export const DEFAULT_IGNITION_SPEC = '3.2.0';

/**
 * The agent console: agent-tui pulls the release every 5 s and holds `network.target`,
 * `NetworkManager-wait-online.service` (so `network-online.target`), `agent.service` and
 * `node-zero.service` until that pull passes, with no timeout (openshift/installer
 * data/data/agent/systemd/units/agent-interactive-console.service and
 * agent-interactive-console-serial@.service at 0002b772756c7394b69467abf14629118fd724ca;
 * openshift/agent-installer-utils tools/agent_tui/checks/engine.go at c031572). The serial one
 * is a template: a drop-in on `agent-interactive-console-serial@.service` reaches every instance.
 */
export const CONSOLE_UNITS = [
  'agent-interactive-console.service',
  'agent-interactive-console-serial@.service',
] as const;

/**
 * Files the configure step writes on a host (hostmirror-configure.sh, the other place they are
 * written): the live ISO's registries.conf drop-in (containers-registries.conf.d(5): read in name
 * order, a later one wins), a CA per mirror endpoint in certs.d (containers-certs.d(5): a `*.crt`
 * in `certs.d/<host:port>/` is a CA for that registry), and on the live ISO the system trust
 * anchor (update-ca-trust(8) reads extra anchors from that folder).
 */
export const REGISTRIES_CONF_DROP_IN = '/etc/containers/registries.conf.d/99-hostmirror.conf';
export const CERTS_D = '/etc/containers/certs.d';
export const CA_ANCHOR_FILE = '/etc/pki/ca-trust/source/anchors/hostmirror-ca.crt';
/** The line tag that marks our `/etc/hosts` alias (hostmirror-lib.sh HM_HOSTS_TAG). */
export const HOSTS_TAG = '# hostmirror';

/** The way out (teardown.ts): its script, unit and settings folder, never removed by itself. */
export const TEARDOWN_SCRIPT = 'hostmirror-teardown.sh';
export const TEARDOWN_UNIT = 'hostmirror-teardown.service';
export const TEARDOWN_DIR = '/etc/hostmirror-teardown';

/**
 * The control-plane copy (mode node0, the `sync` step): node0 publishes the registry program and
 * the inventory as blobs of this repository in its own storage, and the other control-plane
 * nodes fetch them by digest. Reserved: build-iso refuses an archive that holds a repository
 * under `hostmirror-internal/` (inventory.ts requireNoReservedRepository).
 */
export const RESERVED_REPOSITORY_PREFIX = 'hostmirror-internal';
export const SYNC_REPOSITORY = `${RESERVED_REPOSITORY_PREFIX}/sync`;
/**
 * What the sync step copies: every manifest the archive set holds by digest, every tag with its
 * digest (inventory.ts). Too large for the 256 KiB Ignition area (a release with operators has
 * thousands of lines), so it rides in the initrd overlay beside the registry program and the
 * pre-pivot hook copies it to INVENTORY_FILE on the live system; the persist step keeps it on
 * the volume for the installed node0 (hostmirror/inventory), restore puts it back.
 */
export const INITRD_INVENTORY = '/usr/lib/hostmirror/inventory';
export const INVENTORY_FILE = '/etc/hostmirror/inventory';
/** How long systemd waits before running the sync step again after it failed (node0 not there yet, a broken copy). */
export const SYNC_RESTART_SECONDS = 30;
