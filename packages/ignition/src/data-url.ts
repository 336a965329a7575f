/**
 * RFC 2397 data URLs the way Ignition reads them (vincent-petithory/dataurl, which Ignition's
 * `validateURL` and fetcher use), and the way Butane writes them (`MakeDataURL`): percent-encoded
 * with RFC 2396 "unreserved" characters kept, or standard base64, whichever is shorter, and
 * gzip when that is shorter still (docs/ignition.md#resources, docs/ignition.md#data-urls).
 */
import { GZIP_BEST_LEVEL, gzipBytes } from '@hostmirror/codecs';
import { IgnitionError } from './errors.ts';

const dataPrefix = 'data:';
/** RFC 2396 §2.3 unreserved characters: everything else is percent-encoded. */
const unreservedPattern = /^[A-Za-z0-9\-_.!~*'()]$/;
/** Butane counts the `gzip` compression value against the gzip encoding's length. */
const gzipCompressionName = 'gzip';

export interface DataUrlEncoding {
  /** The `data:` URL. */
  source: string;
  /** `gzip` when the URL holds gzip data, else `''`; always set, so a merge cannot inherit one. */
  compression: '' | 'gzip';
}

export interface EncodeDataUrlOptions {
  /** Gzip when that gives the shortest URL (default), or never. */
  compress?: 'auto' | 'never';
}

/** Percent-encode every byte outside RFC 2396 unreserved, with upper-case hex (Butane's Escape). */
export function percentEncode(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) {
    const char = String.fromCharCode(byte);
    out += unreservedPattern.test(char)
      ? char
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * The shortest data URL for `bytes`: percent-encoded, base64, or (unless `compress: 'never'`)
 * gzip at best compression in base64 when `gzip` bytes plus the word `gzip` are shorter.
 * Deterministic: the same bytes give the same URL (node:zlib writes no timestamp).
 */
export function encodeDataUrl(
  data: Uint8Array | string,
  options: EncodeDataUrlOptions = {},
): DataUrlEncoding {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let best: DataUrlEncoding = { source: `${dataPrefix},${percentEncode(bytes)}`, compression: '' };
  const base64 = `${dataPrefix};base64,${Buffer.from(bytes).toString('base64')}`;
  if (base64.length < best.source.length) best = { source: base64, compression: '' };
  if ((options.compress ?? 'auto') === 'auto') {
    const gzipped = gzipBytes(bytes, GZIP_BEST_LEVEL);
    const source = `${dataPrefix};base64,${gzipped.toString('base64')}`;
    if (source.length + gzipCompressionName.length < best.source.length)
      best = { source, compression: 'gzip' };
  }
  return best;
}

/** Go's unicode.IsSpace. */
export function isGoSpace(codePoint: number): boolean {
  return (
    (codePoint >= 0x09 && codePoint <= 0x0d) ||
    codePoint === 0x20 ||
    codePoint === 0x85 ||
    codePoint === 0xa0 ||
    codePoint === 0x1680 ||
    (codePoint >= 0x2000 && codePoint <= 0x200a) ||
    codePoint === 0x2028 ||
    codePoint === 0x2029 ||
    codePoint === 0x202f ||
    codePoint === 0x205f ||
    codePoint === 0x3000
  );
}

const tspecials = new Set('()<>@,;:\\"/[]?='.split(''));
/** RFC 2045 token characters: ASCII, not control, not space, not a tspecial. */
function isTokenChar(char: string): boolean {
  const code = char.codePointAt(0) ?? 0;
  return code < 0x7f && code > 0x20 && !tspecials.has(char);
}

/** Base64 data may hold the standard alphabet, padding and newlines (never URL-safe `-_`). */
const base64Data = /^[A-Za-z0-9+/=\n]*$/;
/** RFC 2396 URL characters: printable ASCII but space, delims `<>#"` and unwise `{}|\^[]\``. */
const urlData = /^[\x21\x24-\x3b\x3d\x3f-\x5a\x5f\x61-\x7a\x7e]*$/;

interface LexedDataUrl {
  base64: boolean;
  data: string;
}

const discreteTypes = ['text', 'image', 'audio', 'video', 'application', 'message', 'multipart'];

/**
 * Lex a data URL with the library's grammar and its messages (`invalid data character`,
 * `missing media type slash`, `expected base64, got X`…). Returns the message on failure.
 */
function lexDataUrl(input: string): LexedDataUrl | string {
  if (!input.startsWith(dataPrefix)) return 'missing data prefix';
  // Index by UTF-16 unit: anything outside ASCII is an invalid character wherever it appears.
  const chars = input.slice(dataPrefix.length);
  let i = 0;
  const peek = () => chars[i];
  let base64 = false;
  // Media type: empty, or type "/" subtype, where type is text, image… or x-token.
  const first = peek();
  if (first === undefined) return 'missing comma before data';
  if (first !== ';' && first !== ',') {
    if (!isTokenChar(first)) return 'invalid character after data prefix';
    const start = i;
    const extension = (first === 'x' || first === 'X') && chars[i + 1] === '-';
    while (true) {
      const char = peek();
      if (char === undefined) return 'missing media type slash';
      if (char === '/') break;
      if (!isTokenChar(char)) return 'invalid character for media type';
      i++;
    }
    const type = chars.slice(start, i);
    if (!extension && !discreteTypes.some((known) => type.startsWith(known)))
      return 'invalid media type';
    i++;
    while (true) {
      const char = peek();
      if (char === undefined) return 'incomplete media type';
      if (char === ';' || char === ',') break;
      if (!isTokenChar(char)) return 'invalid character for media subtype';
      i++;
    }
  }
  // Parameters `;attr=value` or `;attr="quoted"`, and a final `;base64`.
  while (peek() === ';') {
    i++;
    const char = peek();
    if (char === undefined || char === '=' || char === ',')
      return 'unterminated parameter sequence';
    if (!isTokenChar(char)) return 'invalid character for parameter attribute';
    const start = i;
    let attributeEnd: '=' | ',';
    while (true) {
      const next = peek();
      if (next === undefined) return 'unterminated parameter sequence';
      if (next === '=' || next === ',') {
        attributeEnd = next;
        break;
      }
      if (!isTokenChar(next)) return 'invalid character for parameter attribute';
      i++;
    }
    if (attributeEnd === ',') {
      const word = chars.slice(start, i);
      if (word !== 'base64') return `expected base64, got ${word}`;
      base64 = true;
      break;
    }
    i++;
    const valueStart = peek();
    if (valueStart === undefined) return 'missing comma before data';
    if (valueStart === '"') {
      i++;
      while (true) {
        const next = peek();
        if (next === undefined) return 'unclosed quoted string';
        i++;
        if (next === '"') break;
        if (next === '\\') {
          const escaped = peek();
          if (escaped === undefined) return 'unexpected eof';
          if ((escaped.codePointAt(0) ?? 0) > 0x7f) return 'invalid escaped character';
          i++;
        } else if ((next.codePointAt(0) ?? 0) > 0x7f) {
          return 'invalid character for parameter value';
        }
      }
    } else {
      if (!isTokenChar(valueStart)) return 'invalid character for parameter value';
      while (true) {
        const next = peek();
        if (next === undefined) return 'missing comma before data';
        if (next === ';' || next === ',') break;
        if (!isTokenChar(next)) return 'invalid character for parameter value';
        i++;
      }
    }
    const after = peek();
    if (after === undefined) return 'missing comma before data';
    if (after !== ';' && after !== ',') return 'expected semicolon or comma';
  }
  if (peek() !== ',')
    return peek() === undefined ? 'missing comma before data' : 'expected semicolon or comma';
  i++;
  const data = chars.slice(i);
  if (!(base64 ? base64Data : urlData).test(data)) return 'invalid data character';
  return { base64, data };
}

const base64Alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/**
 * Go's `base64.StdEncoding.DecodeString`: padding required, `\r` and `\n` skipped, and its
 * error `illegal base64 data at input byte N` with Go's offsets.
 */
function decodeBase64LikeGo(src: string): Buffer | string {
  const compact = src.includes('\n') || src.includes('\r') ? src.replace(/[\r\n]/g, '') : src;
  if (compact.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(compact))
    return Buffer.from(compact, 'base64');
  const out: number[] = [];
  const fail = (offset: number) => `illegal base64 data at input byte ${offset}`;
  const isNewline = (char: string | undefined) => char === '\n' || char === '\r';
  let si = 0;
  while (si < src.length) {
    const quantum: number[] = [];
    let finished = false;
    while (quantum.length < 4) {
      if (si === src.length) {
        if (quantum.length === 0) return Buffer.from(out);
        return fail(si - quantum.length);
      }
      const char = src[si] as string;
      si++;
      if (isNewline(char)) continue;
      const value = base64Alphabet.indexOf(char);
      if (value >= 0) {
        quantum.push(value);
        continue;
      }
      if (char !== '=') return fail(si - 1);
      if (quantum.length < 2) return fail(si - 1);
      if (quantum.length === 2) {
        while (si < src.length && isNewline(src[si])) si++;
        if (si === src.length) return fail(src.length);
        if (src[si] !== '=') return fail(si - 1);
        si++;
      }
      while (si < src.length && isNewline(src[si])) si++;
      if (si < src.length) return fail(si);
      finished = true;
      break;
    }
    const [a = 0, b = 0, c = 0, d = 0] = quantum;
    const bits = (a << 18) | (b << 12) | (c << 6) | d;
    out.push((bits >> 16) & 0xff);
    if (quantum.length >= 3) out.push((bits >> 8) & 0xff);
    if (quantum.length === 4) out.push(bits & 0xff);
    if (finished) break;
  }
  return Buffer.from(out);
}

/** RFC 2396 unescaping with the library's messages. */
function unescapeRfc2396(data: string): Buffer | string {
  // The lexer let only ASCII through, so latin1 copies the plain runs byte for byte.
  const out = Buffer.allocUnsafe(data.length);
  let written = 0;
  let plainStart = 0;
  for (let i = data.indexOf('%'); i !== -1; i = data.indexOf('%', plainStart)) {
    written += out.write(data.slice(plainStart, i), written, 'latin1');
    if (i + 2 >= data.length) return 'rfc2396: unexpected end of unescape sequence';
    const hex = data.slice(i + 1, i + 3);
    if (!/^[0-9A-Fa-f]{2}$/.test(hex)) return 'rfc2396: invalid char 0x25 in unescape sequence';
    out[written++] = Number.parseInt(hex, 16);
    plainStart = i + 3;
  }
  written += out.write(data.slice(plainStart), written, 'latin1');
  return Buffer.from(out.subarray(0, written));
}

/** Decode a data URL, or return the message Ignition would give for it. */
export function tryDecodeDataUrl(url: string): Buffer | string {
  const lexed = lexDataUrl(url);
  if (typeof lexed === 'string') return lexed;
  return lexed.base64 ? decodeBase64LikeGo(lexed.data) : unescapeRfc2396(lexed.data);
}

/** Decode a data URL's bytes; throws `DATA_URL_INVALID` naming the fault. */
export function decodeDataUrl(url: string): Buffer {
  const result = tryDecodeDataUrl(url);
  if (typeof result === 'string') {
    const shown = url.length > 60 ? `${url.slice(0, 57)}...` : url;
    throw new IgnitionError(
      'DATA_URL_INVALID',
      `The data URL ${JSON.stringify(shown)} cannot be decoded: ${result}. Percent-encode the data or use ;base64,.`,
    );
  }
  return result;
}
