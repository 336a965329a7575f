import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { dirname, resolve } from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { openAtomicOutput } from '@hostmirror/atomic-file';
import { type Codec, createCompressor } from '@hostmirror/codecs';
import {
  DEFAULT_DIRECTORY_MODE,
  DEFAULT_FILE_MODE,
  type NewcEntryInput,
  writeNewc,
} from '@hostmirror/cpio-stream';
import { InitrdError } from './errors.ts';
import {
  compressedSegments,
  DEFAULT_SEGMENT_BYTES,
  groupEntries,
  orderedEntries,
} from './segments.ts';
import { type OverlaySpec, parseOverlaySpec } from './spec.ts';
import type { VerifyReport } from './verify.ts';
import { writeVerified } from './verify-while-writing.ts';

export interface BuildOverlayOptions {
  /** Folder `source:` paths are relative to (the spec's folder). */
  baseDir: string;
  /** Override the spec's `compress`. */
  compress?: Codec;
  /** Override the spec's `level`. */
  level?: number;
  /** mtime of every entry; default SOURCE_DATE_EPOCH or 0. */
  mtime?: number;
  /** Called as the uncompressed archive is produced, with the bytes of each piece. */
  onBytes?: (bytes: number) => void;
  /**
   * Cut the archive into segments of about `segmentBytes` that are compressed in parallel and
   * concatenated, each a complete archive with its own trailer. Default: true for gzip (faster on 2
   * cores, figures in tools/bench/README.md), false for xz and zstd. The bytes
   * depend on `segmentBytes`, never on `concurrency` or the machine.
   */
  parallel?: boolean;
  /** Uncompressed bytes a segment is closed at; default DEFAULT_SEGMENT_BYTES (8 MiB). */
  segmentBytes?: number;
  /** Most segments compressed at once; default `os.availableParallelism()`, at least 1. */
  concurrency?: number;
}

/**
 * A segment waiting for its turn holds at most this many times `segmentBytes` of compressed
 * output before it pauses: large files (a 30 MiB binary gives ~12 MiB of gzip) then still
 * compress beside the one being written. Worst case (concurrency − 1) × 2 × 8 MiB held.
 * A 64 MiB budget (so a 112 MiB library never pauses) gave the same wall time at 300 MiB
 * (8.07 against 8.11 s) for +24 MiB peak RSS, so the smaller bound stays.
 */
const SEGMENT_BUFFER_FACTOR = 2;

/** Codecs cut into parallel segments by default: those whose compressor runs off the main thread and gains from it. */
const PARALLEL_BY_DEFAULT: ReadonlySet<Codec> = new Set<Codec>(['gzip']);

/** Any execute bit: a source that is executable stays executable when the spec gives no mode. */
const ANY_EXECUTE = 0o111;
const EXECUTABLE_MODE = 0o755;

async function sourceEntry(
  path: string,
  source: string,
  baseDir: string,
  mode: number | undefined,
): Promise<NewcEntryInput> {
  const location = resolve(baseDir, source);
  const info = await stat(location).catch(() => undefined);
  if (!info?.isFile()) {
    throw new InitrdError(
      'SOURCE_MISSING',
      `Source ${location} for ${path} ${info ? 'is not a regular file' : 'does not exist'}; fix "source:" in the spec.`,
    );
  }
  return {
    path,
    type: 'file',
    mode: mode ?? (info.mode & ANY_EXECUTE ? EXECUTABLE_MODE : DEFAULT_FILE_MODE),
    size: info.size,
    stream: () => createReadStream(location, { highWaterMark: 1024 * 1024 }),
  };
}

/** The newc entries a spec describes; sources are stat'ed, not read. */
export async function* overlayEntries(
  spec: OverlaySpec,
  baseDir: string,
): AsyncGenerator<NewcEntryInput> {
  for (const directory of spec.directories) {
    yield {
      path: directory.path,
      type: 'directory',
      mode: directory.mode ?? DEFAULT_DIRECTORY_MODE,
      uid: directory.uid ?? 0,
      gid: directory.gid ?? 0,
    };
  }
  for (const file of spec.files) {
    const owner = { uid: file.uid ?? 0, gid: file.gid ?? 0 };
    if (file.source !== undefined)
      yield { ...(await sourceEntry(file.path, file.source, baseDir, file.mode)), ...owner };
    else
      yield {
        path: file.path,
        type: 'file',
        mode: file.mode ?? DEFAULT_FILE_MODE,
        data: file.contents ?? '',
        ...owner,
      };
  }
  for (const link of spec.symlinks) yield { path: link.path, type: 'symlink', target: link.target };
}

