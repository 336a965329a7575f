import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { ByteReader, type NewcEntryInput, readNewc, writeNewc } from './index.ts';

/** A deterministic pseudo-random sequence (xorshift32), so a failure can be replayed by its seed. */
function random(seed: number): () => number {
  let state = seed || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

const NAME_PARTS = ['a', 'bin', 'etc', 'ünï', '日本', 'x y', 'dot.d', 'long-name-'.repeat(8)];

function randomEntries(next: () => number): NewcEntryInput[] {
  const entries = new Map<string, NewcEntryInput>();
  const count = 1 + Math.floor(next() * 30);
  for (let index = 0; index < count; index++) {
    const depth = 1 + Math.floor(next() * 4);
    const path = Array.from(
      { length: depth },
      () => NAME_PARTS[Math.floor(next() * NAME_PARTS.length)],
    ).join('/');
    const kind = next();
    const size = Math.floor(next() ** 3 * 70_000);
    if (kind < 0.6) {
      const data = randomBytes(size);
      entries.set(
        path,
        next() < 0.5
          ? { path, type: 'file', data, mode: 0o640 }
          : {
              path,
              type: 'file',
              size,
              stream: () => Readable.from([data.subarray(0, size >> 1), data.subarray(size >> 1)]),
            },
      );
    } else if (kind < 0.8) entries.set(path, { path, type: 'directory', mode: 0o700 });
    else entries.set(path, { path, type: 'symlink', target: `../${path}` });
  }
  // A path cannot be both a file and a folder: keep the deepest entries only where they clash.
  for (const path of [...entries.keys()]) {
    const parts = path.split('/');
    for (let cut = 1; cut < parts.length; cut++) {
      const parent = parts.slice(0, cut).join('/');
      if (entries.get(parent)?.type !== 'directory') entries.delete(parent);
    }
  }
  return [...entries.values()];
}

async function expectedBody(entry: NewcEntryInput): Promise<Buffer> {
  if (entry.type === 'symlink') return Buffer.from(entry.target ?? '');
  if (entry.stream !== undefined)
    return buffer(Readable.from(entry.stream() as AsyncIterable<Uint8Array>));
  return Buffer.from(entry.data ?? '');
}

describe('newc roundtrip over random trees', () => {
  for (const seed of [1, 7, 42, 1234, 99991]) {
    it(`roundtrip seed ${seed}`, async () => {
      const next = random(seed);
      const entries = randomEntries(next);
      const bytes = await buffer(writeNewc(entries));
      assert.equal(bytes.length % 4, 0);
      const chunk = 1 + Math.floor(next() * 5000);
      const source = (async function* () {
        for (let at = 0; at < bytes.length; at += chunk) yield bytes.subarray(at, at + chunk);
      })();
      const seen = new Map<string, Buffer>();
      const order: string[] = [];
      for await (const entry of readNewc(source)) {
        order.push(entry.path);
        seen.set(entry.path, Buffer.from(await entry.bytes()));
      }
      for (const input of entries) {
        const name = input.path;
        assert.ok(seen.has(name), `${name} missing`);
        assert.ok((seen.get(name) as Buffer).equals(await expectedBody(input)), `${name} differs`);
      }
      for (const [index, path] of order.entries()) {
        const parent = path.slice(0, Math.max(0, path.lastIndexOf('/')));
        if (parent !== '')
          assert.ok(order.slice(0, index).includes(parent), `${path} before ${parent}`);
      }
    });
  }

  it('unsortedAsyncInputKeepsOrderAndStillAddsParents', async () => {
    async function* entries(): AsyncGenerator<NewcEntryInput> {
      yield { path: 'z/last', type: 'file', data: '1' };
      yield { path: 'a/first', type: 'file', data: '2' };
    }
    const paths: string[] = [];
    for await (const entry of readNewc(writeNewc(entries(), { sort: false })))
      paths.push(entry.path);
    assert.deepEqual(paths, ['z', 'z/last', 'a', 'a/first']);
  });

  it('crcFormatAndUpperCaseHexRead', async () => {
    const bytes = Buffer.from(await buffer(writeNewc([{ path: 'f', type: 'file', data: 'abc' }])));
    bytes.write('070702', 0, 'latin1');
    const header = bytes.subarray(6, 110).toString('latin1').toUpperCase();
    bytes.write(header, 6, 'latin1');
    const read: [string, number, string][] = [];
    for await (const entry of readNewc(Readable.from([bytes]))) {
      read.push([entry.path, entry.size, Buffer.from(await entry.bytes()).toString()]);
    }
    assert.deepEqual(read, [['f', 3, 'abc']]);
  });

  it('byteReaderPeekReadSkipUnshiftAcrossChunks', async () => {
    const reader = new ByteReader(
      Readable.from([Buffer.from('ab'), Buffer.from('cde'), Buffer.from('\0\0\0f')]),
    );
    assert.equal(Buffer.from(await reader.peek(4)).toString(), 'abcd');
    assert.equal(reader.offset, 0);
    assert.equal(Buffer.from(await reader.read(3)).toString(), 'abc');
    reader.unshift(Buffer.from('c'));
    assert.equal(reader.offset, 2);
    assert.equal(await reader.skip(3), 3);
    assert.equal(await reader.skipZeros(), 3);
    assert.equal(Buffer.from(await reader.read(10)).toString(), 'f');
    assert.equal(await reader.atEnd(), true);
    assert.equal(reader.offset, 9);
  });
});
