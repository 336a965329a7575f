import { MirrorFormatError } from './errors.ts';

/**
 * A container image reference, normalised the way containers/image's docker transport does it
 * (distribution/reference `ParseNormalizedNamed`, then `TagNameOnly`):
 * - a first component is a registry host when it holds `.` or `:`, is `localhost`, or has an
 *   upper-case letter (paths are lower-case only, so `Example/app` names a host); otherwise the
 *   image is on `docker.io`, and a single-component name gets `library/` in front;
 * - `index.docker.io` is spelled `docker.io`;
 * - a reference with neither tag nor digest gets the tag `latest`.
 * This is the one parser of the package: the registries.conf writer and validator, the pull
 * source resolver and the preflight check all use it.
 */
export interface ImageReference {
  /** `host/path`, what c/image's `reference.Named.Name()` returns. */
  name: string;
  /** `host[:port]`, for example `quay.io` or `localhost:5000`. */
  domain: string;
  /** The repository path under the host, for example `openshift-release-dev/ocp-release`. */
  path: string;
  tag: string | undefined;
  /** `algorithm:hex`, for example `sha256:e950…`. */
  digest: string | undefined;
}

/** docker.io spellings, from distribution/reference normalize.go. */
const DEFAULT_REGISTRY = 'docker.io';
const LEGACY_DEFAULT_REGISTRY = 'index.docker.io';
const OFFICIAL_REPOSITORY_NAMESPACE = 'library';
/** Added by containers/image's docker transport to a reference with neither tag nor digest. */
export const DEFAULT_TAG = 'latest';
/** distribution/reference: the whole name may not exceed 255 characters. */
const NAME_TOTAL_LENGTH_MAX = 255;

// Grammar from distribution/reference regexp.go.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const IPV6_ADDRESS = '\\[(?:[a-fA-F0-9:.]+)\\]';
const DOMAIN_NAME = `${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*`;
const DOMAIN = `(?:${DOMAIN_NAME}|${IPV6_ADDRESS})(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*';
const DOMAIN_PATTERN = new RegExp(`^${DOMAIN}$`);
const PATH_PATTERN = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG_PATTERN = /^[\w][\w.-]{0,127}$/;
const DIGEST_PATTERN = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
/** The only algorithm OCI registries serve in practice; its hex is exactly 64 characters. */
const SHA256_DIGEST_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** `host[:port]` (or `[v6]:port`) as distribution/reference accepts it. */
export function isValidHost(host: string): boolean {
  return DOMAIN_PATTERN.test(host);
}

/** Lower-case path components separated by `/`. */
export function isValidRepositoryPath(path: string): boolean {
  return PATH_PATTERN.test(path);
}

function badReference(text: string, why: string): MirrorFormatError {
  return new MirrorFormatError(
    'BAD_IMAGE_REFERENCE',
    `Image reference ${JSON.stringify(text)} is not valid: ${why}. Expected [host[:port]/]path[:tag][@sha256:<64 hex>].`,
    { path: text },
  );
}

/** Split `host/path` as distribution/reference's splitDockerDomain does. */
function splitDomain(name: string): { domain: string; path: string } {
  const slash = name.indexOf('/');
  const first = slash === -1 ? '' : name.slice(0, slash);
  const firstIsHost =
    slash !== -1 &&
    (first.includes('.') ||
      first.includes(':') ||
      first === 'localhost' ||
      first.toLowerCase() !== first);
  let domain = firstIsHost ? first : DEFAULT_REGISTRY;
  let path = firstIsHost ? name.slice(slash + 1) : name;
  if (domain === LEGACY_DEFAULT_REGISTRY) domain = DEFAULT_REGISTRY;
  if (domain === DEFAULT_REGISTRY && !path.includes('/'))
    path = `${OFFICIAL_REPOSITORY_NAMESPACE}/${path}`;
  return { domain, path };
}

/** Parse and normalise `text`; throws `BAD_IMAGE_REFERENCE` naming the reference and the rule. */
export function parseImageReference(text: string): ImageReference {
  let rest = text.trim();
  if (rest === '') throw badReference(text, 'it is empty');
  if (rest.includes('://'))
    throw badReference(text, 'write it without a transport or scheme (no "docker://")');
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST_PATTERN.test(digest))
      throw badReference(text, `the digest ${JSON.stringify(digest)} is not algorithm:hex`);
  }
  let tag: string | undefined;
  const lastColon = rest.lastIndexOf(':');
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1);
    rest = rest.slice(0, lastColon);
    if (!TAG_PATTERN.test(tag))
      throw badReference(
        text,
        `the tag ${JSON.stringify(tag)} must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`,
      );
  }
  const { domain, path } = splitDomain(rest);
  if (!isValidHost(domain))
    throw badReference(text, `the host ${JSON.stringify(domain)} is not host[:port]`);
  if (!isValidRepositoryPath(path))
    throw badReference(
      text,
      `the repository ${JSON.stringify(path)} must be lower-case components separated by "/"`,
    );
  const name = `${domain}/${path}`;
  if (name.length > NAME_TOTAL_LENGTH_MAX)
    throw badReference(text, `the name is longer than ${NAME_TOTAL_LENGTH_MAX} characters`);
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return { name, domain, path, tag, digest };
}

/** `host/path`: what containers/image's `reference.Named.Name()` returns. */
export function referenceName(reference: Pick<ImageReference, 'domain' | 'path'>): string {
  return `${reference.domain}/${reference.path}`;
}

/** `host/path[:tag][@digest]`: what `reference.Named.String()` returns. */
export function formatImageReference(reference: ImageReference): string {
  const tag = reference.tag === undefined ? '' : `:${reference.tag}`;
  const digest = reference.digest === undefined ? '' : `@${reference.digest}`;
  return `${referenceName(reference)}${tag}${digest}`;
}

/** True for a `sha256:` digest with 64 lower-case hex characters. */
export function isSha256Digest(value: string): boolean {
  return SHA256_DIGEST_PATTERN.test(value);
}