/**
 * Compose the overlay a spec describes into one compressed newc archive, as a stream. Files are
 * streamed from disk one at a time, so memory does not grow with their size.
 */
export function buildOverlay(spec: OverlaySpec, options: BuildOverlayOptions): Readable {
  const output = new PassThrough();
  const codec = options.compress ?? spec.compress;
  const level = options.level ?? spec.level;
  const compressorOptions = level === undefined ? {} : { level };
  if (options.parallel ?? PARALLEL_BY_DEFAULT.has(codec)) {
    void (async () => {
      const entries = await orderedEntries(overlayEntries(spec, options.baseDir));
      const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
      const segments = compressedSegments(
        groupEntries(entries, segmentBytes),
        () => createCompressor(codec, compressorOptions),
        {
          concurrency: options.concurrency ?? availableParallelism(),
          bufferBytes: SEGMENT_BUFFER_FACTOR * segmentBytes,
          onBytes: options.onBytes,
          ...(options.mtime === undefined ? {} : { mtime: options.mtime }),
        },
      );
      await pipeline(Readable.from(segments, { objectMode: false }), output);
    })().catch((error: unknown) => output.destroy(error as Error));
    return output;
  }
  void (async () => {
    const compressor = await createCompressor(codec, compressorOptions);
    const archive = writeNewc(
      overlayEntries(spec, options.baseDir),
      options.mtime === undefined ? {} : { mtime: options.mtime },
    );
    await pipeline(archive, counter(options.onBytes), compressor, output);
  })().catch((error: unknown) => output.destroy(error as Error));
  return output;
}

export interface BuildOverlayFileOptions {
  compress?: Codec;
  level?: number;
  /** Replace an existing output (the CLI's `-f`). */
  overwrite?: boolean;
  /** Progress: `done` bytes of the uncompressed archive so far of about `total` (the contents' sizes). */
  onProgress?: (progress: { done: number; total: number }) => void;
  /** As in `BuildOverlayOptions`. */
  parallel?: boolean;
  segmentBytes?: number;
  concurrency?: number;
}

function counter(onBytes: ((bytes: number) => void) | undefined): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes?.(chunk.length);
      callback(null, chunk);
    },
  });
}

/** About how many bytes the archive will hold: the contents, without headers. */
async function contentBytes(spec: OverlaySpec, baseDir: string): Promise<number> {
  let total = 0;
  for (const file of spec.files) {
    if (file.contents !== undefined) total += Buffer.byteLength(file.contents);
    else if (file.source !== undefined)
      total += (await stat(resolve(baseDir, file.source)).catch(() => undefined))?.size ?? 0;
  }
  return total;
}

export interface BuildOverlayResult {
  path: string;
  codec: Codec;
  size: number;
  entries: number;
  report: VerifyReport;
}

/**
 * Build the overlay of the spec at `specPath` into `outPath`: written under a temporary name,
 * verified with the kernel's rules, then renamed into place.
 */
export async function buildOverlayFile(
  specPath: string,
  outPath: string,
  options: BuildOverlayFileOptions = {},
): Promise<BuildOverlayResult> {
  const spec = parseOverlaySpec(await readFile(specPath, 'utf8'), { specPath });
  const codec = options.compress ?? spec.compress;
  const output = await openAtomicOutput(outPath, { overwrite: options.overwrite ?? false });
  try {
    const baseDir = dirname(resolve(specPath));
    const buildOptions: BuildOverlayOptions = { baseDir, compress: codec };
    if (options.level !== undefined) buildOptions.level = options.level;
    if (options.parallel !== undefined) buildOptions.parallel = options.parallel;
    if (options.segmentBytes !== undefined) buildOptions.segmentBytes = options.segmentBytes;
    if (options.concurrency !== undefined) buildOptions.concurrency = options.concurrency;
    const onProgress = options.onProgress;
    if (onProgress !== undefined) {
      const total = await contentBytes(spec, baseDir);
      let done = 0;
      buildOptions.onBytes = (bytes) => {
        done += bytes;
        onProgress({ done, total });
      };
    }
    // Verified beside the compressors as the bytes are written, not read back afterwards.
    const report = await writeVerified(buildOverlay(spec, buildOptions), output.stream);
    const [fault] = report.faults;
    if (fault !== undefined) {
      throw new InitrdError(
        'VERIFY_FAILED',
        `The overlay built from ${specPath} breaks a kernel rule at byte ${fault.offset}: ${fault.message}`,
        {
          offset: fault.offset,
        },
      );
    }
    await output.commit();
    const entries = report.segments.reduce((sum, segment) => sum + segment.entries.length, 0);
    return { path: outPath, codec, size: report.size, entries, report };
  } catch (error) {
    await output.abort();
    throw error;
  }
}
