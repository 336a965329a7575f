import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IsoError } from './errors.ts';
import { editKargs, formatKargsArea, parseKargsArea, withoutKarg } from './kargs.ts';

const code = (expected: string) => (error: unknown) =>
  error instanceof IsoError && error.code === expected;

test('areaRoundtrip: kargs, end, pad to size; parsed back', () => {
  const area = formatKargsArea('  a=1 b  ', 16, '#', '\n');
  assert.equal(area.toString(), 'a=1 b\n##########');
  assert.equal(parseKargsArea(area, '#', '\n'), 'a=1 b');
  const s390x = formatKargsArea('a', 4, '\0', '\0');
  assert.deepEqual([...s390x], [0x61, 0, 0, 0]);
  assert.equal(parseKargsArea(s390x, '\0', '\0'), 'a');
});

test('maxLengthKargs: size-1 bytes fit, size bytes are KARGS_TOO_LARGE', () => {
  assert.equal(formatKargsArea('x'.repeat(15), 16, '#', '\n').toString(), `${'x'.repeat(15)}\n`);
  assert.throws(() => formatKargsArea('x'.repeat(16), 16, '#', '\n'), code('KARGS_TOO_LARGE'));
});

test('editOrder: delete, replace, then append; misses are KARG_NOT_FOUND', () => {
  const base = 'a=1 console=ttyS0 quiet';
  assert.equal(
    editKargs(base, { delete: ['quiet'], replace: ['console=ttyS0=tty0'], append: ['x y'] }),
    'a=1 console=tty0 x y',
  );
  assert.equal(editKargs(base, { append: ['quiet', 'x=1 x=1'] }), 'a=1 console=ttyS0 quiet x=1');
  assert.throws(() => editKargs(base, { delete: ['nope'] }), code('KARG_NOT_FOUND'));
  assert.throws(() => editKargs(base, { replace: ['a=2=3'] }), code('KARG_NOT_FOUND'));
  assert.equal(withoutKarg('coreos.liveiso=X a coreos.liveiso b', 'coreos.liveiso'), 'a b');
});
