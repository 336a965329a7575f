/**
 * Parallel segments: the overlay's sorted entry stream is cut into groups at entry boundaries,
 * each group is written as a complete newc archive with its own trailer and compressed on its
 * own, and the compressed segments are concatenated in order. The kernel reads concatenated
 * compressed archives one after another, and each compressed stream must end right after a
 * trailer (docs/coreos-iso.md#kernel-initramfs-rules, docs/deps.md#gzip). Where the cuts fall depends only on
 * the entries' sizes, never on timing or on the number of cores, so the bytes are reproducible.
 */
import { type Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  archivePath,
  DEFAULT_DIRECTORY_MODE,
  NEWC_HEADER_SIZE,
  type NewcEntryInput,
  NewcError,
  parentPaths,
  writeNewc,
} from '@hostmirror/cpio-stream';

/**
 * Default uncompressed size a segment is closed at. 8 MiB keeps the compressed tail of a
 * segment that waits for its turn small, and the ratio cost of restarting the compressor per
 * segment is below 0.1% at gzip -6 (its window is 32 KiB).
 */
export const DEFAULT_SEGMENT_BYTES = 8 * 1024 * 1024;

/** Sort by UTF-8 bytes, the order `writeNewc` uses, so a folder precedes its contents. */
function compareNames(left: NewcEntryInput, right: NewcEntryInput): number {
  return Buffer.compare(Buffer.from(left.path, 'utf8'), Buffer.from(right.path, 'utf8'));
}

/**
 * The entries in the order the single-stream writer would write them: sorted, with every missing
 * parent folder (mode 0755) inserted before its children, paths in archive form. Only metadata
 * is held: file bodies stay lazy streams.
 */
export async function orderedEntries(
  entries: Iterable<NewcEntryInput> | AsyncIterable<NewcEntryInput>,
): Promise<NewcEntryInput[]> {
  const all: NewcEntryInput[] = [];
  const seen = new Set<string>();
  for await (const input of entries) {
    const path = archivePath(input.path);
    if (seen.has(path)) {
      throw new NewcError('DUPLICATE_PATH', `Path ${path} is given twice; give each path once.`, {
        path,
      });
    }
    seen.add(path);
    all.push({ ...input, path });
  }
  all.sort(compareNames);
  const written = new Set<string>();
  const ordered: NewcEntryInput[] = [];
  for (const entry of all) {
    for (const parent of parentPaths(entry.path)) {
      if (written.has(parent)) continue;
      written.add(parent);
      ordered.push({ path: parent, type: 'directory', mode: DEFAULT_DIRECTORY_MODE });
    }
    written.add(entry.path);
    ordered.push(entry);
  }
  return ordered;
}

/** About how many archive bytes an entry takes: header, name, body. */
function entryBytes(entry: NewcEntryInput): number {
  const body =
    entry.size ??
    (typeof entry.data === 'string' ? Buffer.byteLength(entry.data) : (entry.data?.length ?? 0));
  return NEWC_HEADER_SIZE + Buffer.byteLength(entry.path) + 1 + body;
}

/**
 * Cut the ordered entries into groups: a group is closed once it holds `segmentBytes` or more.
 * A file larger than that ends its group alone. Parents stay before children because the
 * order is kept.
 */
export function groupEntries(entries: NewcEntryInput[], segmentBytes: number): NewcEntryInput[][] {
  const groups: NewcEntryInput[][] = [];
  let current: NewcEntryInput[] = [];
  let bytes = 0;
  for (const entry of entries) {
    current.push(entry);
    bytes += entryBytes(entry);
    if (bytes >= segmentBytes) {
      groups.push(current);
      current = [];
      bytes = 0;
    }
  }
  if (current.length > 0 || groups.length === 0) groups.push(current);
  return groups;
}

export interface SegmentOptions {
  mtime?: number;
  /** Most segments compressed at once (at least 1). */
  concurrency: number;
  /** Compressed bytes a segment that is not yet being written may hold before it pauses. */
  bufferBytes: number;
  onBytes?: ((bytes: number) => void) | undefined;
}

