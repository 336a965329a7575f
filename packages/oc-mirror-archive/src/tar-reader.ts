import { readSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { MirrorFormatError } from './errors.ts';
import {
  decodeHeader,
  isZeroBlock,
  kindOf,
  paddedSize,
  parsePaxRecords,
  refuseCompressed,
  TAR_BLOCK_SIZE,
  type TarEntryKind,
  typeflags,
} from './tar-header.ts';

/**
 * A positional tar reader: it reads each header with `pread` at its offset and seeks past
 * the data, so listing an 18 GB archive reads a few hundred kilobytes (docs/deps.md#tar). It
 * understands ustar, PAX `x`/`g` headers (long names, sizes of 8 GiB and more) and GNU `L`/`K`
 * long names and base-256 sizes.
 */

/** Read windows: small after a seek, growing to the large size over runs of small members. */
const minReadWindowBytes = 4 * 1024;
const maxReadWindowBytes = 64 * 1024;
/** A PAX or GNU long-name header larger than this is damage, not a name (Linux PATH_MAX is 4096). */
const maxMetaHeaderBytes = 1024 * 1024;
/**
 * No member of an oc-mirror archive is this large: its strict adder refuses a file larger
 * than the chunk size (`archiveSize`, default 500 GiB). A larger size is header damage; a
 * smaller one that runs past the end of the file is truncation.
 */
const maxPlausibleMemberBytes = 2 ** 40;

export interface TarEntry {
  /** The member's path: PAX/GNU long name applied, `./` and a trailing `/` removed. */
  name: string;
  /** The name exactly as stored (PAX/GNU long name applied): what `tar -t` lists. */
  storedName: string;
  kind: TarEntryKind;
  typeflag: string;
  mode: number;
  mtime: number;
  /** Bytes of data. */
  size: number;
  linkName: string;
  /** Byte offset of the member's first header (its PAX/GNU header when it has one). */
  headerOffset: number;
  /** Byte offset of the member's data in the archive file. */
  dataOffset: number;
  /**
   * GNU sparse (typeflag `S`, or PAX `GNU.sparse.*` records): its data is a sparse map, not
   * the file, and its kind is `other`.
   */
  sparse?: boolean;
  /** The data, for members `readTarEntries` was asked to inline. */
  data?: Buffer;
}

export interface ReadTarOptions {
  /** Inline the data of members this accepts (small files such as registry `link`s). */
  inline?: (entry: TarEntry) => boolean;
  /** Never inline more than this many bytes of one member (default 4096). */
  maxInlineBytes?: number;
}

/**
 * Reads byte ranges of an open file, keeping the last window so neighbouring reads are free.
 * Reads are synchronous `pread`s: a header is 512 bytes, and a thread-pool round trip per
 * header (what FileHandle.read costs) was 10× the read itself in the benchmark
 * (tools/bench/mirror-inspect). Windows grow while headers follow each other (runs of small
 * `link` files) and shrink after a seek past a blob, so skipped data is not read.
 */
class WindowedReader {
  readonly #fd: number;
  readonly #fileSize: number;
  #windowStart = 0;
  #window: Buffer = Buffer.alloc(0);
  readonly #windowBuffer = Buffer.allocUnsafe(maxReadWindowBytes);

  constructor(fd: number, fileSize: number) {
    this.#fd = fd;
    this.#fileSize = fileSize;
  }

  get fileSize(): number {
    return this.#fileSize;
  }

  /** Up to `length` bytes at `position`; shorter only at the end of the file. */
  read(position: number, length: number): Buffer {
    const end = Math.min(position + length, this.#fileSize);
    const windowEnd = this.#windowStart + this.#window.length;
    if (position >= this.#windowStart && end <= windowEnd) {
      return this.#window.subarray(position - this.#windowStart, end - this.#windowStart);
    }
    const wanted = Math.max(end - position, 0);
    const contiguous = position === windowEnd && this.#window.length > 0;
    const windowLength = contiguous
      ? Math.min(this.#window.length * 2, maxReadWindowBytes)
      : minReadWindowBytes;
    if (wanted > windowLength) return this.#readExact(position, wanted);
    // One buffer serves every window: callers consume a read before asking for the next.
    const filling = Math.max(Math.min(windowLength, this.#fileSize - position), 0);
    this.#window = this.#readInto(this.#windowBuffer, position, filling);
    this.#windowStart = position;
    return this.#window.subarray(0, wanted);
  }

  #readExact(position: number, length: number): Buffer {
    return this.#readInto(Buffer.allocUnsafe(length), position, length);
  }

  #readInto(buffer: Buffer, position: number, length: number): Buffer {
    let filled = 0;
    while (filled < length) {
      const bytesRead = readSync(this.#fd, buffer, filled, length - filled, position + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return buffer.subarray(0, filled);
  }
}

/**
 * The member's name without leading `./` and trailing `/`. Names are not judged here: a
 * name may be absolute or climb out with `..`; `judgeArchiveMember` (archive-member.ts) is
 * the one place that decides what a member may be, and every reader of archive members
 * calls it.
 */
function cleanMemberName(name: string): string {
  if (!name.startsWith('./') && !name.endsWith('/')) return name;
  return name.replace(/^(\.\/)+/, '').replace(/\/+$/, '');
}

function checkFits(
  what: string,
  size: number,
  dataOffset: number,
  reader: WindowedReader,
  where: { path: string; offset: number },
): void {
  if (size > maxPlausibleMemberBytes) {
    throw new MirrorFormatError(
      'TAR_ABSURD_SIZE',
      `The ${what} at byte ${where.offset} of ${where.path} claims ${size} bytes (more than ${maxPlausibleMemberBytes}, larger than any oc-mirror chunk); the header is damaged.`,
      where,
    );
  }
  if (dataOffset + size > reader.fileSize) {
    throw new MirrorFormatError(
      'TAR_TRUNCATED',
      `${where.path} is truncated: the ${what} at byte ${where.offset} needs ${size} bytes from byte ${dataOffset}, but the file ends at byte ${reader.fileSize}. Copy the archive again.`,
      where,
    );
  }
}

interface PendingMeta {
  start: number | undefined;
  sparse?: boolean;
  path?: string;
  linkPath?: string;
  size?: number;
}

/**
 * Every member of the tar file open as `handle`, in order, without reading member data
 * (except what `options.inline` asks for). `path` is only used in error messages.
 */
export async function* readTarEntries(
  handle: FileHandle,
  path: string,
  options: ReadTarOptions = {},
): AsyncGenerator<TarEntry> {
  const { size } = await handle.stat();
  yield* readTarEntriesSync(handle.fd, size, path, options);
}

/**
 * The same, synchronously, from a file descriptor and the file's size: the indexer's path
 * (no promise per member; the reads are synchronous `pread`s anyway).
 */
export function* readTarEntriesSync(
  fd: number,
  fileSize: number,
  path: string,
  options: ReadTarOptions = {},
): Generator<TarEntry> {
  const reader = new WindowedReader(fd, fileSize);
  const maxInline = options.maxInlineBytes ?? 4096;
  const globals = new Map<string, string>();
  let meta: PendingMeta = { start: undefined };
  let offset = 0;
  for (;;) {
    const block = reader.read(offset, TAR_BLOCK_SIZE);
    refuseCompressed(block, path, offset); // before "truncated": a small .gz is shorter than a block
    if (block.length < TAR_BLOCK_SIZE) {
      throw new MirrorFormatError(
        'TAR_TRUNCATED',
        `${path} is truncated at byte ${fileSize}: a tar header or the end-of-archive marker was expected at byte ${offset}. Copy the archive again.`,
        { path, offset },
      );
    }
    if (isZeroBlock(block)) {
      if (meta.start !== undefined) {
        throw new MirrorFormatError(
          'TAR_TRUNCATED',
          `${path} ends (end-of-archive marker at byte ${offset}) right after an extended header that describes no member.`,
          { path, offset },
        );
      }
      return;
    }
    const header = decodeHeader(block, path, offset);
    const dataOffset = offset + TAR_BLOCK_SIZE;
    const where = { path, offset };
    if (isMetaHeader(header.typeflag)) {
      if (header.size > maxMetaHeaderBytes) {
        throw new MirrorFormatError(
          'TAR_ABSURD_SIZE',
          `The extended header at byte ${offset} of ${path} claims ${header.size} bytes (at most ${maxMetaHeaderBytes} are plausible); the archive is damaged.`,
          where,
        );
      }
      checkFits('extended header', header.size, dataOffset, reader, where);
      const data = reader.read(dataOffset, header.size);
      meta.start ??= offset;
      applyMeta(header.typeflag, data, meta, globals, where);
      offset = dataOffset + paddedSize(header.size);
      continue;
    }
    const size = meta.size ?? numberFromRecord(globals.get('size'), where) ?? header.size;
    const storedName = meta.path ?? globals.get('path') ?? header.name;
    const sparse = meta.sparse === true || header.typeflag === typeflags.gnuSparse;
    const entry: TarEntry = {
      name: cleanMemberName(storedName),
      storedName,
      kind: sparse ? 'other' : kindOfNamed(header.typeflag, storedName),
      typeflag: header.typeflag,
      mode: header.mode,
      mtime: header.mtime,
      size: hasData(header.typeflag) ? size : 0,
      linkName: meta.linkPath ?? header.linkName,
      headerOffset: meta.start ?? offset,
      dataOffset,
      ...(sparse ? { sparse } : {}),
    };
    checkFits(`member ${JSON.stringify(entry.name)}`, entry.size, dataOffset, reader, where);
    if (entry.size <= maxInline && options.inline?.(entry)) {
      entry.data = Buffer.from(reader.read(dataOffset, entry.size));
    }
    yield entry;
    meta = { start: undefined };
    offset = dataOffset + paddedSize(entry.size);
  }
}

/**
 * GNU tar extracts a regular-file header whose name ends in `/` as a directory (old V7
 * archives wrote directories that way), so it is one.
 */
function kindOfNamed(typeflag: string, storedName: string): TarEntryKind {
  const kind = kindOf(typeflag);
  return kind === 'file' && typeflag !== typeflags.contiguous && storedName.endsWith('/')
    ? 'directory'
    : kind;
}

function isMetaHeader(typeflag: string): boolean {
  return (
    typeflag === typeflags.paxNext ||
    typeflag === typeflags.paxGlobal ||
    typeflag === typeflags.gnuLongName ||
    typeflag === typeflags.gnuLongLink
  );
}

/** Links and directories carry no data even when a writer fills in a size (POSIX). */
function hasData(typeflag: string): boolean {
  return (
    typeflag !== typeflags.hardlink &&
    typeflag !== typeflags.symlink &&
    typeflag !== typeflags.directory
  );
}

function numberFromRecord(
  value: string | undefined,
  where: { path: string; offset: number },
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new MirrorFormatError(
      'TAR_BAD_HEADER',
      `The PAX size ${JSON.stringify(value)} before the header at byte ${where.offset} of ${where.path} is not a plausible byte count.`,
      where,
    );
  }
  return Number(value);
}

function applyMeta(
  typeflag: string,
  data: Buffer,
  meta: PendingMeta,
  globals: Map<string, string>,
  where: { path: string; offset: number },
): void {
  const nulTerminated = () => {
    const nul = data.indexOf(0);
    return data.subarray(0, nul === -1 ? data.length : nul).toString('utf8');
  };
  switch (typeflag) {
    case typeflags.gnuLongName:
      meta.path = nulTerminated();
      return;
    case typeflags.gnuLongLink:
      meta.linkPath = nulTerminated();
      return;
    case typeflags.paxGlobal:
      for (const [key, value] of parsePaxRecords(data, where)) globals.set(key, value);
      return;
    default: {
      const records = parsePaxRecords(data, where);
      const path = records.get('path');
      const linkPath = records.get('linkpath');
      const size = numberFromRecord(records.get('size'), where);
      if (path !== undefined) meta.path = path;
      if (linkPath !== undefined) meta.linkPath = linkPath;
      if (size !== undefined) meta.size = size;
      for (const key of records.keys()) if (key.startsWith('GNU.sparse.')) meta.sparse = true;
    }
  }
}
