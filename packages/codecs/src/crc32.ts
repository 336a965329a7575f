/**
 * CRC-32 (IEEE 802.3, as gzip, xz and GPT use it), the one implementation of the workspace:
 * Node's native `zlib.crc32` where it exists (20.15+, 22.2+), else a table-driven fallback.
 */
import * as zlib from 'node:zlib';

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The table version (also what `crc32` uses on a Node without `zlib.crc32`). */
export function crc32Table(bytes: Uint8Array, previous = 0): number {
  let crc = ~previous >>> 0;
  for (let index = 0; index < bytes.length; index++) {
    crc = (TABLE[(crc ^ (bytes[index] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return ~crc >>> 0;
}

const native = (zlib as unknown as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** Update a running CRC-32 (start with 0) with `bytes`. */
export function crc32(bytes: Uint8Array, previous = 0): number {
  return native === undefined ? crc32Table(bytes, previous) : native(bytes, previous) >>> 0;
}
