import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CodecError, gunzipBytes, gzipBytes } from './index.ts';

const text = Buffer.from('hostmirror '.repeat(1000));

test('gzipBytes: deterministic, no timestamp; gunzipBytes gives the bytes back', () => {
  const one = gzipBytes(text);
  assert.ok(one.equals(gzipBytes(text)), 'the same bytes give the same gzip');
  assert.equal(one.readUInt32LE(4), 0, 'mtime 0');
  assert.ok(gunzipBytes(one, { maxBytes: text.length }).equals(text));
});

test('gunzipBytes refuses to grow past maxBytes (a gzip bomb), a cut stream and non-gzip data', () => {
  const bomb = gzipBytes(Buffer.alloc(4 * 1024 * 1024));
  assert.ok(bomb.length < 10_000, `${bomb.length} bytes of gzip`);
  const expectCode = (code: string) => (error: unknown) => {
    assert.ok(error instanceof CodecError, String(error));
    assert.equal(error.code, code, error.message);
    assert.equal(error.codec, 'gzip');
    assert.ok((error.fix ?? '').length > 0);
    return true;
  };
  assert.throws(() => gunzipBytes(bomb, { maxBytes: 1024 * 1024 }), expectCode('TOO_LARGE'));
  const whole = gzipBytes(text);
  assert.throws(
    () => gunzipBytes(whole.subarray(0, whole.length - 12), { maxBytes: 1e6 }),
    expectCode('TRUNCATED'),
  );
  assert.throws(
    () => gunzipBytes(Buffer.from('not gzip at all'), { maxBytes: 1e6 }),
    expectCode('CORRUPT'),
  );
});
