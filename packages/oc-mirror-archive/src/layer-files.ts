import { pipeline, type Readable } from 'node:stream';
import { CodecError, createDecompressor, sniffCodec } from '@hostmirror/codecs';
import { ByteReader } from '@hostmirror/cpio-stream';
import { MirrorFormatError } from './errors.ts';
import {
  decodeHeader,
  isZeroBlock,
  paddedSize,
  parsePaxRecords,
  TAR_BLOCK_SIZE,
  typeflags,
} from './tar-header.ts';

/**
 * Pick a few small files out of an image layer (a tar, usually gzip'd) while it streams: the
 * layer is never written to disk and only the wanted files are kept in memory (or handed to a
 * callback one at a time, `forEachLayerFile`). Reading stops as soon as every wanted file has
 * been seen. Used for a release payload's `release-manifests/`, a catalog's file-based configs
 * and the registry program of the payload. Damage is `LAYER_UNREADABLE`, naming the layer.
 */

/** A wanted file larger than this is not one of the small JSON files we read: refuse it. */
const MAX_WANTED_FILE_BYTES = 64 * 1024 * 1024;

/** Layer paths may be written `./a/b` or `/a/b`; compare them as `a/b`. */
function normaliseLayerPath(name: string): string {
  return name.replace(/^(\.\/|\/)+/, '');
}

/** A view of bytes the reader returned, as the Buffer the tar header codec takes (no copy). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The layer's tar stream: decompressed by what its first bytes are (`@hostmirror/codecs`'
 * `sniffCodec`: gzip, the usual OCI layer; zstd and xz too), or as it is (an uncompressed tar).
 */
