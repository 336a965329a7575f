import { isIP } from 'node:net';
import { MirrorFormatError, readYaml } from '@hostmirror/oc-mirror-archive';
import { BuildIsoError } from './errors.ts';

/**
 * The facts build-iso needs from `install-config.yaml` and `agent-config.yaml`, read the way
 * openshift-install reads them: YAML 1.1 (sigs.k8s.io/yaml on go-yaml v2), so `no` is false
 * and `0644` is octal (docs/deps.md#yaml).
 */
export type Topology = 'sno' | 'compact' | 'ha';

export interface DigestMirrorSource {
  source: string;
  mirrors: string[];
}

export interface ClusterConfig {
  clusterName: string;
  baseDomain: string;
  /** `controlPlane.replicas`, 3 when absent (installer SetMachinePoolDefaults). */
  controlPlaneReplicas: number;
  /** The sum of `compute[].replicas`; a missing `compute` is one pool of 3 (SetInstallConfigDefaults). */
  computeReplicas: number;
  /** sno: 1 control plane; compact: 2–5 and no workers; ha: 2–5 and workers. */
  topology: Topology;
  /** The install-config platform (`none`, `baremetal`, `vsphere` or `external`). */
  platform: string;
  /** `networking.networkType`, `OVNKubernetes` when absent (installer defaults). */
  networkType: string;
  /**
   * The address of node0, which runs the assisted service: agent-config `rendezvousIP`, else
   * the first IP of the first control-plane host's networkConfig (openshift-install GetNodeZeroIP).
   */
  rendezvousIP: string;
  /** Where rendezvousIP came from: agent-config, or the host whose networkConfig gave it. */
  rendezvousIPSource: string;
  /** Host names from agent-config `hosts[].hostname`, when given. */
  hostnames: string[];
  /** agent-config `hosts[]`: what build-iso checks of each (its disks and addresses). */
  hosts: ClusterHost[];
  /** install-config `imageDigestSources` (or the deprecated `imageContentSources`). */
  imageDigestSources: DigestMirrorSource[];
  additionalTrustBundle?: string;
  fips: boolean;
  /** install-config `controlPlane.architecture` (openshift-install's default: amd64). */
  architecture: string;
}

/** One agent-config `hosts[]` entry, as far as the volume checks need it. */
export interface ClusterHost {
  /** Its place in agent-config.yaml (`$.hosts[1]`). */
  jsonPath: string;
  hostname: string | undefined;
  /** `rootDeviceHints` as written (keys as in agent-config), or undefined. */
  rootDeviceHints: Record<string, unknown> | undefined;
  /** The static addresses of its `networkConfig` (nmstate `interfaces[].ipv4/ipv6.address[].ip`). */
  addresses: string[];
}

type YamlValue = unknown;

/** openshift-install's default architecture (types/installconfig `defaultArchitecture`). */
export const DEFAULT_ARCHITECTURE = 'amd64';

/**
 * Parse YAML 1.1 text as openshift-install reads install-config/agent-config; a syntax error
 * or an alias (refused: @hostmirror/yaml-input) names the file, line and column.
 */
export function parseYaml11(text: string, file: string): YamlValue {
  try {
    return readYaml(text, { path: file, aliases: 'refuse' });
  } catch (error) {
    throw asConfigParseError(error);
  }
}

/**
 * The YAML reader's refusal (@hostmirror/yaml-input through oc-mirror-archive: syntax, aliases) as build-iso's
 * CONFIG_PARSE, keeping its place and fix; any other error as it is.
 */
