import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import { decodeDataUrl, encodeDataUrl, percentEncode, tryDecodeDataUrl } from './data-url.ts';

test('percentEncodeKeepsOnlyRfc2396Unreserved', () => {
  assert.equal(
    percentEncode(Buffer.from("aZ09-_.!~*'() {}/%é")),
    "aZ09-_.!~*'()%20%7B%7D%2F%25%C3%A9",
  );
});

test('shortTextIsPercentEncodedWithExplicitEmptyCompression', () => {
  assert.deepEqual(encodeDataUrl('hello world\n'), {
    source: 'data:,hello%20world%0A',
    compression: '',
  });
});

test('binaryPrefersBase64', () => {
  const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const { source, compression } = encodeDataUrl(bytes, { compress: 'never' });
  assert.ok(source.startsWith('data:;base64,'));
  assert.equal(compression, '');
  assert.deepEqual(decodeDataUrl(source), bytes);
});

test('repetitiveTextIsGzipped', () => {
  const text = 'line\n'.repeat(1000);
  const { source, compression } = encodeDataUrl(text);
  assert.equal(compression, 'gzip');
  assert.equal(gunzipSync(decodeDataUrl(source)).toString(), text);
  assert.equal(encodeDataUrl(text, { compress: 'never' }).compression, '');
});

test('deterministic', () => {
  const text = 'same bytes\n'.repeat(300);
  assert.equal(encodeDataUrl(text).source, encodeDataUrl(text).source);
});

test('roundtripEveryByte', () => {
  for (let byte = 0; byte < 256; byte++) {
    const bytes = Buffer.from([byte, byte, 65]);
    assert.deepEqual(decodeDataUrl(encodeDataUrl(bytes).source), bytes);
  }
});

test('lexerMessagesMatchIgnition', () => {
  assert.equal(tryDecodeDataUrl('data:,{}'), 'invalid data character');
  assert.equal(tryDecodeDataUrl('data:text/plain;charset,hi'), 'expected base64, got charset');
  assert.equal(tryDecodeDataUrl('data:;base64,aGk'), 'illegal base64 data at input byte 0');
  assert.deepEqual(tryDecodeDataUrl('data:text/plain;a="q";b=c,x%41'), Buffer.from('xA'));
});

test('decodeErrorIsTyped', () => {
  assert.throws(() => decodeDataUrl('data:,a b'), { code: 'DATA_URL_INVALID' });
});
