import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import {
  decodeHeader,
  isZeroBlock,
  MirrorFormatError,
  paddedSize,
  parsePaxRecords,
  TAR_BLOCK_SIZE,
  typeflags,
} from '@hostmirror/oc-mirror-archive';
import { MirrorCheckError } from './errors.ts';

/**
 * Pick a few small files out of an image layer (a tar, usually gzip'd) while it streams: the
 * layer is never written to disk and only the wanted files are kept in memory. Reading stops
 * as soon as every wanted file has been seen.
 */

/** gzip member magic (RFC 1952 §2.3.1). */
const GZIP_MAGIC = [0x1f, 0x8b] as const;
/** zstd frame magic (RFC 8878 §3.1.1), little-endian 0xFD2FB528. */
const ZSTD_MAGIC = [0x28, 0xb5, 0x2f, 0xfd] as const;
/** A wanted file larger than this is not one of the small JSON files we read: refuse it. */
const MAX_WANTED_FILE_BYTES = 64 * 1024 * 1024;

/** Layer paths may be written `./a/b` or `/a/b`; compare them as `a/b`. */
function normaliseLayerPath(name: string): string {
  return name.replace(/^(\.\/|\/)+/, '');
}

/** Reads exact byte counts from an async stream of chunks. */
class ChunkReader {
  readonly #chunks: AsyncIterator<Buffer>;
  #buffer: Buffer = Buffer.alloc(0);
  #done = false;
  position = 0;

  constructor(source: AsyncIterable<Buffer>) {
    this.#chunks = source[Symbol.asyncIterator]();
  }

