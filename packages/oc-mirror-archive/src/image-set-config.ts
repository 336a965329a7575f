import { stringify } from 'yaml';
import { MirrorFormatError } from './errors.ts';
import { parseImageReference } from './image-reference.ts';

/**
 * oc-mirror's ImageSetConfiguration (docs/mirror.md#image-set-config: oc-mirror `v2/internal/pkg/api/v2alpha1`
 * and `pkg/api/v1alpha2`). v2alpha1 is the default; v1alpha2 adds the metadata backend
 * (`storageConfig`) it requires. A release is pinned with channel min = max version; there
 * is no by-digest field for platform content.
 */

export const IMAGE_SET_API_VERSIONS = [
  'mirror.openshift.io/v2alpha1',
  'mirror.openshift.io/v1alpha2',
] as const;
export type ImageSetApiVersion = (typeof IMAGE_SET_API_VERSIONS)[number];
const IMAGE_SET_KIND = 'ImageSetConfiguration';

/** ISC architecture names; pull-spec suffixes use `x86_64`/`aarch64`, which are accepted too. */
const ISC_ARCHITECTURES = ['amd64', 'arm64', 'ppc64le', 's390x', 'multi'] as const;
const architectureAliases: Record<string, string> = { x86_64: 'amd64', aarch64: 'arm64' };

/**
 * Release components the bootstrap needs: the allow-list of the host-based mirror proof of
 * concept (dev-scripts `agent/node_registry.sh`, docs/installer.md#host-based-mirror-proof-of-concept). Every other component is
 * blocked by `--bootstrap-only`.
 */
export const BOOTSTRAP_COMPONENTS = [
  'agent-installer-api-server',
  'agent-installer-node-agent',
  'agent-installer-orchestrator',
  'baremetal-installer',
  'baremetal-runtimecfg',
  'cloud-credential-operator',
  'cluster-bootstrap',
  'cluster-config-operator',
  'cluster-etcd-operator',
  'cluster-ingress-operator',
  'cluster-kube-apiserver-operator',
  'cluster-kube-controller-manager-operator',
  'cluster-kube-scheduler-operator',
  'cluster-policy-controller',
  'coredns',
  'etcd',
  'hyperkube',
  'installer',
  'keepalived-ipfailover',
  'machine-config-operator',
  'must-gather',
  'pod',
] as const;

/**
 * "A tarfile containing all of the container images for a release is on the order of 18GB"
 * (openshift/enhancements host-based-mirror.md, docs/installer.md#host-based-mirror-proof-of-concept). Used when no archive
 * gives real sizes.
 */
export const NOMINAL_RELEASE_BYTES = 18e9;

export interface OperatorSelection {
  catalog: string;
  packages: { name: string; channels?: string[] }[];
}

/** A release component as `oc adm release info -o json` lists it (`references.spec.tags[]`). */
export interface ReleaseComponent {
  name: string;
  image: string;
}

export interface ImageSetConfigOptions {
  apiVersion?: ImageSetApiVersion;
  /**
   * An exact release: a version, `4.14.3` (channel `stable-4.14` pinned with min = max), or a
   * release pull spec, `quay.io/openshift-release-dev/ocp-release@sha256:…` (or `:tag`),
   * written as v2alpha1 `mirror.platform.release`.
   */
  release?: string;
  /** Or a channel and a range (both bounds optional: without them only the channel head). */
  channel?: string;
  minVersion?: string;
  maxVersion?: string;
  /** `ocp` (default) or `okd`. */
  channelType?: 'ocp' | 'okd';
  architectures?: string[];
  operators?: OperatorSelection[];
  additionalImages?: string[];
  blockedImages?: string[];
  /** Chunk size in GiB (`archiveSize`). */
  archiveSize?: number;
  /** v1alpha2 only: the local metadata path (`storageConfig.local.path`, default ./metadata). */
  metadataPath?: string;
  /** Block every release component but the bootstrap's (needs `releaseComponents`). */
  bootstrapOnly?: boolean;
  releaseComponents?: ReleaseComponent[];
}

export interface SizeEstimate {
  bytes: number;
  components: number | undefined;
  basis: string;
}

export interface ImageSetConfig {
  document: Record<string, unknown>;
  yaml: string;
  /** What the user must know about this configuration (what a bootstrap-only archive cannot do). */
  notes: string[];
  /** For `bootstrapOnly`: the estimated size of the full release and of this variant. */
  estimate: { full: SizeEstimate; bootstrapOnly: SizeEstimate } | undefined;
}