export function asConfigParseError(error: unknown): unknown {
  if (!(error instanceof MirrorFormatError)) return error;
  return new BuildIsoError('CONFIG_PARSE', error.message, {
    path: error.path,
    line: error.line,
    column: error.column,
    subject: error.subject,
    fix: error.fix,
    cause: error,
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Read a field by path, failing with the file and the JSON path of what is wrong. */
class FieldReader {
  private readonly file: string;
  private readonly root: unknown;

  constructor(file: string, root: unknown) {
    this.file = file;
    this.root = root;
  }

  private fail(path: string, problem: string, fix: string): never {
    throw new BuildIsoError('CONFIG_INVALID', `${this.file}: ${path} ${problem}; ${fix}.`, {
      path: this.file,
      jsonPath: path,
      fix: `${fix.charAt(0).toUpperCase()}${fix.slice(1)}.`,
    });
  }

  get(path: string): unknown {
    let value: unknown = this.root;
    for (const key of path.split('.').slice(1)) {
      if (!isRecord(value)) return undefined;
      value = value[key];
    }
    return value;
  }

  string(path: string, fix: string): string {
    const value = this.get(path);
    if (typeof value !== 'string' || value === '')
      this.fail(path, `must be a non-empty string (got ${JSON.stringify(value)})`, fix);
    return value;
  }

  optionalString(path: string): string | undefined {
    const value = this.get(path);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'string')
      this.fail(path, `must be a string (got ${JSON.stringify(value)})`, 'quote it');
    return value;
  }

  count(value: unknown, path: string, fallback: number): number {
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      this.fail(
        path,
        `must be a whole number ≥ 0 (got ${JSON.stringify(value)})`,
        'set the replica count',
      );
    }
    return value;
  }

  list(path: string): unknown[] {
    const value = this.get(path);
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value))
      this.fail(path, `must be a list (got ${JSON.stringify(value)})`, 'write it as a YAML list');
    return value;
  }

  mirrorSources(path: string): DigestMirrorSource[] {
    return this.list(path).map((entry, index) => {
      const where = `${path}.${index}`;
      if (!isRecord(entry) || typeof entry.source !== 'string') {
        this.fail(`${where}.source`, 'must be a string', 'name the source repository');
      }
      const mirrors = Array.isArray(entry.mirrors) ? entry.mirrors : [];
      if (!mirrors.every((mirror): mirror is string => typeof mirror === 'string')) {
        this.fail(`${where}.mirrors`, 'must be a list of strings', 'list mirror repositories');
      }
      return { source: entry.source, mirrors };
    });
  }
}

/**
 * What openshift-install's agent `OptionalInstallConfig.validateControlPlaneConfiguration` and
 * `validateSNOConfiguration` accept (openshift/installer pkg/asset/agent/installconfig.go at
 * 782c0705), with its messages: 1–5 control-plane replicas, 2 only for a two-node cluster with
 * fencing; SNO needs 0 compute replicas, platform none or external and OVN. The platforms are
 * `SupportedInstallerPlatforms` (pkg/asset/agent/common.go at 25967305).
 */
const AGENT_PLATFORMS = ['baremetal', 'vsphere', 'none', 'external'] as const;
function installerRefusal(file: string, message: string, jsonPath: string): BuildIsoError {
  return new BuildIsoError(
    'CONFIG_INVALID',
    `${file}: invalid install-config configuration: ${message} (openshift-install agent create image refuses it the same way).`,
    { path: file, jsonPath },
  );
}

/**
 * 1–5 control-plane replicas; 2 is a two-node cluster with fencing, which current installers
 * accept with exactly two `controlPlane.fencing.credentials` (their refusal is
 * cmd/openshift-install/testdata/agent/image/validations/compact_invalid_controlPlane_replicas.txt
 * at 006d4573).
 */
function checkControlPlane(install: FieldReader, replicas: number, file: string): void {
  if (replicas === 2) {
    const credentials = install.get('$.controlPlane.fencing.credentials');
    const count = Array.isArray(credentials) ? credentials.length : 0;
    if (count === 2) return;
    throw installerRefusal(
      file,
      `controlPlane.fencing.credentials: Forbidden: there should be exactly two fencing credentials to support the two node cluster, instead ${count} credentials were found`,
      '$.controlPlane.fencing.credentials',
    );
  }
  if (replicas >= 1 && replicas <= 5) return;
  throw installerRefusal(
    file,
    `controlPlane.replicas: Unsupported value: ${replicas}: supported values: "3", "1", "4", "5", "2 (with fencing)"`,
    '$.controlPlane.replicas',
  );
}

function checkSingleNode(
  replicas: number,
  workers: number,
  platform: string,
  networkType: string,
  file: string,
): void {
  if (replicas !== 1) return;
  if (workers !== 0)
    throw installerRefusal(
      file,
      `compute.replicas: Forbidden: Total number of compute replicas must be 0 when controlPlane.replicas is 1 for platform none or external. Found ${workers}${workers === 3 ? ' (a missing compute section means one pool of 3: write compute: [{name: worker, replicas: 0}])' : ''}`,
      '$.compute',
    );
  if (platform !== 'none' && platform !== 'external')
    throw installerRefusal(
      file,
      `platform: Invalid value: "${platform}": Only platform none and external supports 1 ControlPlane and 0 Compute nodes`,
      '$.platform',
    );
  if (networkType !== 'OVNKubernetes')
    throw installerRefusal(
      file,
      `networking.networkType: Invalid value: "${networkType}": Only OVNKubernetes network type is allowed for Single Node OpenShift (SNO) cluster`,
      '$.networking.networkType',
    );
}

