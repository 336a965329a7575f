/**
 * Walk a whole initrd the way the kernel unpacks it (docs/coreos-iso.md#kernel-initramfs-rules): zeros are
 * skipped; an uncompressed newc archive must start 4-aligned from the start of the file; a
 * compressed segment is exactly one gzip member, xz stream or zstd frame whose content is one
 * or more newc archives ending on an entry boundary. Reading is as lenient as coreos-installer's
 * reader (unaligned archives are still listed); every kernel rule that is broken is recorded as
 * a fault with its byte offset. A fault after which the next segment cannot be found is `fatal`
 * and ends the walk.
 */
import { createReadStream } from 'node:fs';
import {
  type Codec,
  CodecError,
  type DecodedStream,
  decodeOneStream,
  GZIP_KERNEL_ALLOWED_FLAGS,
  GZIP_METHOD_DEFLATE,
  parseGzipHeader,
  parseXzStreamHeader,
  parseZstdFrameHeader,
  sniffCodec,
  sniffOtherKernelCodec,
  XZ_KERNEL_CHECKS,
  ZSTD_KERNEL_MAX_WINDOW,
} from '@hostmirror/codecs';
import {
  ByteReader,
  NEWC_ALIGNMENT,
  type NewcArchiveEnd,
  type NewcEntry,
  type NewcEntryInfo,
  NewcError,
  type NewcErrorCode,
  readNewcArchive,
} from '@hostmirror/cpio-stream';
import { InitrdError, type InitrdErrorCode } from './errors.ts';
import { folderProblemMessage, KERNEL_BUILTIN_FOLDERS, KernelTree } from './namespace.ts';

/** One segment of an initrd: an uncompressed archive or one compressed stream of archives. */
export interface InitrdSegment {
  index: number;
  /** Byte offset of the segment in the file. */
  offset: number;
  /** Bytes the segment occupies in the file (compressed size). */
  length: number;
  codec: Codec;
  /** Bytes of newc data (equal to `length` for `none`). */
  uncompressedLength: number;
  /** newc archives found in the segment. */
  archives: number;
  /** Whether the last archive ended with TRAILER!!!. */
  trailer: boolean;
  /** Entries in order; offsets are in the decompressed data for compressed segments. */
  entries: NewcEntryInfo[];
  /** gzip: header FLG byte. */
  gzipFlags?: number;
  /** xz: the check type (`crc32`, `none`, `crc64`…). */
  xzCheck?: string;
  /** zstd: the window size the frame asks for. */
  zstdWindowSize?: number;
}

export type InitrdFaultCode = InitrdErrorCode | NewcErrorCode;

/** A broken kernel rule or unreadable structure, at a byte offset of the file. */
export interface InitrdFault {
  offset: number;
  code: InitrdFaultCode;
  message: string;
  /** Index of the segment concerned. */
  segment?: number;
  /** Offset inside the decompressed data, for faults inside a compressed segment. */
  decompressedOffset?: number;
  /** The entry concerned, for faults about one entry (as the kernel resolves it: no leading `/`). */
  path?: string;
  /** True when the walk could not go on after it. */
  fatal: boolean;
}

export interface InitrdWalk {
  /** Bytes read (the file size when the walk completed). */
  size: number;
  segments: InitrdSegment[];
  faults: InitrdFault[];
}

export interface WalkOptions {
  /** Called for every entry while its body can still be read. */
  onEntry?: (entry: NewcEntry, segment: InitrdSegment) => Promise<void> | void;
  /** Keep entry listings in `segments[].entries` (default true). */
  collectEntries?: boolean;
  /**
   * Folders that exist before the first entry, besides the kernel's own `/dev` and `/root`:
   * for an archive checked alone that will follow a base whose folders are known.
   */
  existingFolders?: Iterable<string>;
  /** Stop with TOO_MANY_ENTRIES past this many entries (default `MAX_INITRD_ENTRIES`). */
  maxEntries?: number;
}

/** A path or a byte stream. */
export type InitrdSource = string | AsyncIterable<Uint8Array>;

/**
 * The most entries one walk reads, across every segment. The listing and the kernel tree hold
 * each entry (about 250 bytes of heap), and each costs about 25 µs of CPU to read (50,000
 * empty files: 1.3 s), while a compressed segment can hold far more entries than its size
 * suggests (222 KB of xz listed 200,000 empty files, +74 MiB of heap): without a bound a 1 MiB
 * initrd could hold millions. A CoreOS live initramfs holds a few thousand entries; at this
 * bound a hostile one is refused after about 2.5 s and 25 MiB.
 */
export const MAX_INITRD_ENTRIES = 100_000;