const releasePattern = /^(\d+)\.(\d+)\.(\d+)(?:-[0-9A-Za-z.-]+)?$/;

function bad(message: string): MirrorFormatError {
  return new MirrorFormatError('BAD_IMAGE_SET_OPTIONS', message);
}

/**
 * A release pull spec for v2alpha1 `mirror.platform.release`: oc-mirror mirrors exactly that
 * release, by tag or digest, with its signature (openshift/oc-mirror
 * `internal/pkg/release/cincinnati.go` GetReleaseReferenceImages, OCPBUGS-50617;
 * `internal/pkg/api/v2alpha1/type_config.go` Platform.Release; commit 855b64a3).
 */
function releasePullSpec(options: ImageSetConfigOptions): string | undefined {
  const { release } = options;
  if (release === undefined || !(release.includes('/') || release.includes('@'))) return undefined;
  let parsed: ReturnType<typeof parseImageReference>;
  try {
    parsed = parseImageReference(release);
  } catch (error) {
    throw bad(
      `--release ${JSON.stringify(release)} is neither a version like 4.14.3 nor a pull spec (${(error as Error).message}); write quay.io/openshift-release-dev/ocp-release@sha256:<64 hex>.`,
    );
  }
  if (options.apiVersion === 'mirror.openshift.io/v1alpha2')
    throw bad(
      `A release pull spec (${release}) needs mirror.platform.release, which only v2alpha1 has; use --api v2alpha1 or give the version (4.14.3).`,
    );
  if (
    options.channel !== undefined ||
    options.minVersion !== undefined ||
    options.maxVersion !== undefined
  )
    throw bad('Give either a release pull spec or a channel and range, not both.');
  return parsed.digest === undefined ? release : `${parsed.name}@${parsed.digest}`;
}

function platformChannel(options: ImageSetConfigOptions): Record<string, unknown> {
  const type = options.channelType ?? 'ocp';
  if (options.release !== undefined) {
    const match = releasePattern.exec(options.release);
    if (!match)
      throw bad(`Release ${JSON.stringify(options.release)} is not a version like 4.14.3.`);
    if (options.minVersion !== undefined || options.maxVersion !== undefined)
      throw bad('Give either a release or a min/max range, not both.');
    return {
      name: options.channel ?? `stable-${match[1]}.${match[2]}`,
      type,
      minVersion: options.release,
      maxVersion: options.release,
    };
  }
  if (options.channel === undefined)
    throw bad('Give a release (4.14.3) or a channel (stable-4.14).');
  for (const bound of [options.minVersion, options.maxVersion])
    if (bound !== undefined && !releasePattern.test(bound))
      throw bad(`Version ${JSON.stringify(bound)} is not a version like 4.14.3.`);
  return {
    name: options.channel,
    type,
    ...(options.minVersion === undefined ? {} : { minVersion: options.minVersion }),
    ...(options.maxVersion === undefined ? {} : { maxVersion: options.maxVersion }),
  };
}

function architectures(options: ImageSetConfigOptions): string[] {
  const list = (options.architectures ?? ['amd64']).map(
    (arch) => architectureAliases[arch] ?? arch,
  );
  for (const arch of list)
    if (!(ISC_ARCHITECTURES as readonly string[]).includes(arch))
      throw bad(
        `Architecture ${JSON.stringify(arch)} is not one of ${ISC_ARCHITECTURES.join(', ')} (x86_64 and aarch64 are accepted as amd64 and arm64).`,
      );
  return [...new Set(list)];
}

function operators(list: OperatorSelection[]): Record<string, unknown>[] {
  return list.map((operator) => ({
    catalog: operator.catalog,
    packages: operator.packages.map((pkg) => ({
      name: pkg.name,
      ...(pkg.channels && pkg.channels.length > 0
        ? { channels: pkg.channels.map((name) => ({ name })) }
        : {}),
    })),
  }));
}

/** The images `--bootstrap-only` blocks: every release component not on the bootstrap list. */
export function bootstrapBlockedImages(components: ReleaseComponent[]): string[] {
  const keep = new Set<string>(BOOTSTRAP_COMPONENTS);
  return components
    .filter((component) => !keep.has(component.name))
    .map((component) => component.image);
}

