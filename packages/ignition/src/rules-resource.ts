/** Ignition's checks of a resource: source, compression, verification, HTTP headers, proxy. */
import type { Resource } from './config.ts';
import type { FindingCollector, JsonPath } from './findings.ts';
import { ignitionMessages } from './messages.ts';
import type { SpecRules } from './spec.ts';
import { parseUrlLikeGo, urlProblem } from './url.ts';

/** Hex digits of each hash function's sum (the characters themselves are not checked). */
const hashSumLength: Readonly<Record<string, number>> = { sha512: 128, sha256: 64 };

/** `compression` may be absent, `""` or `"gzip"`. */
const compressionValues: readonly string[] = ['', 'gzip'];

function checkHash(hash: string, path: JsonPath, rules: SpecRules, findings: FindingCollector) {
  const dash = hash.indexOf('-');
  if (dash === -1) {
    findings.error(path, ignitionMessages.ErrHashMalformed);
    return;
  }
  const name = hash.slice(0, dash);
  if (!rules.hashFunctions.includes(name)) {
    findings.error(path, ignitionMessages.ErrHashUnrecognized);
    return;
  }
  if (hash.length - dash - 1 !== hashSumLength[name])
    findings.error(path, ignitionMessages.ErrHashWrongSize);
}

function checkHeaders(resource: Resource, path: JsonPath, findings: FindingCollector) {
  const headers = resource.httpHeaders ?? [];
  if (headers.length > 0) {
    const scheme =
      resource.source === undefined || resource.source === null || resource.source === ''
        ? undefined
        : parseUrlLikeGo(resource.source)?.scheme;
    if (scheme === undefined)
      findings.error([...path, 'httpHeaders'], ignitionMessages.ErrInvalidUrl);
    else if (scheme !== 'http' && scheme !== 'https')
      findings.error([...path, 'httpHeaders'], ignitionMessages.ErrUnsupportedSchemeForHTTPHeaders);
  }
  headers.forEach((header, index) => {
    if (header.name === undefined || header.name === '')
      findings.error(
        [...path, 'httpHeaders', index, 'name'],
        ignitionMessages.ErrEmptyHTTPHeaderName,
      );
    if (header.value === '')
      findings.error(
        [...path, 'httpHeaders', index, 'value'],
        ignitionMessages.ErrInvalidHTTPHeader,
      );
  });
}

interface ResourceOptions {
  /** `merge[]` and `certificateAuthorities[]` need a source; file contents do not. */
  sourceRequired: boolean;
}

export function checkResource(
  resource: Resource,
  path: JsonPath,
  rules: SpecRules,
  findings: FindingCollector,
  options: ResourceOptions,
): void {
  const source = resource.source ?? undefined;
  if (source === undefined || source === '') {
    if (options.sourceRequired) findings.error(path, ignitionMessages.ErrSourceRequired);
  } else {
    const problem = urlProblem(source, rules.urlSchemes);
    if (problem !== undefined) findings.error([...path, 'source'], problem);
  }
  const compression = resource.compression ?? undefined;
  if (compression !== undefined && !compressionValues.includes(compression))
    findings.error([...path, 'compression'], ignitionMessages.ErrCompressionInvalid);
  const hash = resource.verification?.hash ?? undefined;
  if (hash !== undefined) {
    const hashPath = [...path, 'verification', 'hash'];
    if (source === undefined)
      findings.error(hashPath, ignitionMessages.ErrVerificationAndNilSource);
    checkHash(hash, hashPath, rules, findings);
  }
  checkHeaders(resource, path, findings);
}

/**
 * `ignition.proxy`, as coreos/ignition `config/v3_5/types/proxy.go` `validateProxyURL` (a5d574a8;
 * the same in every 3.x): a present value (even `""`) must parse as a URL (`unable to parse url`),
 * then be http(s) (`proxies must be http(s)`); a plain-HTTP proxy for HTTPS is only a warning.
 */
export function checkProxy(
  proxy: { httpProxy?: string | null; httpsProxy?: string | null },
  path: JsonPath,
  findings: FindingCollector,
): void {
  for (const key of ['httpProxy', 'httpsProxy'] as const) {
    const value = proxy[key];
    if (value === undefined || value === null) continue;
    const url = parseUrlLikeGo(value);
    if (url === undefined) {
      findings.error([...path, key], ignitionMessages.ErrInvalidUrl);
    } else if (url.scheme !== 'http' && url.scheme !== 'https') {
      findings.error([...path, key], ignitionMessages.ErrInvalidProxy);
    } else if (key === 'httpsProxy' && url.scheme === 'http') {
      findings.warn([...path, key], ignitionMessages.ErrInsecureProxy);
    }
  }
}
