/**
 * Ignition's `validateURL` (docs/ignition.md#resources): Go's `net/url` parse, the scheme list
 * of the config's spec, the S3 `versionId` and ARN checks, and the data URL lexer.
 */
import { tryDecodeDataUrl } from './data-url.ts';
import { ignitionMessages } from './messages.ts';

interface ParsedUrl {
  /** Lower-cased, as Go lower-cases it. */
  scheme: string;
  /** Everything after `scheme:` when it does not start with `/` (data URLs, ARNs). */
  opaque: string;
  rawQuery: string;
}

const hexPair = /^[0-9A-Fa-f]{2}$/;

/** Whether every `%` in `text` starts a valid escape (Go's `unescape`). */
function escapesAreValid(text: string): boolean {
  for (let i = text.indexOf('%'); i !== -1; i = text.indexOf('%', i + 1)) {
    if (!hexPair.test(text.slice(i + 1, i + 3))) return false;
  }
  return true;
}

/** Characters Go allows unescaped in a host (`shouldEscape(c, encodeHost)` is false). */
const hostChar = /^[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"%]$/;

function authorityIsValid(authority: string): boolean {
  const at = authority.lastIndexOf('@');
  const host = at === -1 ? authority : authority.slice(at + 1);
  let port = '';
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    if (close === -1) return false;
    const rest = host.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return false;
    port = rest.slice(1);
  } else {
    const colon = host.lastIndexOf(':');
    if (colon !== -1) port = host.slice(colon + 1);
    for (const char of host) if (char.charCodeAt(0) < 0x80 && !hostChar.test(char)) return false;
  }
  if (port !== '' && !/^\d+$/.test(port)) return false;
  return escapesAreValid(host);
}

/** A subset of Go's `url.Parse` that fails where it fails on inputs configs contain. */
export function parseUrlLikeGo(raw: string): ParsedUrl | undefined {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: Go refuses ASCII control bytes.
  if (/[\x00-\x1f\x7f]/.test(raw)) return undefined;
  const hash = raw.indexOf('#');
  const withoutFragment = hash === -1 ? raw : raw.slice(0, hash);
  if (hash !== -1 && !escapesAreValid(raw.slice(hash + 1))) return undefined;
  let scheme = '';
  let rest = withoutFragment;
  for (let i = 0; i < withoutFragment.length; i++) {
    const char = withoutFragment[i] as string;
    if (/[A-Za-z]/.test(char)) continue;
    if (/[0-9+\-.]/.test(char)) {
      if (i === 0) break;
      continue;
    }
    if (char === ':') {
      if (i === 0) return undefined; // missing protocol scheme
      scheme = withoutFragment.slice(0, i).toLowerCase();
      rest = withoutFragment.slice(i + 1);
    }
    break;
  }
  const question = rest.indexOf('?');
  const rawQuery = question === -1 ? '' : rest.slice(question + 1);
  if (question !== -1) rest = rest.slice(0, question);
  if (!rest.startsWith('/')) {
    if (scheme !== '') return { scheme, opaque: rest, rawQuery };
    const slash = rest.indexOf('/');
    if ((slash === -1 ? rest : rest.slice(0, slash)).includes(':')) return undefined;
  }
  let path = rest;
  if (rest.startsWith('//')) {
    const end = rest.indexOf('/', 2);
    const authority = end === -1 ? rest.slice(2) : rest.slice(2, end);
    if (!authorityIsValid(authority)) return undefined;
    path = end === -1 ? '' : rest.slice(end);
  }
  if (!escapesAreValid(path)) return undefined;
  return { scheme, opaque: '', rawQuery };
}

function versionIdIsEmpty(rawQuery: string): boolean {
  for (const pair of rawQuery.split(/[&;]/)) {
    const [key, value = ''] = pair.split('=');
    if (key === 'versionId' && value === '') return true;
  }
  return false;
}

/** An AWS ARN naming an S3 object (`arn:aws:s3:::bucket/key` or an access point object). */
function s3ArnIsValid(full: string): boolean {
  if (!full.startsWith('arn:') || (full.match(/:/g) ?? []).length < 5) return false;
  const sections = full.split(':');
  const [, partition, service] = sections;
  const resource = sections.slice(5).join(':').split('?')[0] ?? '';
  if (!partition || service !== 's3' || resource === '') return false;
  const parts = full.split('/');
  return resource.startsWith('accesspoint/') ? parts.length >= 3 : parts.length >= 2;
}

/** Ignition's message for a resource source, or undefined when it is acceptable. */
export function urlProblem(source: string, allowedSchemes: readonly string[]): string | undefined {
  const url = parseUrlLikeGo(source);
  if (url === undefined) return ignitionMessages.ErrInvalidUrl;
  if (!allowedSchemes.includes(url.scheme)) return ignitionMessages.ErrInvalidScheme;
  switch (url.scheme) {
    case 's3':
      return versionIdIsEmpty(url.rawQuery)
        ? ignitionMessages.ErrInvalidS3ObjectVersionId
        : undefined;
    case 'arn':
      if (!s3ArnIsValid(`arn:${url.opaque}`)) return ignitionMessages.ErrInvalidS3ARN;
      return versionIdIsEmpty(url.rawQuery)
        ? ignitionMessages.ErrInvalidS3ObjectVersionId
        : undefined;
    case 'data': {
      const decoded = tryDecodeDataUrl(source);
      return typeof decoded === 'string' ? decoded : undefined;
    }
    default:
      return undefined;
  }
}
