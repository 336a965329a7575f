import { sniffCodec } from '@hostmirror/codecs';
import { MirrorFormatError } from './errors.ts';

/**
 * One 512-byte tar header block, decoded and encoded. Field places from POSIX.1-2001 "pax" (ustar
 * header) and the GNU tar manual, "Basic Tar Format"; the same layout Go's archive/tar
 * (which oc-mirror uses) reads and writes.
 */
export const TAR_BLOCK_SIZE = 512;

/** A member's data takes whole blocks: its size rounded up to a multiple of 512. */
export function paddedSize(size: number): number {
  return Math.ceil(size / TAR_BLOCK_SIZE) * TAR_BLOCK_SIZE;
}

const field = {
  name: [0, 100],
  mode: [100, 108],
  uid: [108, 116],
  gid: [116, 124],
  size: [124, 136],
  mtime: [136, 148],
  checksum: [148, 156],
  typeflag: [156, 157],
  linkName: [157, 257],
  magic: [257, 263],
  version: [263, 265],
  uname: [265, 297],
  gname: [297, 329],
  devMajor: [329, 337],
  devMinor: [337, 345],
  prefix: [345, 500],
} as const satisfies Record<string, readonly [number, number]>;

/** `ustar\0` + version `00` is POSIX; GNU writes `ustar  \0` and has no prefix field there. */
const posixMagic = 'ustar\0';
const posixVersion = '00';
const gnuMagic = 'ustar ';
/** GNU's magic and version together: `ustar` two spaces NUL (GNU tar manual, "Basic Tar Format"). */
const gnuMagicAndVersion = 'ustar  \0';

/** The high bit of a numeric field's first byte marks GNU base-256 (sizes of 8 GiB and more). */
const base256Marker = 0x80;

export type TarEntryKind = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

/**
 * Type flags (POSIX typeflag; GNU extensions `L`/`K`). `x`/`g`/`L`/`K` never reach the
 * caller: they modify the next header.
 */
export const typeflags = {
  file: '0',
  fileOld: '\0',
  contiguous: '7',
  hardlink: '1',
  symlink: '2',
  directory: '5',
  paxNext: 'x',
  paxGlobal: 'g',
  gnuLongName: 'L',
  gnuLongLink: 'K',
  gnuSparse: 'S',
} as const;

/** What the reader needs from a header (`decodeHeader`). */
export interface TarHeader {
  name: string;
  mode: number;
  mtime: number;
  size: number;
  typeflag: string;
  linkName: string;
}

/** Everything `encodeHeader` writes: the decoded fields plus owner and device numbers. */
export interface TarHeaderFields extends Omit<TarHeader, 'linkName'> {
  linkName?: string;
  uid?: number;
  gid?: number;
  uname?: string;
  gname?: string;
  /** Written (as octal) only when given: GNU tar writes zeros in ustar headers, nothing in GNU ones. */
  devMajor?: number;
  devMinor?: number;
}

/** `posix`: ustar magic, long names split into `prefix`; `gnu`: GNU magic, base-256 for big numbers. */
export type TarHeaderFormat = 'posix' | 'gnu';

function cString(block: Buffer, [start, end]: readonly [number, number]): string {
  const nul = block.indexOf(0, start);
  return block.toString('utf8', start, nul === -1 || nul > end ? end : nul);
}

const space = 0x20;
const digitZero = 0x30;
const digitSeven = 0x37;

function badNumber(
  block: Buffer,
  start: number,
  end: number,
  where: { path: string; offset: number; field: string },
): MirrorFormatError {
  const text = block.toString('latin1', start, end).replace(/\0+$/, '');
  return new MirrorFormatError(
    'TAR_BAD_HEADER',
    `The ${where.field} field ${JSON.stringify(text)} in the tar header at byte ${where.offset} of ${where.path} is not an octal number; this is not a tar archive or it is damaged.`,
    where,
  );
}

