import { MirrorFormatError } from './errors.ts';

/**
 * One 512-byte tar header block, decoded. Field places from POSIX.1-2001 "pax" (ustar
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
  mtime: [136, 148],
  size: [124, 136],
  checksum: [148, 156],
  typeflag: [156, 157],
  linkName: [157, 257],
  magic: [257, 263],
  prefix: [345, 500],
} as const satisfies Record<string, readonly [number, number]>;

/** `ustar\0` + version `00` is POSIX; GNU writes `ustar  \0` and has no prefix field there. */
const posixMagic = 'ustar\0';
const gnuMagic = 'ustar ';

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

interface TarHeader {
  name: string;
  mode: number;
  mtime: number;
  size: number;
  typeflag: string;
  linkName: string;
}

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

export function decodeHeader(block: Buffer, path: string, offset: number): TarHeader {
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
