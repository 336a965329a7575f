/**
 * A pull reader over an async byte source: peek, read exact lengths, stream or skip a range,
 * push bytes back. It buffers only what a caller asked for, so a body can be streamed or
 * skipped without holding it in memory. `offset` counts the bytes consumed since the start
 * (plus `startOffset`), which is how errors report byte offsets.
 */
export class ByteReader {
  private readonly iterator: AsyncIterator<Uint8Array>;
  private readonly chunks: Uint8Array[] = [];
  private bufferedLength = 0;
  private ended = false;
  private consumed: number;

  constructor(source: AsyncIterable<Uint8Array>, startOffset = 0) {
    this.iterator = source[Symbol.asyncIterator]();
    this.consumed = startOffset;
  }

  /** Offset of the next unread byte. */
  get offset(): number {
    return this.consumed;
  }

  /** Bytes buffered and not yet consumed. */
  get buffered(): number {
    return this.bufferedLength;
  }

  /** Pull from the source until at least `length` bytes are buffered; false if it ends first. */
  async fill(length: number): Promise<boolean> {
    while (this.bufferedLength < length && !this.ended) {
      const next = await this.iterator.next();
      if (next.done) {
        this.ended = true;
        break;
      }
      const chunk = next.value;
      if (chunk.length === 0) continue;
      this.chunks.push(chunk);
      this.bufferedLength += chunk.length;
    }
    return this.bufferedLength >= length;
  }

  /** True when no byte is left. */
  async atEnd(): Promise<boolean> {
    return !(await this.fill(1));
  }

  /** Up to `length` bytes without consuming them (fewer only at the end of the input). */
  async peek(length: number): Promise<Uint8Array> {
    await this.fill(length);
    return this.copyOut(Math.min(length, this.bufferedLength), false);
  }

  /** Consume up to `length` bytes (fewer only at the end of the input). */
  async read(length: number): Promise<Uint8Array> {
    await this.fill(length);
    return this.copyOut(Math.min(length, this.bufferedLength), true);
  }

  /**
   * Consume and return at most `max` bytes in one piece, without copying when a whole buffered
   * chunk fits; null at the end of the input.
   */
  async readChunk(max: number): Promise<Uint8Array | null> {
    if (max <= 0) return new Uint8Array(0);
    if (!(await this.fill(1))) return null;
    const head = this.chunks[0] as Uint8Array;
    if (head.length <= max) {
      this.chunks.shift();
      this.bufferedLength -= head.length;
      this.consumed += head.length;
      return head;
    }
    this.chunks[0] = head.subarray(max);
    this.bufferedLength -= max;
    this.consumed += max;
    return head.subarray(0, max);
  }

  /** Consume `length` bytes without keeping them; returns how many were skipped. */
  async skip(length: number): Promise<number> {
    let skipped = 0;
    while (skipped < length) {
      const chunk = await this.readChunk(length - skipped);
      if (chunk === null) break;
      skipped += chunk.length;
    }
    return skipped;
  }

  /** Consume zero bytes up to the first non-zero byte or the end; returns how many. */
  async skipZeros(): Promise<number> {
    let skipped = 0;
    while (await this.fill(1)) {
      const head = this.chunks[0] as Uint8Array;
      let index = 0;
      while (index < head.length && head[index] === 0) index++;
      if (index === 0) break;
      skipped += index;
      await this.skip(index);
    }
    return skipped;
  }

  /** Put bytes back in front; the offset moves back by their length. */
  unshift(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.unshift(chunk);
    this.bufferedLength += chunk.length;
    this.consumed -= chunk.length;
  }

  /** Stop pulling from the source (for example when the reader is abandoned). */
  async close(): Promise<void> {
    this.ended = true;
    this.chunks.length = 0;
    this.bufferedLength = 0;
    await this.iterator.return?.();
  }

  private copyOut(length: number, consume: boolean): Uint8Array {
    const head = this.chunks[0];
    if (head !== undefined && head.length >= length) {
      const slice = head.subarray(0, length);
      if (consume) this.dropFront(length);
      return slice;
    }
    const out = new Uint8Array(length);
    let written = 0;
    for (const chunk of this.chunks) {
      if (written >= length) break;
      const take = Math.min(chunk.length, length - written);
      out.set(chunk.subarray(0, take), written);
      written += take;
    }
    if (consume) this.dropFront(length);
    return out;
  }

  private dropFront(length: number): void {
    let remaining = length;
    while (remaining > 0) {
      const head = this.chunks[0] as Uint8Array;
      if (head.length <= remaining) {
        this.chunks.shift();
        remaining -= head.length;
      } else {
        this.chunks[0] = head.subarray(remaining);
        remaining = 0;
      }
    }
    this.bufferedLength -= length;
    this.consumed += length;
  }
}
