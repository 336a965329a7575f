import type { MirrorArchive, ReleaseRecord } from './archive-index.ts';
import { MirrorFormatError } from './errors.ts';
import { type ImageReference, parseImageReference } from './image-reference.ts';
import { readYamlAll } from './yaml-input.ts';

/**
 * What an oc-mirror v2 archive records about its own content, besides the registry tree:
 * the ImageSetConfiguration it ran (the top-level `isc_<RFC3339 time>` member, one per run, so
 * a base archive and its differential runs each bring theirs) and the release component lists
 * under `working-dir/hold-release/` (openshift/oc-mirror `internal/pkg/archive/archive.go`
 * BuildArchive steps 4 and 5, commit 855b64a3c9c03634bcab6210b641274772050cda). These are the
 * only places the source of a repository can be read from: the repositories themselves are
 * named by oc-mirror's cache paths, which drop the source registry.
 */

/** `mirror.additionalImages[]` (oc-mirror `internal/pkg/api/v2alpha1/type_config.go` AdditionalImage). */
export interface RecordedImage {
  name: string;
  targetRepo: string | undefined;
  targetTag: string | undefined;
}

/** `mirror.operators[]`: the catalog and its optional target (type_config.go Operator). */
export interface RecordedCatalog {
  catalog: string;
  targetCatalog: string | undefined;
  targetTag: string | undefined;
}