/** Read `oc adm release info -o json` output: `references.spec.tags[] {name, from.name}`. */
export function parseReleaseInfo(json: string, file = 'release info'): ReleaseComponent[] {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new MirrorFormatError(
      'BAD_RELEASE_INFO',
      `${file} is not JSON (${(error as Error).message}); give the output of \`oc adm release info -o json <release>\`.`,
      { path: file },
    );
  }
  const tags = (value as { references?: { spec?: { tags?: unknown } } })?.references?.spec?.tags;
  if (!Array.isArray(tags))
    throw new MirrorFormatError(
      'BAD_RELEASE_INFO',
      `${file} has no references.spec.tags list; give the output of \`oc adm release info -o json <release>\`.`,
      { path: file },
    );
  return tags.map((tag, index) => {
    const name = (tag as { name?: unknown }).name;
    const image = (tag as { from?: { name?: unknown } }).from?.name;
    if (typeof name !== 'string' || typeof image !== 'string')
      throw new MirrorFormatError(
        'BAD_RELEASE_INFO',
        `${file}: references.spec.tags[${index}] needs a name and from.name.`,
        { path: file },
      );
    return { name, image };
  });
}

function estimates(
  components: ReleaseComponent[],
  blocked: number,
): { full: SizeEstimate; bootstrapOnly: SizeEstimate } {
  const total = components.length;
  const kept = total - blocked;
  const basis = `nominal ${NOMINAL_RELEASE_BYTES / 1e9} GB per release spread evenly over its ${total} components (no sizes without the images); the real size needs an archive (mirror inspect)`;
  return {
    full: { bytes: NOMINAL_RELEASE_BYTES, components: total, basis },
    bootstrapOnly: {
      bytes: Math.round((NOMINAL_RELEASE_BYTES * kept) / Math.max(total, 1)),
      components: kept,
      basis,
    },
  };
}

export function buildImageSetConfig(options: ImageSetConfigOptions): ImageSetConfig {
  const apiVersion = options.apiVersion ?? 'mirror.openshift.io/v2alpha1';
  if (!(IMAGE_SET_API_VERSIONS as readonly string[]).includes(apiVersion))
    throw bad(
      `apiVersion ${JSON.stringify(apiVersion)} is not one of ${IMAGE_SET_API_VERSIONS.join(', ')}.`,
    );
  if (
    options.archiveSize !== undefined &&
    (!Number.isInteger(options.archiveSize) || options.archiveSize < 1)
  )
    throw bad(`archiveSize ${options.archiveSize} must be a whole number of GiB, at least 1.`);
  let blocked = [...(options.blockedImages ?? [])];
  let estimate: ImageSetConfig['estimate'];
  if (options.bootstrapOnly) {
    if (!options.releaseComponents || options.releaseComponents.length === 0)
      throw bad(
        '--bootstrap-only needs the release components: give `oc adm release info -o json <release>` output (--release-info FILE).',
      );
    const extra = bootstrapBlockedImages(options.releaseComponents);
    blocked = [...blocked, ...extra];
    estimate = estimates(options.releaseComponents, extra.length);
  }
  const pullSpec = releasePullSpec(options);
  const mirror: Record<string, unknown> = {
    platform: {
      architectures: architectures(options),
      ...(pullSpec === undefined
        ? { channels: [platformChannel(options)] }
        : { release: pullSpec }),
      graph: false,
    },
  };
  if (options.operators && options.operators.length > 0)
    mirror.operators = operators(options.operators);
  if (options.additionalImages && options.additionalImages.length > 0)
    mirror.additionalImages = options.additionalImages.map((name) => ({ name }));
  if (blocked.length > 0) mirror.blockedImages = [...new Set(blocked)].map((name) => ({ name }));
  const document: Record<string, unknown> = { kind: IMAGE_SET_KIND, apiVersion };
  if (options.archiveSize !== undefined) document.archiveSize = options.archiveSize;
  if (apiVersion === 'mirror.openshift.io/v1alpha2')
    document.storageConfig = { local: { path: options.metadataPath ?? './metadata' } };
  document.mirror = mirror;
  const notes =
    options.bootstrapOnly === true
      ? [
          `This bootstrap-only ImageSetConfiguration blocks ${blocked.length - (options.blockedImages?.length ?? 0)} of the release's ${options.releaseComponents?.length ?? 0} components: its archive CANNOT complete an install. It serves the bootstrap (the ${BOOTSTRAP_COMPONENTS.length} components it keeps) and hostmirror's mirror check and build-iso refuse it, because the installed cluster pulls every image-references entry. To install, mirror the whole release (the same command without --bootstrap-only) and give that archive to build-iso; a bootstrap-only archive is for measuring or staging only.`,
        ]
      : [];
  const text = stringify(document, { version: '1.1' });
  const yaml =
    notes.length === 0 ? text : `${notes.map((note) => `# ${note}`).join('\n')}\n${text}`;
  return { document, yaml, notes, estimate };
}