/** Decode bytes `start`..`end` of a header: octal (space/NUL padded) or GNU base-256. */
function numberAt(
  block: Buffer,
  start: number,
  end: number,
  where: { path: string; offset: number; field: string },
): number {
  const first = block[start] ?? 0;
  if ((first & base256Marker) !== 0) return base256(block, start, end, where);
  let index = start;
  while (index < end && block[index] === space) index++;
  let value = 0;
  for (; index < end; index++) {
    const byte = block[index] as number;
    if (byte >= digitZero && byte <= digitSeven) value = value * 8 + (byte - digitZero);
    else if (byte === 0 || byte === space) break;
    else throw badNumber(block, start, end, where);
  }
  for (; index < end; index++) {
    const byte = block[index];
    if (byte !== 0 && byte !== space) throw badNumber(block, start, end, where);
  }
  return value;
}

function base256(
  block: Buffer,
  start: number,
  end: number,
  where: { path: string; offset: number; field: string },
): number {
  if (block[start] !== base256Marker) {
    throw new MirrorFormatError(
      'TAR_BAD_HEADER',
      `Negative base-256 ${where.field} in the tar header at byte ${where.offset} of ${where.path}; the archive is damaged.`,
      where,
    );
  }
  let value = 0n;
  for (let index = start + 1; index < end; index++)
    value = (value << 8n) | BigInt(block[index] as number);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new MirrorFormatError(
      'TAR_ABSURD_SIZE',
      `The ${where.field} ${value} in the tar header at byte ${where.offset} of ${where.path} is larger than any real file; the archive is damaged.`,
      where,
    );
  }
  return Number(value);
}

export function isZeroBlock(block: Buffer): boolean {
  for (let index = 0; index < block.length; index++) if (block[index] !== 0) return false;
  return true;
}

/**
 * The sum of a header's 512 bytes. Four bytes at a time when the block is 4-aligned (it is
 * when it comes from the reader's window): two 16-bit lanes per word cannot overflow in
 * 128 words (128 × 2 × 255 < 65536).
 */
function byteSum(block: Buffer): number {
  if (block.byteOffset % 4 !== 0 || block.length < TAR_BLOCK_SIZE) {
    let sum = 0;
    for (let index = 0; index < TAR_BLOCK_SIZE; index++) sum += block[index] ?? 0;
    return sum;
  }
  const words = new Uint32Array(block.buffer, block.byteOffset, TAR_BLOCK_SIZE / 4);
  let lanes = 0;
  for (let index = 0; index < words.length; index++) {
    const word = words[index] as number;
    lanes += (word & 0x00ff00ff) + ((word >>> 8) & 0x00ff00ff);
  }
  return (lanes & 0xffff) + (lanes >>> 16);
}

/**
 * Check the header checksum: the sum of all bytes with the checksum field read as spaces.
 * Some old writers summed signed bytes; both are accepted, as GNU tar does.
 */
function verifyChecksum(block: Buffer, path: string, offset: number): void {
  const [start, end] = field.checksum;
  const stored = numberAt(block, start, end, { path, offset, field: 'checksum' });
  let unsigned = byteSum(block);
  for (let index = start; index < end; index++) unsigned += space - (block[index] as number);
  if (stored === unsigned) return;
  let signed = 0;
  for (let index = 0; index < TAR_BLOCK_SIZE; index++) {
    const byte = index >= start && index < end ? space : (block[index] as number);
    signed += byte > 127 ? byte - 256 : byte;
  }
  if (stored !== signed) {
    throw new MirrorFormatError(
      'TAR_BAD_CHECKSUM',
      `Bad tar header checksum at byte ${offset} of ${path}: stored ${stored}, computed ${unsigned}; the archive is damaged or this is not where a header starts (a truncated or spliced file).`,
      { path, offset },
    );
  }
}

/** What to run to get the tar back from a compressed chunk. */
const DECOMPRESS = { gzip: 'gzip -dc', xz: 'xz -dc', zstd: 'zstd -dc' } as const;

/**
 * A compressed chunk fails every header check with noise ("checksum … is not an octal
 * number"): say what it is instead. oc-mirror writes plain tar chunks (mirror_000001.tar);
 * one that was gzipped for transfer must be decompressed before it is used.
 */
export function refuseCompressed(block: Buffer, path: string, offset: number): void {
  if (offset !== 0) return;
  const codec = sniffCodec(block.subarray(0, 8));
  if (codec !== 'gzip' && codec !== 'xz' && codec !== 'zstd') return;
  throw new MirrorFormatError(
    'TAR_COMPRESSED',
    `${path} is ${codec}-compressed, not a tar archive: oc-mirror writes plain tar chunks. Decompress it first (\`${DECOMPRESS[codec]} ${path} > OUT.tar\`) and give OUT.tar.`,
    { path, offset },
  );
}