const READ_CHUNK = 1024 * 1024;
/** Enough for a gzip header with a file name (the kernel needs no more either). */
const GZIP_HEADER_PEEK = 64 * 1024;
const ZSTD_HEADER_PEEK = 18;
const XZ_HEADER_PEEK = 12;

export function openSource(source: InitrdSource): AsyncIterable<Uint8Array> {
  return typeof source === 'string'
    ? createReadStream(source, { highWaterMark: READ_CHUNK })
    : source;
}

class Walker {
  readonly segments: InitrdSegment[] = [];
  readonly faults: InitrdFault[] = [];
  private readonly outer: ByteReader;
  private readonly options: WalkOptions;
  /** Every path the kernel has created so far, across segments. */
  private readonly tree: KernelTree;
  /** Entries read so far, across segments (bounded by MAX_INITRD_ENTRIES). */
  private entryCount = 0;

  constructor(source: AsyncIterable<Uint8Array>, options: WalkOptions) {
    this.outer = new ByteReader(source);
    this.options = options;
    this.tree = new KernelTree([...KERNEL_BUILTIN_FOLDERS, ...(options.existingFolders ?? [])]);
  }

  fault(fault: Omit<InitrdFault, 'fatal'> & { fatal?: boolean }): void {
    this.faults.push({ ...fault, fatal: fault.fatal ?? false });
  }

  async run(): Promise<InitrdWalk> {
    let previousCodec: Codec | undefined;
    try {
      for (;;) {
        await this.outer.skipZeros();
        if (await this.outer.atEnd()) break;
        const head = await this.outer.peek(6);
        const codec = sniffCodec(head);
        if (codec === 'unknown') {
          // No segment starts here: the kernel stops, and so do we.
          const error = this.unknownMagic(this.outer.offset, head);
          this.fault({
            offset: this.outer.offset,
            code: error.code,
            message: error.message,
            fatal: true,
          });
          break;
        }
        const segment = this.startSegment(codec, previousCodec);
        this.segments.push(segment);
        try {
          await this.readSegment(segment);
        } catch (error) {
          this.fatalFault(error, segment);
          break;
        }
        previousCodec = segment.codec;
      }
      if (this.segments.length === 0 && this.faults.length === 0) {
        this.fault({
          offset: 0,
          code: 'EMPTY',
          message: 'The initrd holds no archive: it is empty or all zeros.',
          fatal: true,
        });
      }
      return { size: this.outer.offset, segments: this.segments, faults: this.faults };
    } finally {
      await this.outer.close();
    }
  }

  private startSegment(codec: Codec, previousCodec: Codec | undefined): InitrdSegment {
    const offset = this.outer.offset;
    if (previousCodec === 'none' && offset % NEWC_ALIGNMENT !== 0 && codec !== 'none') {
      this.fault({
        offset,
        code: 'BROKEN_PADDING',
        segment: this.segments.length,
        message: `Segment at byte ${offset} follows an uncompressed archive but is not 4-byte aligned; the kernel stops with "broken padding". Pad with zeros to a multiple of 4.`,
      });
    }
    return {
      index: this.segments.length,
      offset,
      length: 0,
      codec,
      uncompressedLength: 0,
      archives: 0,
      trailer: false,
      entries: [],
    };
  }

  private async readSegment(segment: InitrdSegment): Promise<void> {
    if (segment.codec === 'none') await this.rawSegment(segment);
    else if (segment.codec === 'gzip') await this.gzipSegment(segment);
    else if (segment.codec === 'xz') await this.xzSegment(segment);
    else await this.zstdSegment(segment);
    segment.length = this.outer.offset - segment.offset;
    if (segment.codec === 'none') segment.uncompressedLength = segment.length;
  }

  private unknownMagic(offset: number, head: Uint8Array): InitrdError {
    const hex = Buffer.from(head).toString('hex');
    const other = sniffOtherKernelCodec(head);
    if (other !== undefined) {
      return new InitrdError(
        'UNSUPPORTED_CODEC',
        `Segment at byte ${offset} is ${other}-compressed; hostmirror reads gzip, xz, zstd and uncompressed segments only: recompress that segment with one of them (xz with --check=crc32).`,
        { offset },
      );
    }
    return new InitrdError(
      'UNKNOWN_MAGIC',
      `No archive or compression magic at byte ${offset} (found ${hex}); the kernel stops with "invalid magic at start of compressed archive".`,
      { offset },
    );
  }