async function* decompressed(layer: Readable, label: string): AsyncGenerator<Uint8Array> {
  const reader = new ByteReader(layer as AsyncIterable<Uint8Array>);
  const codec = sniffCodec(await reader.peek(8));
  if (codec === 'unknown' || codec === 'none') {
    for (
      let chunk = await reader.readChunk(1 << 20);
      chunk !== null;
      chunk = await reader.readChunk(1 << 20)
    )
      yield chunk;
    return;
  }
  let decompressor: Awaited<ReturnType<typeof createDecompressor>>;
  try {
    decompressor = await createDecompressor(codec);
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
    throw new MirrorFormatError(
      'LAYER_UNREADABLE',
      `${label} is ${codec}-compressed: ${error.message}`,
      {
        subject: label,
        cause: error,
      },
    );
  }
  async function* compressed(): AsyncGenerator<Uint8Array> {
    for (
      let chunk = await reader.readChunk(1 << 20);
      chunk !== null;
      chunk = await reader.readChunk(1 << 20)
    )
      yield chunk;
  }
  pipeline(compressed(), decompressor, () => {
    // Errors reach the consumer through the decompressor's iterator; pipeline destroys both.
  });
  try {
    for await (const chunk of decompressor) yield chunk as Uint8Array;
  } finally {
    decompressor.destroy();
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

export interface LayerFileLimits {
  /** Largest single file handed over (default 64 MiB). */
  maxFileBytes?: number;
  /** Largest total of the files handed over (default: no limit, memory does not grow with it). */
  maxTotalBytes?: number;
}

/**
 * Stream the whole `layer` and hand each regular file whose normalised path `matches` to
 * `onFile` as soon as it has been read, then drop it: memory holds one file at a time, however
 * large the layer (a whole operator catalog's configs). Returns how many files matched.
 */
export async function forEachLayerFile(
  layer: Readable,
  matches: (path: string) => boolean,
  label: string,
  onFile: (path: string, bytes: Buffer) => void,
  limits: LayerFileLimits = {},
): Promise<number> {
  let count = 0;
  await collectFiles(
    layer,
    label,
    {
      wants: matches,
      done: () => false,
      take: (path, bytes) => {
        count++;
        onFile(path, bytes);
      },
    },
    limits,
  );
  return count;
}

interface Collector {
  wants(path: string): boolean;
  done(found: ReadonlyMap<string, Buffer>): boolean;
  /** Takes each file instead of keeping it in the returned map. */
  take?: (path: string, bytes: Buffer) => void;
}

async function collectFiles(
  layer: Readable,
  label: string,
  collector: Collector,
  limits: LayerFileLimits = {},
): Promise<Map<string, Buffer>> {
  const maxFile = limits.maxFileBytes ?? MAX_WANTED_FILE_BYTES;
  const maxTotal =
    limits.maxTotalBytes ?? (collector.take === undefined ? MAX_MATCHED_BYTES : Infinity);
  const found = new Map<string, Buffer>();
  let total = 0;
  const reader = new ByteReader(decompressed(layer, label));
  const pending: PendingNames = { pax: undefined, longName: undefined };
  try {
    while (!collector.done(found)) {
      const offset = reader.offset;
      const block = asBuffer(await reader.read(TAR_BLOCK_SIZE));
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
        if (size > maxFile)
          throw new MirrorFormatError(
            'LAYER_UNREADABLE',
            `${path} in ${label} is ${size} bytes, more than the ${maxFile} bytes a manifest or catalog file can be; the layer is not a payload or catalog layer.`,
            { subject: label },
          );
        total += size;
        if (total > maxTotal)
          throw new MirrorFormatError(
            'LAYER_UNREADABLE',
            `The files wanted from ${label} exceed ${maxTotal} bytes (at ${path}); this is not a payload or filtered catalog layer.`,
            { subject: label },
          );
        const data = await reader.read(size);
        if (data.length < size) throw truncated(label, reader.offset);
        const bytes = Buffer.from(data);
        if (collector.take !== undefined) collector.take(path, bytes);
        else found.set(path, bytes);
        await reader.skip(paddedSize(size) - size);
      } else if ((await reader.skip(paddedSize(size))) < paddedSize(size)) {
        throw truncated(label, reader.offset);
      }
    }
  } catch (error) {
    layer.destroy();
    if (error instanceof MirrorFormatError) {
      if (error.code === 'LAYER_UNREADABLE' || error.code === 'CATALOG_INVALID') throw error;
      throw new MirrorFormatError(
        'LAYER_UNREADABLE',
        `${label} cannot be read as a tar layer: ${error.message}`,
        { subject: label, cause: error },
      );
    }
    throw new MirrorFormatError(
      'LAYER_UNREADABLE',
      `${label} cannot be read as a tar layer: ${String((error as Error).message)}`,
      { subject: label },
    );
  }
  layer.destroy();
  return found;
}

/** Consume a PAX (`x`) or GNU long-name (`L`) header; returns 'special' when it was one. */
async function takeSpecialHeader(
  reader: ByteReader,
  typeflag: string,
  size: number,
  pending: PendingNames,
  label: string,
): Promise<'special' | 'entry'> {
  const isPax = typeflag === typeflags.paxNext;
  const isSkipped = typeflag === typeflags.paxGlobal || typeflag === typeflags.gnuLongLink;
  if (!isPax && !isSkipped && typeflag !== typeflags.gnuLongName) return 'entry';
  if (size > MAX_WANTED_FILE_BYTES) throw truncated(label, reader.offset);
  const offset = reader.offset;
  const data = asBuffer(await reader.read(size));
  if (data.length < size) throw truncated(label, offset);
  await reader.skip(paddedSize(size) - size);
  if (isPax) pending.pax = parsePaxRecords(data, { path: label, offset });
  else if (!isSkipped) pending.longName = data.toString('utf8').replace(/\0+$/, '');
  return 'special';
}

function truncated(label: string, offset: number): MirrorFormatError {
  return new MirrorFormatError(
    'LAYER_UNREADABLE',
    `${label} ends in the middle of a tar entry (at byte ${offset} of the uncompressed layer); the blob is truncated.`,
    { subject: label },
  );
}
