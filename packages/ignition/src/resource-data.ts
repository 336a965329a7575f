/** Read the bytes a `data:` resource stands for, and check its `verification.hash`. */
import { createHash } from 'node:crypto';
import { CodecError, gunzipBytes } from '@hostmirror/codecs';
import type { Resource } from './config.ts';
import { decodeDataUrl } from './data-url.ts';
import { IgnitionError } from './errors.ts';

/**
 * The most a gzip data resource may decompress to: far above any file a config carries inline (an
 * Ignition embed area is 256 KiB), far below what would exhaust memory.
 */
export const DATA_RESOURCE_MAX_BYTES = 256 * 1024 * 1024;

/** Hash functions Ignition knows, by the name used in `verification.hash`. */
const hashAlgorithms: Readonly<Record<string, string>> = { sha512: 'sha512', sha256: 'sha256' };

/** `sha512-<hex>` of `bytes` (Ignition hashes the decompressed contents). */
export function sha512Hash(bytes: Uint8Array): string {
  return `sha512-${createHash('sha512').update(bytes).digest('hex')}`;
}

/**
 * The contents of a resource whose source is a data URL: decoded, gunzipped when
 * `compression` is `gzip`, and checked against `verification.hash` when there is one
 * (`HASH_MISMATCH` otherwise). Other schemes need fetching, which this library never does.
 */
export function readDataResource(resource: Resource): Buffer {
  const source = resource.source ?? '';
  if (!source.startsWith('data:'))
    throw new IgnitionError(
      'DATA_URL_INVALID',
      `Only data: sources can be read offline; got ${JSON.stringify(source.slice(0, 60))}.`,
    );
  const raw = decodeDataUrl(source);
  const bytes = resource.compression === 'gzip' ? gunzipResource(raw) : raw;
  const hash = resource.verification?.hash ?? undefined;
  if (hash !== undefined) {
    const [name = '', expected = ''] = hash.split(/-(.*)/s);
    const algorithm = hashAlgorithms[name];
    if (algorithm === undefined)
      throw new IgnitionError(
        'HASH_MISMATCH',
        `Unknown hash function ${JSON.stringify(name)} in ${hash}; use sha512.`,
      );
    const actual = createHash(algorithm).update(bytes).digest('hex');
    if (actual !== expected.toLowerCase())
      throw new IgnitionError(
        'HASH_MISMATCH',
        `Contents do not match their verification hash: expected ${name}-${expected}, got ${name}-${actual}.`,
      );
  }
  return bytes;
}

function gunzipResource(raw: Uint8Array): Buffer {
  try {
    return gunzipBytes(raw, {
      maxBytes: DATA_RESOURCE_MAX_BYTES,
      what: 'The data URL (compression: gzip)',
    });
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
    throw new IgnitionError('DATA_URL_INVALID', error.message, {
      cause: error,
      fix:
        error.code === 'TOO_LARGE'
          ? `Keep an inline resource under ${DATA_RESOURCE_MAX_BYTES} bytes decompressed.`
          : 'Give the gzip of the contents, base64-encoded, with compression: gzip (or the plain contents without it).',
    });
  }
}