export function decodeHeader(block: Buffer, path: string, offset: number): TarHeader {
  refuseCompressed(block, path, offset);
  verifyChecksum(block, path, offset);
  const magic = block.toString('latin1', field.magic[0], field.magic[1]);
  let name = cString(block, field.name);
  if (magic === posixMagic) {
    const prefix = cString(block, field.prefix);
    if (prefix !== '') name = `${prefix}/${name}`;
  } else if (!magic.startsWith(gnuMagic) && magic !== '\0'.repeat(magic.length)) {
    throw new MirrorFormatError(
      'TAR_BAD_HEADER',
      `Unknown tar magic ${JSON.stringify(magic)} at byte ${offset} of ${path}; expected ustar (POSIX or GNU).`,
      { path, offset },
    );
  }
  return {
    name,
    mode: numberAt(block, field.mode[0], field.mode[1], { path, offset, field: 'mode' }),
    mtime: numberAt(block, field.mtime[0], field.mtime[1], { path, offset, field: 'mtime' }),
    size: numberAt(block, field.size[0], field.size[1], { path, offset, field: 'size' }),
    typeflag: String.fromCharCode(block[field.typeflag[0]] ?? 0),
    linkName: cString(block, field.linkName),
  };
}

export function kindOf(typeflag: string): TarEntryKind {
  switch (typeflag) {
    case typeflags.file:
    case typeflags.fileOld:
    case typeflags.contiguous:
      return 'file';
    case typeflags.directory:
      return 'directory';
    case typeflags.symlink:
      return 'symlink';
    case typeflags.hardlink:
      return 'hardlink';
    default:
      return 'other';
  }
}

/** PAX extended header records: `"<len> <key>=<value>\n"`, `len` counting the whole record. */
export function parsePaxRecords(
  data: Buffer,
  where: { path: string; offset: number },
): Map<string, string> {
  const records = new Map<string, string>();
  let position = 0;
  while (position < data.length) {
    if (data[position] === 0) break; // some writers pad the record block with NULs
    const space = data.indexOf(0x20, position);
    const length = Number.parseInt(data.subarray(position, space).toString('latin1'), 10);
    const end = position + length;
    if (space === -1 || !Number.isSafeInteger(length) || length <= 0 || end > data.length) {
      throw new MirrorFormatError(
        'TAR_BAD_HEADER',
        `Malformed PAX record at byte ${position} of the extended header at byte ${where.offset} of ${where.path}.`,
        where,
      );
    }
    const record = data.subarray(space + 1, end - 1).toString('utf8');
    const equals = record.indexOf('=');
    if (equals === -1 || data[end - 1] !== 0x0a) {
      throw new MirrorFormatError(
        'TAR_BAD_HEADER',
        `Malformed PAX record ${JSON.stringify(record)} in the extended header at byte ${where.offset} of ${where.path}.`,
        where,
      );
    }
    records.set(record.slice(0, equals), record.slice(equals + 1));
    position = end;
  }
  return records;
}

/**
 * Encode one header block, the inverse of `decodeHeader`: numeric fields as zero-padded octal
 * followed by NUL, the checksum as six octal digits, NUL, space (as GNU tar writes them). A name
 * longer than 100 bytes is split into ustar's `prefix` and `name` at a slash (posix only). A
 * value that does not fit throws `TAR_FIELD_TOO_LARGE`: writers put long names, link names and
 * sizes of 8 GiB and more in PAX records or GNU `L`/`K` members first and pass a header that
 * fits (sizes too large for octal are written base-256 in the `gnu` format).
 */
