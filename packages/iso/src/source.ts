import { type FileHandle, open } from 'node:fs/promises';
import { IsoError } from './errors.ts';

/**
 * Random access to the bytes of an image. Reads are positional so one source can serve the
 * directory walk and a streaming copy at once; nothing ever holds the whole image.
 */
export interface ByteSource {
  /** Size in bytes. */
  readonly size: number;
  /** Exactly `length` bytes at `offset`; an `ISO_TRUNCATED` error if the image is shorter. */
  read(offset: number, length: number): Promise<Buffer>;
  /** Fill `buffer` with the bytes at `offset` (a read without a fresh allocation); optional. */
  readInto?(buffer: Buffer, offset: number): Promise<Buffer>;
  close(): Promise<void>;
}

function truncated(offset: number, length: number, size: number, what: string): IsoError {
  return new IsoError(
    'ISO_TRUNCATED',
    `${what}: reading ${length} bytes at byte ${offset} goes past the end of the image (${size} bytes); the ISO is truncated or corrupt.`,
    { offset },
  );
}

/** An image in a file, read with positional reads. */
export class FileSource implements ByteSource {
  readonly path: string;
  readonly size: number;
  readonly #handle: FileHandle;

  private constructor(path: string, handle: FileHandle, size: number) {
    this.path = path;
    this.#handle = handle;
    this.size = size;
  }

  static async open(path: string): Promise<FileSource> {
    const handle = await open(path, 'r');
    try {
      const stat = await handle.stat();
      return new FileSource(path, handle, stat.size);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  read(offset: number, length: number): Promise<Buffer> {
    return this.readInto(Buffer.allocUnsafe(length), offset); // every byte is read, or we throw
  }

  async readInto(buffer: Buffer, offset: number): Promise<Buffer> {
    const { length } = buffer;
    if (offset < 0 || offset + length > this.size)
      throw truncated(offset, length, this.size, this.path);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.#handle.read(buffer, done, length - done, offset + done);
      if (bytesRead === 0) throw truncated(offset, length, this.size, this.path);
      done += bytesRead;
    }
    return buffer;
  }

  close(): Promise<void> {
    return this.#handle.close();
  }
}

/** An image held in memory (tests, and small images built on the fly). */
export class BufferSource implements ByteSource {
  readonly size: number;
  readonly #bytes: Buffer;

  constructor(bytes: Uint8Array) {
    this.#bytes = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.size = bytes.byteLength;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    if (offset < 0 || offset + length > this.size)
      throw truncated(offset, length, this.size, 'image');
    return Buffer.from(this.#bytes.subarray(offset, offset + length));
  }

  async close(): Promise<void> {}
}