function topologyOf(controlPlane: number, compute: number): Topology {
  if (controlPlane === 1) return 'sno';
  return compute === 0 ? 'compact' : 'ha';
}

/** The one platform key under `platform` (installer `Platform.Name()`); refused unless agent supports it. */
function platformOf(install: FieldReader, file: string): string {
  const platform = install.get('$.platform');
  const names = isRecord(platform) ? Object.keys(platform) : [];
  if (names.length === 0)
    throw installerRefusal(
      file,
      'platform: Invalid value: "": must specify one of the platforms; the agent installer supports baremetal, vsphere, none and external',
      '$.platform',
    );
  const [name] = names as [string];
  if (names.length > 1)
    throw installerRefusal(
      file,
      `platform: Invalid value: "${name}": must only specify a single type of platform; cannot use both "${name}" and "${names[1]}"`,
      '$.platform',
    );
  if (!(AGENT_PLATFORMS as readonly string[]).includes(name))
    throw installerRefusal(
      file,
      `platform: Unsupported value: "${name}": supported values: ${AGENT_PLATFORMS.map((p) => `"${p}"`).join(', ')}`,
      '$.platform',
    );
  return name;
}

/** installer defaults: `networking.networkType` OVNKubernetes when absent. */
function networkTypeOf(install: FieldReader): string {
  const value = install.get('$.networking.networkType');
  return typeof value === 'string' && value !== '' ? value : 'OVNKubernetes';
}

function computeReplicas(reader: FieldReader): number {
  // SetInstallConfigDefaults: no compute pools → one `worker` pool; each pool's replicas
  // default to 3 (SetMachinePoolDefaults) — pkg/types/defaults/installconfig.go, machinepools.go.
  const pools = reader.list('$.compute');
  if (pools.length === 0) return 3;
  return pools.reduce<number>(
    (sum, pool, index) =>
      sum +
      reader.count(isRecord(pool) ? pool.replicas : undefined, `$.compute.${index}.replicas`, 3),
    0,
  );
}

interface AgentHost {
  hostname: string | undefined;
  role: string;
  networkConfig: unknown;
  index: number;
}

/** The hosts' install-disk hints and static addresses (nmstate `interfaces[].ipv4/ipv6.address[].ip`). */
function clusterHosts(agent: FieldReader): ClusterHost[] {
  return agent.list('$.hosts').map((host, index): ClusterHost => {
    const entry = isRecord(host) ? host : {};
    const interfaces = isRecord(entry.networkConfig) ? entry.networkConfig.interfaces : undefined;
    const addresses: string[] = [];
    for (const nic of Array.isArray(interfaces) ? interfaces : [])
      for (const family of ['ipv4', 'ipv6'])
        if (isRecord(nic) && isRecord(nic[family]) && Array.isArray(nic[family].address))
          for (const address of nic[family].address)
            if (isRecord(address) && typeof address.ip === 'string') addresses.push(address.ip);
    return {
      jsonPath: `$.hosts[${index}]`,
      hostname: typeof entry.hostname === 'string' ? entry.hostname : undefined,
      rootDeviceHints: isRecord(entry.rootDeviceHints) ? entry.rootDeviceHints : undefined,
      addresses,
    };
  });
}

function agentHosts(agent: FieldReader): AgentHost[] {
  return agent.list('$.hosts').map((host, index) => ({
    hostname: isRecord(host) && typeof host.hostname === 'string' ? host.hostname : undefined,
    role: isRecord(host) && typeof host.role === 'string' ? host.role : '',
    networkConfig: isRecord(host) ? host.networkConfig : undefined,
    index,
  }));
}

/**
 * installer `validateHostCount` (pkg/asset/agent/manifests/nmstateconfig.go at dbbe36d8): hosts
 * without a role count as masters until the control plane is full, then as workers; more
 * master or worker hosts than replicas is refused (fewer is only a warning there).
 */