export function encodeHeader(fields: TarHeaderFields, format: TarHeaderFormat = 'posix'): Buffer {
  const block = Buffer.alloc(TAR_BLOCK_SIZE);
  const { name, prefix } = splitName(fields.name, format);
  putString(block, field.name, name, 'name', fields.name);
  putOctal(block, field.mode, fields.mode, 'mode', fields.name);
  putOctal(block, field.uid, fields.uid ?? 0, 'uid', fields.name);
  putOctal(block, field.gid, fields.gid ?? 0, 'gid', fields.name);
  putNumber(block, field.size, fields.size, 'size', fields.name, format);
  putNumber(block, field.mtime, fields.mtime, 'mtime', fields.name, format);
  if (fields.typeflag.length !== 1)
    throw tooLarge('typeflag', JSON.stringify(fields.typeflag), fields.name, 'one character');
  block.write(fields.typeflag, field.typeflag[0], 'latin1');
  putString(block, field.linkName, fields.linkName ?? '', 'linkname', fields.name);
  if (format === 'posix') {
    block.write(posixMagic, field.magic[0], 'latin1');
    block.write(posixVersion, field.version[0], 'latin1');
  } else {
    block.write(gnuMagicAndVersion, field.magic[0], 'latin1');
  }
  putString(block, field.uname, fields.uname ?? '', 'uname', fields.name);
  putString(block, field.gname, fields.gname ?? '', 'gname', fields.name);
  if (fields.devMajor !== undefined)
    putOctal(block, field.devMajor, fields.devMajor, 'devmajor', fields.name);
  if (fields.devMinor !== undefined)
    putOctal(block, field.devMinor, fields.devMinor, 'devminor', fields.name);
  putString(block, field.prefix, prefix, 'prefix', fields.name);
  block.fill(space, field.checksum[0], field.checksum[1]);
  let sum = 0;
  for (const byte of block) sum += byte;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, field.checksum[0], 'latin1');
  return block;
}

function tooLarge(what: string, value: string, member: string, limit: string): MirrorFormatError {
  return new MirrorFormatError(
    'TAR_FIELD_TOO_LARGE',
    `The tar ${what} ${value} of ${JSON.stringify(member)} does not fit a header (${limit}); write it in a PAX record (or a GNU long-name member) and pass a header value that fits.`,
    { path: member },
  );
}

const nameLength = field.name[1] - field.name[0];
const prefixLength = field.prefix[1] - field.prefix[0];

/** ustar's split: the longest prefix ending before a slash such that both halves fit. */
function splitName(path: string, format: TarHeaderFormat): { name: string; prefix: string } {
  if (Buffer.byteLength(path) <= nameLength || format === 'gnu') return { name: path, prefix: '' };
  for (let cut = path.lastIndexOf('/'); cut > 0; cut = path.lastIndexOf('/', cut - 1)) {
    const prefix = path.slice(0, cut);
    const name = path.slice(cut + 1);
    if (Buffer.byteLength(name) > nameLength) break;
    if (Buffer.byteLength(prefix) <= prefixLength && name !== '') return { name, prefix };
  }
  return { name: path, prefix: '' }; // putString refuses it with the field's limit
}

function putString(
  block: Buffer,
  [start, end]: readonly [number, number],
  text: string,
  what: string,
  member: string,
): void {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length > end - start)
    throw tooLarge(what, JSON.stringify(text), member, `at most ${end - start} bytes`);
  bytes.copy(block, start);
}

function putOctal(
  block: Buffer,
  [start, end]: readonly [number, number],
  value: number,
  what: string,
  member: string,
): void {
  const digits = end - start - 1;
  if (!Number.isSafeInteger(value) || value < 0 || value >= 8 ** digits)
    throw tooLarge(what, String(value), member, `0..${8 ** digits - 1}, ${digits} octal digits`);
  block.write(`${value.toString(8).padStart(digits, '0')}\0`, start, 'latin1');
}

/** Octal when it fits; GNU base-256 (marker byte, then big-endian) otherwise in the gnu format. */
function putNumber(
  block: Buffer,
  range: readonly [number, number],
  value: number,
  what: string,
  member: string,
  format: TarHeaderFormat,
): void {
  const [start, end] = range;
  if (format === 'posix' || !Number.isSafeInteger(value) || value < 8 ** (end - start - 1)) {
    putOctal(block, range, value, what, member);
    return;
  }
  block[start] = base256Marker;
  let rest = BigInt(value);
  for (let index = end - 1; index > start; index--) {
    block[index] = Number(rest & 0xffn);
    rest >>= 8n;
  }
}