  private fatalFault(error: unknown, segment: InitrdSegment): void {
    if (error instanceof InitrdError || error instanceof NewcError) {
      this.fault({
        offset: error.offset ?? segment.offset,
        code: error.code as InitrdFaultCode,
        message: error.message,
        segment: segment.index,
        fatal: true,
      });
      return;
    }
    if (error instanceof CodecError) {
      // codecs' decodeOneStream: the source ends inside the stream, its structure is broken, or
      // the decoder refused its data.
      const code: InitrdFaultCode =
        error.code === 'TRUNCATED'
          ? 'TRUNCATED'
          : error.code === 'CORRUPT' && error.codec === 'xz'
            ? 'XZ_CORRUPT'
            : error.code === 'CORRUPT' && error.codec === 'zstd'
              ? 'ZSTD_CORRUPT'
              : 'DECOMPRESS_FAILED';
      this.fault({
        offset: error.offset ?? segment.offset,
        code,
        message: error.message,
        segment: segment.index,
        fatal: true,
      });
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    this.fault({
      offset: segment.offset,
      code: 'DECOMPRESS_FAILED',
      message: `The ${segment.codec} stream at byte ${segment.offset} cannot be decompressed: ${message}.`,
      segment: segment.index,
      fatal: true,
    });
  }

  /** Read one newc archive, handing entries to the visitor and collecting their listings. */
  private async archive(
    reader: ByteReader,
    start: number,
    segment: InitrdSegment,
  ): Promise<NewcArchiveEnd> {
    const archive = readNewcArchive(reader, { archiveStart: start });
    for (;;) {
      const next = await archive.next();
      if (next.done) {
        segment.archives += 1;
        segment.trailer = next.value.trailer;
        return next.value;
      }
      const entry = next.value;
      this.entryCount += 1;
      const maxEntries = this.options.maxEntries ?? MAX_INITRD_ENTRIES;
      if (this.entryCount > maxEntries) {
        const inside = segment.codec !== 'none';
        throw new InitrdError(
          'TOO_MANY_ENTRIES',
          `The initrd holds more than ${maxEntries} entries (the one over is ${inside ? `at decompressed byte ${entry.offset} of the ${segment.codec} segment at byte ${segment.offset}` : `at byte ${entry.offset}`}); hostmirror stops reading rather than hold them all in memory.`,
          { offset: inside ? segment.offset : entry.offset },
        );
      }
      if (this.options.collectEntries ?? true) segment.entries.push(entry.info());
      this.placeEntry(entry, segment);
      await this.options.onEntry?.(entry, segment);
    }
  }

  /** Record the entry in the kernel's tree; a fault when the kernel drops or misplaces it. */
  private placeEntry(entry: NewcEntry, segment: InitrdSegment): void {
    const problem = this.tree.place(entry.path, entry.type);
    if (problem === undefined) return;
    const inside = segment.codec !== 'none';
    const where = inside
      ? `${segment.codec} segment at byte ${segment.offset}, decompressed byte ${entry.offset}`
      : `byte ${entry.offset}`;
    this.fault({
      offset: inside ? segment.offset : entry.offset,
      ...(inside ? { decompressedOffset: entry.offset } : {}),
      code: problem.code,
      segment: segment.index,
      path: problem.path,
      message: folderProblemMessage(problem, where),
    });
  }

  private async rawSegment(segment: InitrdSegment): Promise<void> {
    if (segment.offset % NEWC_ALIGNMENT !== 0) {
      this.fault({
        offset: segment.offset,
        code: 'UNALIGNED_SEGMENT',
        segment: segment.index,
        message: `Uncompressed archive at byte ${segment.offset} is not 4-byte aligned from the start of the file; the kernel rejects it ("invalid magic at start of compressed archive"). Pad with zeros to a multiple of 4.`,
      });
    }
    const end = await this.archive(this.outer, segment.offset, segment);
    if (!end.trailer) this.missingTrailer(segment, end.end);
  }

  private missingTrailer(segment: InitrdSegment, at: number, decompressed = false): void {
    this.fault({
      offset: decompressed ? segment.offset : at,
      ...(decompressed ? { decompressedOffset: at } : {}),
      code: 'MISSING_TRAILER',
      segment: segment.index,
      message: `The archive in segment ${segment.index} (byte ${segment.offset}) ends without TRAILER!!!; end every archive with a trailer so another can follow.`,
    });
  }

  /** Read the archives inside one decompressed stream, then drain it to its end. */
  private async streamContent(
    content: AsyncIterable<Uint8Array>,
    segment: InitrdSegment,
  ): Promise<void> {
    const inner = new ByteReader(content);
    try {
      await this.archivesIn(inner, segment);
    } catch (error) {
      if (!(error instanceof NewcError)) throw error;
      this.fault({
        offset: segment.offset,
        decompressedOffset: error.offset ?? inner.offset,
        code: error.code,
        segment: segment.index,
        message: `In the ${segment.codec} segment at byte ${segment.offset}, decompressed byte ${error.offset ?? inner.offset}: ${error.message}`,
      });
    }
    await inner.skip(Number.POSITIVE_INFINITY);
    segment.uncompressedLength = inner.offset;
  }

  private async archivesIn(inner: ByteReader, segment: InitrdSegment): Promise<void> {
    for (;;) {
      await inner.skipZeros();
      if (await inner.atEnd()) return;
      const at = inner.offset;
      const head = await inner.peek(6);
      if (at % NEWC_ALIGNMENT !== 0 || sniffCodec(head) !== 'none') {
        this.fault({
          offset: segment.offset,
          decompressedOffset: at,
          code: 'JUNK_IN_COMPRESSED_ARCHIVE',
          segment: segment.index,
          message: `The ${segment.codec} segment at byte ${segment.offset} holds bytes that are not an aligned newc archive at decompressed byte ${at}; the kernel stops with "junk within compressed archive".`,
        });
        return;
      }
      const end = await this.archive(inner, at, segment);
      if (!end.trailer) {
        this.missingTrailer(segment, end.end, true);
        return;
      }
    }
  }

  /** Decode the segment's one stream with codecs' `decodeOneStream`, reading its archives. */
  private decode(codec: 'gzip' | 'xz' | 'zstd', segment: InitrdSegment): Promise<DecodedStream> {
    return decodeOneStream(codec, this.outer, (content) => this.streamContent(content, segment));
  }

  private async gzipSegment(segment: InitrdSegment): Promise<void> {
    // The kernel's rule on header flags; decodeOneStream refuses a cut header or another method.
    const header = parseGzipHeader(await this.outer.peek(GZIP_HEADER_PEEK));
    if (header !== undefined && header.method === GZIP_METHOD_DEFLATE) {
      segment.gzipFlags = header.flags;
      if ((header.flags & ~GZIP_KERNEL_ALLOWED_FLAGS) !== 0) {
        this.fault({
          offset: segment.offset + 3,
          code: 'GZIP_HEADER_FLAGS',
          segment: segment.index,
          message: `gzip header at byte ${segment.offset} has flags 0x${header.flags.toString(16)}; the kernel's gunzip skips only FNAME (0x08). Compress with node:zlib or gzip -n.`,
        });
      }
    }
    const { gzipTrailer } = await this.decode('gzip', segment);
    if (gzipTrailer !== undefined && !gzipTrailer.matches) {
      this.fault({
        offset: gzipTrailer.offset,
        code: 'GZIP_CRC_MISMATCH',
        segment: segment.index,
        message: `gzip trailer at byte ${gzipTrailer.offset} does not match the data (CRC-32 or size); the member is corrupt.`,
      });
    }
  }

  private async xzSegment(segment: InitrdSegment): Promise<void> {
    const flags = parseXzStreamHeader(await this.outer.peek(XZ_HEADER_PEEK));
    if (flags !== undefined) {
      segment.xzCheck = flags.checkName;
      if (!XZ_KERNEL_CHECKS.includes(flags.check)) {
        this.fault({
          offset: segment.offset + 7,
          code: 'XZ_CHECK_UNSUPPORTED',
          segment: segment.index,
          message: `xz stream at byte ${segment.offset} uses check ${flags.checkName}; the kernel's XZ Embedded accepts only CRC32 or none. Compress with xz --check=crc32.`,
        });
      }
    }
    await this.decode('xz', segment);
  }

  private async zstdSegment(segment: InitrdSegment): Promise<void> {
    const header = parseZstdFrameHeader(await this.outer.peek(ZSTD_HEADER_PEEK));
    if (header !== undefined) {
      segment.zstdWindowSize = header.windowSize;
      if (header.windowSize > ZSTD_KERNEL_MAX_WINDOW) {
        this.fault({
          offset: segment.offset + 5,
          code: 'ZSTD_WINDOW_TOO_LARGE',
          segment: segment.index,
          message: `zstd frame at byte ${segment.offset} needs a ${header.windowSize}-byte window, over the ${ZSTD_KERNEL_MAX_WINDOW} bytes older kernels accept; compress with a window of at most 8 MiB (zstd --zstd=wlog=23).`,
        });
      }
    }
    await this.decode('zstd', segment);
  }
}

/** Walk every segment of an initrd (a path or a byte stream). Never throws on bad content. */
export async function walkInitrd(
  source: InitrdSource,
  options: WalkOptions = {},
): Promise<InitrdWalk> {
  return new Walker(openSource(source), options).run();
}