function checkHostCount(hosts: AgentHost[], masters: number, workers: number, file: string): void {
  let numMasters = hosts.filter((host) => host.role === 'master').length;
  let numWorkers = hosts.filter((host) => host.role === 'worker').length;
  for (const host of hosts)
    if (host.role === '') {
      if (numMasters < masters) numMasters++;
      else numWorkers++;
    }
  const fail = (message: string) =>
    new BuildIsoError(
      'CONFIG_INVALID',
      `${file}: ${message}; list as many hosts as the install-config's replicas (openshift-install refuses it the same way).`,
      {
        path: file,
        jsonPath: '$.hosts',
      },
    );
  if (numMasters > masters)
    throw fail(
      `the number of master hosts defined (${numMasters}) exceeds the configured ControlPlane replicas (${masters})`,
    );
  if (numWorkers > workers)
    throw fail(
      `the number of worker hosts defined (${numWorkers}) exceeds the configured Compute replicas (${workers})`,
    );
}

/** installer `GetFirstIP` (pkg/asset/agent/common.go at 25967305): per interface, IPv4 then IPv6. */
function firstIP(networkConfig: unknown): string | undefined {
  if (!isRecord(networkConfig) || !Array.isArray(networkConfig.interfaces)) return undefined;
  for (const intf of networkConfig.interfaces) {
    if (!isRecord(intf)) continue;
    for (const family of ['ipv4', 'ipv6'])
      for (const address of isRecord(intf[family]) &&
      Array.isArray((intf[family] as Record<string, unknown>).address)
        ? ((intf[family] as Record<string, unknown>).address as unknown[])
        : [])
        if (isRecord(address) && typeof address.ip === 'string' && address.ip !== '')
          return address.ip;
  }
  return undefined;
}

/** Go's `net.ParseIP(ip).String()`: IPv6 in its compressed lower-case form. */
function canonicalIP(address: string): string {
  return isIP(address) === 6 ? new URL(`http://[${address}]/`).hostname.slice(1, -1) : address;
}

function digestSources(reader: FieldReader, file: string): DigestMirrorSource[] {
  const digest = reader.mirrorSources('$.imageDigestSources');
  const content = reader.mirrorSources('$.imageContentSources');
  if (digest.length > 0 && content.length > 0) {
    throw new BuildIsoError(
      'CONFIG_INVALID',
      `${file}: both imageDigestSources and imageContentSources are set; keep only imageDigestSources (imageContentSources is deprecated).`,
    );
  }
  return digest.length > 0 ? digest : content;
}

/**
 * installer `RetrieveRendezvousIP` (pkg/asset/agent/image/ignition.go) and `GetNodeZeroIP`
 * (pkg/asset/agent/manifests/nmstateconfig.go at dbbe36d8): agent-config `rendezvousIP`, else
 * the first IP of the hosts with role master (or arbiter), then of the hosts without a role.
 */
function rendezvousIP(
  agent: FieldReader,
  hosts: AgentHost[],
  file: string,
): { address: string; source: string } {
  const written = agent.optionalString('$.rendezvousIP');
  let address = written === undefined || written === '' ? undefined : written;
  let source = `${file} rendezvousIP`;
  if (address === undefined) {
    const candidates = [
      ...hosts.filter((host) => host.role === 'master' || host.role === 'arbiter'),
      ...hosts.filter((host) => host.role === ''),
    ];
    for (const host of candidates) {
      const ip = firstIP(host.networkConfig);
      if (ip === undefined) continue;
      address = ip;
      source = `${file} hosts.${host.index}${host.hostname === undefined ? '' : ` (${host.hostname})`} networkConfig`;
      break;
    }
    if (address === undefined)
      throw new BuildIsoError(
        'CONFIG_INVALID',
        `${file}: missing rendezvousIP in agent-config, at least one host networkConfig, or at least one NMStateConfig manifest; set rendezvousIP to node0's address or give a control-plane host a static networkConfig.`,
        { path: file, jsonPath: '$.rendezvousIP' },
      );
  }
  if (isIP(address) === 0)
    throw new BuildIsoError(
      'CONFIG_INVALID',
      `${file}: invalid rendezvous IP: ${address} (from ${source}); write node0's IPv4 or IPv6 address.`,
      { path: file, jsonPath: '$.rendezvousIP' },
    );
  return { address: canonicalIP(address), source };
}

