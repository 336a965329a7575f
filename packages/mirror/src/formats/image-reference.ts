import { MirrorFormatError } from './errors.ts';

/**
 * Container image references as containers/image (docker/reference) reads them:
 * `[domain/]path[:tag][@digest]`. A first component with a `.` or `:`, or `localhost`, is a
 * registry host; otherwise the host is docker.io and one-component paths get `library/`.
 */
export const DEFAULT_REGISTRY = 'docker.io';
const officialNamespace = 'library';

/** docker/reference grammar: path components, tags, hosts. */
const pathComponent = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const tagPattern = /^[\w][\w.-]{0,127}$/;
const hostPattern =
  /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d+)?$/;
const digestPattern = /^[a-z0-9]+(?:[+._-][a-z0-9]+)*:[a-fA-F0-9]{32,}$/;

export interface ImageReference {
  /** `domain/path`, normalised (docker.io/library/… for short names). */
  name: string;
  domain: string;
  path: string;
  tag: string | undefined;
  digest: string | undefined;
}

function looksLikeHost(component: string): boolean {
  return component.includes('.') || component.includes(':') || component === 'localhost';
}

export function isValidHost(host: string): boolean {
  return hostPattern.test(host);
}

export function isValidRepositoryPath(path: string): boolean {
  return path.split('/').every((part) => pathComponent.test(part));
}

function bad(reference: string, why: string): MirrorFormatError {
  return new MirrorFormatError(
    'BAD_IMAGE_REFERENCE',
    `${JSON.stringify(reference)} is not an image reference: ${why}. Expected [host[:port]/]path[:tag][@sha256:<64 hex>].`,
    { path: reference },
  );
}

export function parseImageReference(reference: string): ImageReference {
  let rest = reference;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!digestPattern.test(digest))
      throw bad(reference, `the digest ${JSON.stringify(digest)} is malformed`);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!tagPattern.test(tag)) throw bad(reference, `the tag ${JSON.stringify(tag)} is malformed`);
  }
  const slash = rest.indexOf('/');
  const first = slash === -1 ? '' : rest.slice(0, slash);
  let domain: string;
  let path: string;
  if (slash !== -1 && looksLikeHost(first)) {
    domain = first;
    path = rest.slice(slash + 1);
    if (!isValidHost(domain))
      throw bad(reference, `the host ${JSON.stringify(domain)} is malformed`);
  } else {
    domain = DEFAULT_REGISTRY;
    path = slash === -1 ? `${officialNamespace}/${rest}` : rest;
  }
  if (path === '' || !isValidRepositoryPath(path))
    throw bad(
      reference,
      `the repository path ${JSON.stringify(path)} is not lowercase a-z0-9 components separated by /`,
    );
  return { name: `${domain}/${path}`, domain, path, tag, digest };
}

/** The reference as text: name, then `:tag`, then `@digest` (as c/image prints it). */
export function formatImageReference(reference: ImageReference): string {
  return `${reference.name}${reference.tag === undefined ? '' : `:${reference.tag}`}${reference.digest === undefined ? '' : `@${reference.digest}`}`;
}
