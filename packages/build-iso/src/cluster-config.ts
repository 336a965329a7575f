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
  controlPlaneReplicas: number;
  computeReplicas: number;
  topology: Topology;
  /** The address of node0, which runs the assisted service (agent-config `rendezvousIP`). */
  rendezvousIP: string;
  /** Host names from agent-config `hosts[].hostname`, when given. */
  hostnames: string[];
  /** install-config `imageDigestSources` (or the deprecated `imageContentSources`). */
  imageDigestSources: DigestMirrorSource[];
  additionalTrustBundle?: string;
  fips: boolean;
  /** install-config `controlPlane.architecture` (openshift-install's default: amd64). */
  architecture: string;
}

type YamlValue = unknown;

/** openshift-install's default architecture (types/installconfig `defaultArchitecture`). */
export const DEFAULT_ARCHITECTURE = 'amd64';

/**
 * Parse YAML 1.1 text as openshift-install reads install-config/agent-config; a syntax error
 * or an alias (refused: oc-mirror-archive yaml-input.ts) names the file, line and column.
 */
export function parseYaml11(text: string, file: string): YamlValue {
  try {
    return readYaml(text, { path: file, aliases: 'refuse' });
  } catch (error) {
    if (!(error instanceof MirrorFormatError)) throw error;
    throw new BuildIsoError('CONFIG_PARSE', error.message, {
      path: error.path,
      line: error.line,
      column: error.column,
      subject: error.subject,
      fix: error.fix,
      cause: error,
    });
  }
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
    throw new BuildIsoError('CONFIG_INVALID', `${this.file}: ${path} ${problem}; ${fix}.`);
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

function topologyOf(controlPlane: number, compute: number, file: string): Topology {
  if (controlPlane === 1 && compute === 0) return 'sno';
  if (controlPlane === 3 && compute === 0) return 'compact';
  if (controlPlane === 3 && compute > 0) return 'ha';
  throw new BuildIsoError(
    'TOPOLOGY_UNSUPPORTED',
    `${file}: controlPlane.replicas ${controlPlane} with ${compute} compute replicas is not a topology hostmirror supports; use 1 control plane and 0 workers (SNO), 3 and 0 (compact) or 3 and at least 1 (HA).`,
  );
}

function computeReplicas(reader: FieldReader): number {
  return reader
    .list('$.compute')
    .reduce<number>(
      (sum, pool, index) =>
        sum +
        reader.count(isRecord(pool) ? pool.replicas : undefined, `$.compute.${index}.replicas`, 3),
      0,
    );
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

function rendezvousIP(agent: FieldReader, file: string): string {
  const address = agent.string(
    '$.rendezvousIP',
    'set rendezvousIP to the address of the host that will be node0',
  );
  if (isIP(address) === 0) {
    throw new BuildIsoError(
      'CONFIG_INVALID',
      `${file}: $.rendezvousIP ${JSON.stringify(address)} is not an IP address; write node0's IPv4 or IPv6 address.`,
    );
  }
  return address;
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
  const hostnames = agent
    .list('$.hosts')
    .map((host) =>
      isRecord(host) && typeof host.hostname === 'string' ? host.hostname : undefined,
    )
    .filter((name): name is string => name !== undefined);
  const fips = install.get('$.fips');
  return {
    clusterName: install.string('$.metadata.name', 'name the cluster under metadata.name'),
    baseDomain: install.string('$.baseDomain', 'set the base DNS domain'),
    controlPlaneReplicas,
    computeReplicas: compute,
    topology: topologyOf(controlPlaneReplicas, compute, installConfig.file),
    rendezvousIP: rendezvousIP(agent, agentConfig.file),
    hostnames,
    imageDigestSources: digestSources(install, installConfig.file),
    additionalTrustBundle: install.optionalString('$.additionalTrustBundle'),
    fips: fips === true,
    architecture: install.optionalString('$.controlPlane.architecture') ?? DEFAULT_ARCHITECTURE,
  };
}
