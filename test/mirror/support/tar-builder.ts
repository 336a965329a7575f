import { type FileHandle, open } from 'node:fs/promises';

/**
 * A small tar writer for tests and benchmarks: ustar headers, PAX `x` records or GNU `L`
 * long names and base-256 sizes, and data left as holes (sparse files), so a multi-GiB
 * archive costs only its headers. Not part of the library: oc-mirror writes the real ones.
 */
const block = 512;
/** The largest size an 11-digit octal field holds: 8 GiB - 1. */
const maxOctalSize = 0o77777777777;

export type TarFormat = 'pax' | 'gnu';

export interface MemberOptions {
  typeflag?: string;
  mode?: number;
  linkName?: string;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

function header(name: string, size: number, format: TarFormat, options: MemberOptions): Buffer {
  const buffer = Buffer.alloc(block);
  buffer.write(name.slice(0, 100), 0, 'utf8');
  buffer.write(octal(options.mode ?? 0o644, 8), 100, 'latin1');
  buffer.write(octal(0, 8), 108, 'latin1');
  buffer.write(octal(0, 8), 116, 'latin1');
  if (size > maxOctalSize && format === 'gnu') {
    buffer[124] = 0x80;
    let rest = BigInt(size);
    for (let index = 135; index > 124; index--) {
      buffer[index] = Number(rest & 0xffn);
      rest >>= 8n;
    }
  } else {
    buffer.write(octal(Math.min(size, maxOctalSize), 12), 124, 'latin1');
  }
  buffer.write(octal(1_700_000_000, 12), 136, 'latin1');
  buffer.write(options.typeflag ?? '0', 156, 'latin1');
  if (options.linkName) buffer.write(options.linkName.slice(0, 100), 157, 'utf8');
  buffer.write(format === 'gnu' ? 'ustar  \0' : 'ustar\u000000', 257, 'latin1');
  buffer.write('        ', 148, 'latin1');
  let sum = 0;
  for (const byte of buffer) sum += byte;
  buffer.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return buffer;
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (`${length}${body}`.length !== length) length++;
  return `${length}${body}`;
}

export class TarBuilder {
  readonly #handle: FileHandle;
  readonly format: TarFormat;
  #offset = 0;

  private constructor(handle: FileHandle, format: TarFormat) {
    this.#handle = handle;
    this.format = format;
  }

  static async create(path: string, format: TarFormat = 'pax'): Promise<TarBuilder> {
    return new TarBuilder(await open(path, 'w'), format);
  }

  get offset(): number {
    return this.#offset;
  }

  async #write(bytes: Buffer): Promise<void> {
    await this.#handle.write(bytes, 0, bytes.length, this.#offset);
    this.#offset += bytes.length;
  }

  async #data(bytes: Buffer): Promise<void> {
    await this.#write(bytes);
    const pad = (block - (bytes.length % block)) % block;
    if (pad > 0) await this.#write(Buffer.alloc(pad));
  }

  /** Write raw bytes (for damaged archives). */
  async raw(bytes: Buffer): Promise<void> {
    await this.#write(bytes);
  }

  async #longHeaders(name: string, size: number, options: MemberOptions): Promise<void> {
    const longName = Buffer.byteLength(name) > 100;
    const longLink = (options.linkName?.length ?? 0) > 100;
    if (this.format === 'gnu') {
      if (longName) {
        const data = Buffer.from(`${name}\0`);
        await this.#write(header('././@LongLink', data.length, 'gnu', { typeflag: 'L' }));
        await this.#data(data);
      }
      if (longLink && options.linkName) {
        const data = Buffer.from(`${options.linkName}\0`);
        await this.#write(header('././@LongLink', data.length, 'gnu', { typeflag: 'K' }));
        await this.#data(data);
      }
      return;
    }
    let records = '';
    if (longName) records += paxRecord('path', name);
    if (longLink && options.linkName) records += paxRecord('linkpath', options.linkName);
    if (size > maxOctalSize) records += paxRecord('size', String(size));
    if (records === '') return;
    const data = Buffer.from(records);
    await this.#write(
      header(`PaxHeaders/${name.slice(-80)}`, data.length, 'pax', { typeflag: 'x' }),
    );
    await this.#data(data);
  }

  /** A regular file with these bytes. */
  async file(name: string, data: Buffer | string, options: MemberOptions = {}): Promise<number> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    await this.#longHeaders(name, bytes.length, options);
    await this.#write(header(name, bytes.length, this.format, options));
    const dataOffset = this.#offset;
    await this.#data(bytes);
    return dataOffset;
  }

  /** A regular file of `size` bytes left as a hole: sparse on disk, zeros when read. */
  async sparseFile(name: string, size: number): Promise<number> {
    await this.#longHeaders(name, size, {});
    await this.#write(header(name, size, this.format, {}));
    const dataOffset = this.#offset;
    this.#offset += Math.ceil(size / block) * block;
    return dataOffset;
  }

  async directory(name: string): Promise<void> {
    const withSlash = name.endsWith('/') ? name : `${name}/`;
    await this.#longHeaders(withSlash, 0, {});
    await this.#write(header(withSlash, 0, this.format, { typeflag: '5', mode: 0o755 }));
  }

  async entry(name: string, options: MemberOptions): Promise<void> {
    await this.#longHeaders(name, 0, options);
    await this.#write(header(name, 0, this.format, options));
  }

  /** The end-of-archive marker (two zero blocks), then close. */
  async end(options: { marker?: boolean } = {}): Promise<number> {
    if (options.marker !== false) await this.#write(Buffer.alloc(2 * block));
    await this.#handle.truncate(this.#offset);
    await this.#handle.close();
    return this.#offset;
  }
}

export { header as tarHeaderBlock };