function counter(onBytes: ((bytes: number) => void) | undefined): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onBytes?.(chunk.length);
      callback(null, chunk);
    },
  });
}

/**
 * One segment being compressed. Its output is held in `chunks` until it is its turn; past
 * `bufferBytes` the pump stops reading the compressor, which stops the archive feeding it.
 */
class SegmentJob {
  private chunks: Buffer[] = [];
  private held = 0;
  private finished = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private drained: (() => void) | undefined;
  private readonly source: Readable;
  private readonly compressor: Transform;
  private readonly bufferBytes: number;

  constructor(
    source: Readable,
    compressor: Transform,
    bufferBytes: number,
    onBytes: ((bytes: number) => void) | undefined,
  ) {
    this.source = source;
    this.compressor = compressor;
    this.bufferBytes = bufferBytes;
    const fed = pipeline(source, counter(onBytes), compressor);
    const pumped = this.pump(compressor);
    Promise.all([fed, pumped]).then(
      () => this.finish(undefined),
      (error: unknown) => this.finish(error as Error),
    );
  }

  private async pump(compressor: Transform): Promise<void> {
    for await (const chunk of compressor as AsyncIterable<Buffer>) {
      this.chunks.push(chunk);
      this.held += chunk.length;
      this.notify();
      while (this.held > this.bufferBytes && this.failure === undefined) {
        await new Promise<void>((resolve) => {
          this.drained = resolve;
        });
      }
    }
  }

  private finish(error: Error | undefined): void {
    this.finished = true;
    this.failure ??= error;
    this.notify();
    this.drained?.();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Stop feeding and compressing (the consumer gave up). */
  destroy(): void {
    this.source.destroy();
    this.compressor.destroy();
    // Internal invariant: only the consumer that gave up could read this reason, and it does not.
    this.finish(this.failure ?? new Error('segment abandoned'));
  }

  /** The compressed bytes, in order, as they come; throws the segment's error. */
  async *output(): AsyncGenerator<Buffer> {
    for (;;) {
      if (this.failure !== undefined) throw this.failure;
      if (this.chunks.length > 0) {
        const taken = this.chunks;
        this.chunks = [];
        this.held = 0;
        const drained = this.drained;
        this.drained = undefined;
        drained?.();
        yield* taken;
        continue;
      }
      if (this.finished) return;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    }
  }
}

/**
 * Compress the groups, up to `concurrency` at once, and yield the segments in order. Memory is
 * bounded: at most `concurrency` segments are in flight, each holds at most about `bufferBytes`
 * of compressed output, and file bodies are streamed.
 */
export async function* compressedSegments(
  groups: NewcEntryInput[][],
  createCompressor: () => Promise<Transform>,
  options: SegmentOptions,
): AsyncGenerator<Buffer> {
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const writeOptions = {
    sort: false,
    addParentDirectories: false,
    ...(options.mtime === undefined ? {} : { mtime: options.mtime }),
  };
  const running: Promise<SegmentJob>[] = [];
  const abandon = (): void => {
    for (const pending of running) pending.then((job) => job.destroy(), ignore);
  };
  let next = 0;
  const startMore = (): void => {
    while (running.length < concurrency && next < groups.length) {
      const group = groups[next++] as NewcEntryInput[];
      const job = createCompressor().then(
        (compressor) =>
          new SegmentJob(
            writeNewc(group, writeOptions),
            compressor,
            options.bufferBytes,
            options.onBytes,
          ),
      );
      // Observed when its turn comes; until then a rejection is not "unhandled".
      job.catch(ignore);
      running.push(job);
    }
  };
  try {
    startMore();
    while (running.length > 0) {
      const job = await (running[0] as Promise<SegmentJob>);
      yield* job.output();
      running.shift();
      startMore();
    }
  } finally {
    abandon();
  }
}

function ignore(): void {}
