import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  CodecError,
  createCompressor,
  decodeOneStream,
  type PushbackReader,
  parseZstdFrameHeader,
  type StreamCodec,
} from './index.ts';

/** The reader decodeOneStream needs, over bytes in memory (handing them on in small pieces). */
class BytesReader implements PushbackReader {
  offset = 0;
  private pending: Uint8Array = new Uint8Array(0);
  private readonly bytes: Uint8Array;
  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }
  private available(): Uint8Array {
    return Buffer.concat([this.pending, this.bytes.subarray(this.offset + this.pending.length)]);
  }
  async peek(length: number): Promise<Uint8Array> {
    return this.available().subarray(0, length);
  }
  async read(length: number): Promise<Uint8Array> {
    const out = this.available().subarray(0, length);
    this.consume(out.length);
    return out;
  }
  async readChunk(max: number): Promise<Uint8Array | null> {
    const out = this.available().subarray(0, Math.min(max, 1000));
    if (out.length === 0) return null;
    this.consume(out.length);
    return out;
  }
  unshift(chunk: Uint8Array): void {
    this.pending = Buffer.concat([chunk, this.pending]);
    this.offset -= chunk.length;
  }
  private consume(length: number): void {
    const fromPending = Math.min(length, this.pending.length);
    this.pending = this.pending.subarray(fromPending);
    this.offset += length;
  }
}

async function compress(codec: StreamCodec, data: Buffer): Promise<Buffer> {
  if (codec === 'gzip') return gzipSync(data);
  const stream = await createCompressor(codec, { level: 1 });
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const chunk of stream) chunks.push(chunk as Buffer);
  })();
  stream.end(data);
  await done;
  return Buffer.concat(chunks);
}

async function decodeAll(codec: StreamCodec, reader: PushbackReader) {
  const parts: Buffer[] = [];
  const stream = await decodeOneStream(codec, reader, async (content) => {
    for await (const chunk of content) parts.push(Buffer.from(chunk));
  });
  return { stream, content: Buffer.concat(parts) };
}

const first = Buffer.from('first stream '.repeat(3000));
const second = Buffer.from('second');

for (const codec of ['gzip', 'xz', 'zstd'] as const)
  test(`decodeOneStream ${codec}: exactly one stream, the reader left right after it`, async () => {
    const one = await compress(codec, first);
    const two = await compress(codec, second);
    const reader = new BytesReader(Buffer.concat([one, two, Buffer.from('TAIL')]));
    const a = await decodeAll(codec, reader);
    assert.ok(a.content.equals(first), `${codec}: first stream decoded`);
    assert.deepEqual(
      [a.stream.offset, a.stream.length, a.stream.decodedBytes, reader.offset],
      [0, one.length, first.length, one.length],
    );
    if (codec === 'gzip')
      assert.deepEqual(a.stream.gzipTrailer, { offset: one.length - 8, matches: true });
    const b = await decodeAll(codec, reader);
    assert.ok(b.content.equals(second));
    assert.equal(reader.offset, one.length + two.length);
    assert.equal(Buffer.from(await reader.read(10)).toString(), 'TAIL');
  });

test('decodeOneStream gzip: a trailer that does not match is reported, not thrown', async () => {
  const member = gzipSync(first);
  member.writeUInt32LE((member.readUInt32LE(member.length - 8) ^ 1) >>> 0, member.length - 8);
  const { stream, content } = await decodeAll('gzip', new BytesReader(member));
  assert.ok(content.equals(first));
  assert.deepEqual(stream.gzipTrailer, { offset: member.length - 8, matches: false });
});

test('decodeOneStream: a cut stream is TRUNCATED, a broken structure CORRUPT, with the byte offset', async () => {
  for (const codec of ['gzip', 'xz', 'zstd'] as const) {
    const whole = await compress(codec, first);
    await assert.rejects(
      decodeAll(codec, new BytesReader(whole.subarray(0, whole.length - 6))),
      (error: unknown) => {
        assert.ok(error instanceof CodecError, `${codec}: ${String(error)}`);
        assert.equal(error.code, 'TRUNCATED', `${codec}: ${error.message}`);
        assert.equal(error.codec, codec);
        assert.ok(error.offset !== undefined && error.fix !== undefined);
        return true;
      },
    );
  }
  // zstd block type 3 is reserved (RFC 8878 §3.1.1.2.2): a frame header, then such a block.
  const zstd = await compress('zstd', first);
  const headerLength = parseZstdFrameHeader(zstd)?.headerLength ?? 0;
  assert.ok(headerLength > 4);
  const broken = Buffer.concat([zstd.subarray(0, headerLength), Buffer.from([0b111, 0, 0])]);
  await assert.rejects(decodeAll('zstd', new BytesReader(broken)), (error: unknown) => {
    assert.ok(error instanceof CodecError && error.code === 'CORRUPT', String(error));
    assert.equal(error.offset, headerLength);
    return true;
  });
  // A gzip member whose method is not deflate.
  const gzip = gzipSync(first);
  gzip[2] = 7;
  await assert.rejects(decodeAll('gzip', new BytesReader(gzip)), (error: unknown) => {
    assert.ok(error instanceof CodecError && error.code === 'CORRUPT', String(error));
    assert.match(error.message, /method 7, not deflate/);
    return true;
  });
});
