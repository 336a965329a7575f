import {
  type ImageReference,
  isSha256Digest,
  parseImageReference,
} from '@hostmirror/oc-mirror-archive';
import { MirrorCheckError } from './errors.ts';

/**
 * The two files of an OpenShift release payload that name what the cluster will pull
 * (openshift/oc `pkg/cli/admin/release`, CVO payload layout): both sit in the image's last
 * layer under `release-manifests/`.
 */
export const IMAGE_REFERENCES_PATH = 'release-manifests/image-references';
export const RELEASE_METADATA_PATH = 'release-manifests/release-metadata';
/** image-references is an ImageStream (image.openshift.io/v1). */
const IMAGE_STREAM_KIND = 'ImageStream';
/** `from.kind` of every component tag. */
const DOCKER_IMAGE_KIND = 'DockerImage';
/** release-metadata's `metadata` key that marks a heterogeneous (multi-arch) payload. */
const RELEASE_ARCHITECTURE_ANNOTATION = 'release.openshift.io/architecture';

export interface ReleasePayloadComponent {
  /** The tag name in image-references, for example `etcd`. */
  name: string;
  /** The component's pull spec as written, for example `quay.io/…/ocp-v4.0-art-dev@sha256:…`. */
  reference: string;
  parsed: ImageReference;
}

export interface ReleaseMetadata {
  version: string | undefined;
  /** `multi` for a heterogeneous payload; otherwise unset. */
  architecture: string | undefined;
  previous: string[];
}

export interface ReleasePayload {
  /** `metadata.name` of the ImageStream: the release version. */
  name: string;
  components: ReleasePayloadComponent[];
  metadata: ReleaseMetadata | undefined;
}

/** Line and column of a character offset, for JSON syntax errors. */
function lineAndColumn(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

function parseJson(
  text: string,
  where: string,
  code: 'IMAGE_REFERENCES_INVALID' | 'RELEASE_METADATA_INVALID',
): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message);
    // V8 gives "at position N" for a bad token and no position when the text just stops.
    const offset = position
      ? Number(position[1])
      : /end of JSON input/.test(message)
        ? text.length
        : undefined;
    const place = offset === undefined ? '' : ` at ${lineAndColumn(text, offset)}`;
    throw new MirrorCheckError(code, `${where} is not valid JSON${place}: ${message}`, {
      subject: where,
    });
  }
}

function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function invalidReferences(where: string, path: string, problem: string): MirrorCheckError {
  return new MirrorCheckError('IMAGE_REFERENCES_INVALID', `${where}: ${path} ${problem}`, {
    subject: `${where}#${path}`,
  });
}

/**
 * Parse `release-manifests/image-references`. `where` names the file (with its layer) in errors;
 * a JSON syntax error gives the line and column, a wrong shape the JSON path
 * (`$.spec.tags[3].from.name`). Components must be pinned by sha256 digest, as release payloads are.
 */
export function parseImageReferences(
  text: string,
  where: string,
): Omit<ReleasePayload, 'metadata'> {
  const root = record(parseJson(text, where, 'IMAGE_REFERENCES_INVALID'));
  if (root === undefined) throw invalidReferences(where, '$', 'is not a JSON object.');
  if (root.kind !== IMAGE_STREAM_KIND)
    throw invalidReferences(
      where,
      '$.kind',
      `is ${JSON.stringify(root.kind)}; expected "${IMAGE_STREAM_KIND}".`,
    );
  const name = record(root.metadata)?.name;
  const tags = record(root.spec)?.tags;
  if (!Array.isArray(tags)) throw invalidReferences(where, '$.spec.tags', 'is not an array.');
  const components = tags.map((raw, index): ReleasePayloadComponent => {
    const path = `$.spec.tags[${index}]`;
    const tag = record(raw);
    if (tag === undefined || typeof tag.name !== 'string' || tag.name === '')
      throw invalidReferences(where, `${path}.name`, 'is not a non-empty string.');
    const from = record(tag.from);
    if (from?.kind !== DOCKER_IMAGE_KIND || typeof from.name !== 'string')
      throw invalidReferences(
        where,
        `${path}.from`,
        `of ${tag.name} must be {"kind": "${DOCKER_IMAGE_KIND}", "name": "<pull spec>"}.`,
      );
    let parsed: ImageReference;
    try {
      parsed = parseImageReference(from.name);
    } catch (error) {
      throw invalidReferences(where, `${path}.from.name`, (error as Error).message);
    }
    if (parsed.digest === undefined || !isSha256Digest(parsed.digest))
      throw invalidReferences(
        where,
        `${path}.from.name`,
        `${JSON.stringify(from.name)} of ${tag.name} is not pinned by a sha256 digest.`,
      );
    return { name: tag.name, reference: from.name, parsed };
  });
  return { name: typeof name === 'string' ? name : '', components };
}

/** Parse `release-manifests/release-metadata` (cincinnati-metadata-v0). */
export function parseReleaseMetadata(text: string, where: string): ReleaseMetadata {
  const root = record(parseJson(text, where, 'RELEASE_METADATA_INVALID'));
  if (root === undefined)
    throw new MirrorCheckError('RELEASE_METADATA_INVALID', `${where}: $ is not a JSON object.`, {
      subject: where,
    });
  const metadata = record(root.metadata) ?? {};
  const architecture = metadata[RELEASE_ARCHITECTURE_ANNOTATION];
  return {
    version: typeof root.version === 'string' ? root.version : undefined,
    architecture: typeof architecture === 'string' ? architecture : undefined,
    previous: Array.isArray(root.previous)
      ? root.previous.filter((item): item is string => typeof item === 'string')
      : [],
  };
}