/** Read the cluster facts from the texts of install-config.yaml and agent-config.yaml. */
export function readClusterConfig(
  installConfig: { text: string; file: string },
  agentConfig: { text: string; file: string },
): ClusterConfig {
  const install = new FieldReader(
    installConfig.file,
    parseYaml11(installConfig.text, installConfig.file),
  );
  const agent = new FieldReader(agentConfig.file, parseYaml11(agentConfig.text, agentConfig.file));
  const controlPlaneReplicas = install.count(
    install.get('$.controlPlane.replicas'),
    '$.controlPlane.replicas',
    3,
  );
  const compute = computeReplicas(install);
  const platform = platformOf(install, installConfig.file);
  const networkType = networkTypeOf(install);
  const arbiter = install.get('$.arbiter.replicas');
  if (typeof arbiter === 'number' && arbiter > 0)
    throw new BuildIsoError(
      'TOPOLOGY_UNSUPPORTED',
      `${installConfig.file}: arbiter.replicas ${arbiter}: openshift-install accepts an arbiter (two control planes and an arbiter host, HighlyAvailableArbiter), but hostmirror's boot sequence has no arbiter role yet; use 3 control-plane hosts.`,
      { path: installConfig.file, jsonPath: '$.arbiter.replicas' },
    );
  checkControlPlane(install, controlPlaneReplicas, installConfig.file);
  checkSingleNode(controlPlaneReplicas, compute, platform, networkType, installConfig.file);
  const hosts = agentHosts(agent);
  checkHostCount(hosts, controlPlaneReplicas, compute, agentConfig.file);
  const hostnames = hosts
    .map((host) => host.hostname)
    .filter((name): name is string => name !== undefined);
  const rendezvous = rendezvousIP(agent, hosts, agentConfig.file);
  const fips = install.get('$.fips');
  return {
    clusterName: install.string('$.metadata.name', 'name the cluster under metadata.name'),
    baseDomain: install.string('$.baseDomain', 'set the base DNS domain'),
    controlPlaneReplicas,
    computeReplicas: compute,
    topology: topologyOf(controlPlaneReplicas, compute),
    platform,
    networkType,
    rendezvousIP: rendezvous.address,
    rendezvousIPSource: rendezvous.source,
    hostnames,
    hosts: clusterHosts(agent),
    imageDigestSources: digestSources(install, installConfig.file),
    additionalTrustBundle: install.optionalString('$.additionalTrustBundle'),
    fips: fips === true,
    architecture: install.optionalString('$.controlPlane.architecture') ?? DEFAULT_ARCHITECTURE,
  };
}

/**
 * The control-plane sizes the openshift-install of a release accepts for the agent workflow:
 * 1 or 3 until 4.17 (validateControlPlaneConfiguration since openshift/installer#8082,
 * OCPBUGS-25462, 4.16 and 4.15.z), 4 and 5 from 4.18 (openshift/installer#9154, AGENT-990), a
 * two-node cluster with fencing from 4.21 (openshift/installer#9946, OCPEDGE-1517). Versions
 * this table does not know are judged as the newest.
 */
export function controlPlaneSizesFor(openshiftVersion: string): number[] {
  const minor = /^4\.(\d+)(?:\.|$|-)/.exec(openshiftVersion.trim())?.[1];
  if (minor === undefined) return [1, 2, 3, 4, 5];
  const n = Number(minor);
  if (n < 18) return [1, 3];
  if (n < 21) return [1, 3, 4, 5];
  return [1, 2, 3, 4, 5];
}

/** Refuse a control-plane size the release's own openshift-install refuses, naming both. */
export function checkClusterForRelease(
  cluster: ClusterConfig,
  openshiftVersion: string | undefined,
  file: string,
): void {
  if (openshiftVersion === undefined) return;
  const sizes = controlPlaneSizesFor(openshiftVersion);
  if (sizes.includes(cluster.controlPlaneReplicas)) return;
  throw new BuildIsoError(
    'CONFIG_INVALID',
    `${file}: controlPlane.replicas ${cluster.controlPlaneReplicas} is not accepted by the openshift-install of release ${openshiftVersion}, which takes ${sizes.join(', ')} (4 and 5 from 4.18, two nodes with fencing from 4.21); mirror a newer release or change the replicas.`,
    { path: file, jsonPath: '$.controlPlane.replicas', subject: openshiftVersion },
  );
}