  /** Gather chunks until `bytes` are buffered, joining them once (no quadratic copying). */
  async #fill(bytes: number): Promise<void> {
    if (this.#buffer.length >= bytes || this.#done) return;
    const parts = [this.#buffer];
    let length = this.#buffer.length;
    while (length < bytes) {
      const next = await this.#chunks.next();
      if (next.done === true) {
        this.#done = true;
        break;
      }
      parts.push(next.value);
      length += next.value.length;
    }
    this.#buffer = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, length);
  }

  /** Exactly `bytes` bytes, or fewer at the end of the stream. */
  async read(bytes: number): Promise<Buffer> {
    await this.#fill(bytes);
    const out = this.#buffer.subarray(0, bytes);
    this.#buffer = this.#buffer.subarray(out.length);
    this.position += out.length;
    return out;
  }

  /** Skip `bytes` bytes without keeping them; returns how many were skipped. */
  async skip(bytes: number): Promise<number> {
    let left = bytes;
    while (left > 0) {
      if (this.#buffer.length === 0) {
        if (this.#done) break;
        const next = await this.#chunks.next();
        if (next.done === true) {
          this.#done = true;
          break;
        }
        this.#buffer = next.value;
      }
      const taken = Math.min(left, this.#buffer.length);
      this.#buffer = this.#buffer.subarray(taken);
      left -= taken;
      this.position += taken;
    }
    return bytes - left;
  }
}

function startsWith(bytes: Buffer, magic: readonly number[]): boolean {
  return magic.every((byte, index) => bytes[index] === byte);
}

/** Decompress by magic number: gzip (node:zlib) or plain tar. */
async function* decompressed(layer: Readable, label: string): AsyncGenerator<Buffer> {
  const iterator = layer[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const first = await iterator.next();
  if (first.done === true) return;
  const head: Buffer = first.value;
  async function* rest(): AsyncGenerator<Buffer> {
    yield head;
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return;
      yield next.value;
    }
  }
  if (startsWith(head, ZSTD_MAGIC))
    throw new MirrorCheckError(
      'LAYER_UNREADABLE',
      `${label} is zstd-compressed; hostmirror reads gzip and uncompressed layers only (OpenShift release layers are gzip).`,
      { subject: label },
    );
  if (!startsWith(head, GZIP_MAGIC)) {
    yield* rest();
    return;
  }
  const source = Readable.from(rest(), { objectMode: false });
  const gunzip = createGunzip();
  pipeline(source, gunzip, () => {
    // Errors reach the consumer through the gunzip iterator; pipeline destroys both streams.
  });
  try {
    for await (const chunk of gunzip) yield chunk as Buffer;
  } finally {
    gunzip.destroy();
    source.destroy();
    layer.destroy();
  }
}

interface PendingNames {
  pax: Map<string, string> | undefined;
  longName: string | undefined;
}

/**
 * Stream `layer` and return the contents of the files named in `wanted` (compared after
 * `normaliseLayerPath`). `label` names the layer in errors (for example `layer sha256:… of
 * quay.io/…@sha256:…`). Throws `LAYER_UNREADABLE` when the stream is not a readable tar.
 */
export function readFilesFromLayer(
  layer: Readable,
  wanted: readonly string[],
  label: string,
): Promise<Map<string, Buffer>> {
  const want = new Set(wanted.map(normaliseLayerPath));
  return collectFiles(layer, label, {
    wants: (path) => want.has(path),
    done: (found) => found.size === want.size,
  });
}

/** Together, the files a predicate picks may not exceed this (a filtered catalog's configs). */
const MAX_MATCHED_BYTES = 256 * 1024 * 1024;

/**
 * Stream the whole `layer` and return every regular file whose normalised path `matches`
 * (for example a catalog's `configs/…`), refusing more than `MAX_MATCHED_BYTES` in total.
 */
export function readMatchingFilesFromLayer(
  layer: Readable,
  matches: (path: string) => boolean,
  label: string,
): Promise<Map<string, Buffer>> {
  return collectFiles(layer, label, { wants: matches, done: () => false });
}

interface Collector {
  wants(path: string): boolean;
  done(found: ReadonlyMap<string, Buffer>): boolean;
}

async function collectFiles(
  layer: Readable,
  label: string,
  collector: Collector,
): Promise<Map<string, Buffer>> {
  const found = new Map<string, Buffer>();
  let total = 0;
  const reader = new ChunkReader(decompressed(layer, label));
  const pending: PendingNames = { pax: undefined, longName: undefined };
  try {
    while (!collector.done(found)) {
      const offset = reader.position;
      const block = await reader.read(TAR_BLOCK_SIZE);
      if (block.length === 0 || isZeroBlock(block)) break;
      if (block.length < TAR_BLOCK_SIZE) throw truncated(label, offset);
      const header = decodeHeader(block, label, offset);
      const dataSize = header.size;
      const name = await takeSpecialHeader(reader, header.typeflag, dataSize, pending, label);
      if (name === 'special') continue;
      const path = normaliseLayerPath(pending.pax?.get('path') ?? pending.longName ?? header.name);
      const size = Number(pending.pax?.get('size') ?? dataSize);
      pending.pax = undefined;
      pending.longName = undefined;
      if (
        (header.typeflag === typeflags.file || header.typeflag === typeflags.fileOld) &&
        collector.wants(path)
      ) {
        if (size > MAX_WANTED_FILE_BYTES)
          throw new MirrorCheckError(
            'LAYER_UNREADABLE',
            `${path} in ${label} is ${size} bytes, more than the ${MAX_WANTED_FILE_BYTES} bytes a manifest or catalog file can be; the layer is not a payload or catalog layer.`,
            { subject: label },
          );
        total += size;
        if (total > MAX_MATCHED_BYTES)
          throw new MirrorCheckError(
            'LAYER_UNREADABLE',
            `The files wanted from ${label} exceed ${MAX_MATCHED_BYTES} bytes (at ${path}); this is not a payload or filtered catalog layer.`,
            { subject: label },
          );
        const data = await reader.read(size);
        if (data.length < size) throw truncated(label, reader.position);
        found.set(path, Buffer.from(data));
        await reader.skip(paddedSize(size) - size);
      } else if ((await reader.skip(paddedSize(size))) < paddedSize(size)) {
        throw truncated(label, reader.position);
      }
    }
  } catch (error) {
    if (error instanceof MirrorCheckError) throw error;
    const detail =
      error instanceof MirrorFormatError ? error.message : String((error as Error).message);
    throw new MirrorCheckError(
      'LAYER_UNREADABLE',
      `${label} cannot be read as a tar layer: ${detail}`,
      { subject: label },
    );
  }
  layer.destroy();
  return found;
}

/** Consume a PAX (`x`) or GNU long-name (`L`) header; returns 'special' when it was one. */
async function takeSpecialHeader(
  reader: ChunkReader,
  typeflag: string,
  size: number,
  pending: PendingNames,
  label: string,
): Promise<'special' | 'entry'> {
  const isPax = typeflag === typeflags.paxNext;
  const isSkipped = typeflag === typeflags.paxGlobal || typeflag === typeflags.gnuLongLink;
  if (!isPax && !isSkipped && typeflag !== typeflags.gnuLongName) return 'entry';
  if (size > MAX_WANTED_FILE_BYTES) throw truncated(label, reader.position);
  const offset = reader.position;
  const data = await reader.read(size);
  if (data.length < size) throw truncated(label, offset);
  await reader.skip(paddedSize(size) - size);
  if (isPax) pending.pax = parsePaxRecords(data, { path: label, offset });
  else if (!isSkipped) pending.longName = data.toString('utf8').replace(/\0+$/, '');
  return 'special';
}

function truncated(label: string, offset: number): MirrorCheckError {
  return new MirrorCheckError(
    'LAYER_UNREADABLE',
    `${label} ends in the middle of a tar entry (at byte ${offset} of the uncompressed layer); the blob is truncated.`,
    { subject: label },
  );
}