export interface RecordedImageSetConfig {
  /** `<chunk>:<member>`, or the file it was read from. */
  origin: string;
  apiVersion: string;
  /** `mirror.platform.release`: a release pull spec mirrored as such. */
  platformRelease: string | undefined;
  /** `mirror.platform.channels[].type` (`ocp` when unset, as oc-mirror defaults it). */
  channelTypes: string[];
  additionalImages: RecordedImage[];
  blockedImages: string[];
  operators: RecordedCatalog[];
  /** Said while reading (a multi-document file, for example). */
  notes: string[];
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function list(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.map(record) : [];
}

/**
 * Parse an ImageSetConfiguration. oc-mirror reads one YAML document per file
 * (sigs.k8s.io/yaml, which stops at the first `---` document); a file with more documents is
 * refused with `multiDocument: 'refuse'` (files a user hands us) or read as oc-mirror read it —
 * the first ImageSetConfiguration — with a note naming the others (`'first'`, for the copy
 * oc-mirror put in its archive: that is the configuration it ran).
 */
export function parseRecordedImageSetConfig(
  source: string,
  origin: string,
  options: { multiDocument: 'refuse' | 'first' } = { multiDocument: 'refuse' },
): RecordedImageSetConfig {
  // The one YAML reader (yaml-input.ts): YAML 1.1, aliases refused, errors with line and column.
  const values = readYamlAll(source, { path: origin, aliases: 'refuse' }).filter(
    (value) => value !== null && value !== undefined,
  );
  const kinds = values.map((value) => text(record(value).kind) ?? '(no kind)');
  const index = kinds.indexOf('ImageSetConfiguration');
  if (index === -1)
    throw new MirrorFormatError(
      'BAD_IMAGE_SET_CONFIG',
      `${origin} holds no ImageSetConfiguration (${values.length} document(s): ${kinds.join(', ') || 'none'}); give the file oc-mirror ran with \`-c\`.`,
      { path: origin },
    );
  const notes: string[] = [];
  if (values.length > 1) {
    const message = `${origin} holds ${values.length} YAML documents (${kinds.join(', ')}); oc-mirror reads only one ImageSetConfiguration per file`;
    if (options.multiDocument === 'refuse')
      throw new MirrorFormatError(
        'BAD_IMAGE_SET_CONFIG',
        `${message}. Keep one ImageSetConfiguration in the file (split the others into their own files, one oc-mirror run each).`,
        { path: origin },
      );
    notes.push(`${message}: document ${index + 1} was read, the others ignored, as oc-mirror did.`);
  }
  const root = record(values[index]);
  const mirror = record(root.mirror);
  const platform = record(mirror.platform);
  return {
    origin,
    apiVersion: text(root.apiVersion) ?? '',
    platformRelease: text(platform.release),
    channelTypes: list(platform.channels).map((channel) => text(channel.type) ?? 'ocp'),
    additionalImages: list(mirror.additionalImages)
      .filter((image) => text(image.name) !== undefined)
      .map((image) => ({
        name: text(image.name) as string,
        targetRepo: text(image.targetRepo),
        targetTag: text(image.targetTag),
      })),
    blockedImages: list(mirror.blockedImages)
      .map((image) => text(image.name))
      .filter((name): name is string => name !== undefined),
    operators: list(mirror.operators)
      .filter((operator) => text(operator.catalog) !== undefined)
      .map((operator) => ({
        catalog: text(operator.catalog) as string,
        targetCatalog: text(operator.targetCatalog),
        targetTag: text(operator.targetTag),
      })),
    notes,
  };
}

/** Every `isc_*` copy in the archive, parsed as oc-mirror read it; unreadable ones are noted. */
export async function readRecordedImageSetConfigs(
  archive: Pick<MirrorArchive, 'imageSetConfigCopies' | 'readImageSetConfigCopy'>,
): Promise<{ configs: RecordedImageSetConfig[]; notes: string[] }> {
  const configs: RecordedImageSetConfig[] = [];
  const notes: string[] = [];
  for (const copy of archive.imageSetConfigCopies()) {
    const origin = `${copy.range.chunk}:${copy.name}`;
    try {
      const config = parseRecordedImageSetConfig(
        await archive.readImageSetConfigCopy(copy),
        origin,
        { multiDocument: 'first' },
      );
      configs.push(config);
      notes.push(...config.notes);
    } catch (error) {
      if (!(error instanceof MirrorFormatError)) throw error;
      notes.push(`${error.message} It was not used as a record of the archive's sources.`);
    }
  }
  return { configs, notes };
}

/** One component of a release record: its name in the payload and its source pull spec. */
export interface RecordedComponent {
  name: string;
  reference: ImageReference;
}

/**
 * The components of a `hold-release` record's `image-references` (an ImageStream,
 * image.openshift.io/v1: `spec.tags[].name` and `.from.name`, as openshift/oc
 * `pkg/cli/admin/release` writes it).
 */
export async function readReleaseRecordComponents(
  archive: Pick<MirrorArchive, 'readReleaseRecord'>,
  release: ReleaseRecord,
): Promise<RecordedComponent[]> {
  const where = `${release.member} in ${release.range.chunk}`;
  let stream: unknown;
  try {
    stream = JSON.parse(await archive.readReleaseRecord(release));
  } catch (error) {
    if (error instanceof MirrorFormatError) throw error;
    throw new MirrorFormatError(
      'BAD_RELEASE_INFO',
      `${where} is not JSON (${(error as Error).message}); the archive's working-dir is damaged — mirror the release again.`,
      { path: release.range.chunk, offset: release.range.offset },
    );
  }
  const components: RecordedComponent[] = [];
  for (const [index, tag] of list(record(record(stream).spec).tags).entries()) {
    const name = text(tag.name);
    const from = text(record(tag.from).name);
    if (name === undefined || from === undefined)
      throw new MirrorFormatError(
        'BAD_RELEASE_INFO',
        `${where}: spec.tags[${index}] has no name or from.name; the archive's working-dir is damaged — mirror the release again.`,
        { path: release.range.chunk, offset: release.range.offset },
      );
    try {
      components.push({ name, reference: parseImageReference(from) });
    } catch (error) {
      throw new MirrorFormatError(
        'BAD_RELEASE_INFO',
        `${where}: spec.tags[${index}].from.name ${JSON.stringify(from)} is not a pull spec (${(error as Error).message}).`,
        { path: release.range.chunk, offset: release.range.offset },
      );
    }
  }
  return components;
}

/** One release payload a recorded Cincinnati graph names. */
export interface RecordedPayload {
  /** The node's `payload`, parsed (`quay.io/openshift/okd@sha256:…`). */
  reference: ImageReference;
  /** The node's `version`. */
  version: string;
  /** `<chunk>:<member>` of the graph. */
  record: string;
}

/** A graph with more nodes than this is not a Cincinnati channel graph (a few hundred in practice). */
export const MAX_GRAPH_NODES = 100_000;

/**
 * Every payload pinned by digest in the Cincinnati graphs oc-mirror kept
 * (`working-dir/hold-release/cincinnati-graph-data/<arch>-<channel>.json`; Cincinnati's graph
 * JSON: `nodes[].version`, `nodes[].payload`, as openshift/oc-mirror `internal/pkg/cincinnati`
 * LoadGraphData reads it at commit 855b64a3). Disk-to-mirror reads its release pull specs from
 * these files, so they say where a release image came from, OCP or OKD alike. A graph that is not
 * JSON, or too large, is a typed `BAD_RELEASE_INFO`; a node whose payload is not a pull spec by
 * digest is skipped (Cincinnati always pins payloads by digest).
 */
export async function readReleaseGraphPayloads(
  archive: Pick<MirrorArchive, 'releaseGraphs' | 'readReleaseGraph'>,
): Promise<RecordedPayload[]> {
  const payloads: RecordedPayload[] = [];
  for (const graph of archive.releaseGraphs()) {
    const origin = `${graph.range.chunk}:${graph.member}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(await archive.readReleaseGraph(graph));
    } catch (error) {
      if (error instanceof MirrorFormatError) throw error;
      throw new MirrorFormatError(
        'BAD_RELEASE_INFO',
        `${graph.member} in ${graph.range.chunk} is not JSON (${(error as Error).message}); the archive's working-dir is damaged — mirror the release again.`,
        { path: graph.range.chunk, offset: graph.range.offset },
      );
    }
    const nodes = record(parsed).nodes;
    if (!Array.isArray(nodes))
      throw new MirrorFormatError(
        'BAD_RELEASE_INFO',
        `${graph.member} in ${graph.range.chunk} has no nodes list, so it is not a Cincinnati graph; the archive's working-dir is damaged — mirror the release again.`,
        { path: graph.range.chunk, offset: graph.range.offset },
      );
    if (nodes.length > MAX_GRAPH_NODES)
      throw new MirrorFormatError(
        'BAD_RELEASE_INFO',
        `${graph.member} in ${graph.range.chunk} has ${nodes.length} nodes, more than the ${MAX_GRAPH_NODES} any Cincinnati channel graph has; the archive's working-dir is damaged — mirror the release again.`,
        { path: graph.range.chunk, offset: graph.range.offset },
      );
    for (const node of nodes.map(record)) {
      const payload = text(node.payload);
      if (payload === undefined || payload.length > 4096) continue;
      let reference: ImageReference;
      try {
        reference = parseImageReference(payload);
      } catch {
        continue;
      }
      if (reference.digest === undefined) continue;
      payloads.push({ reference, version: text(node.version) ?? '', record: origin });
    }
  }
  return payloads;
}
