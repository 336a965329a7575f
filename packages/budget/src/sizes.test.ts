import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BudgetInputError, formatBytes, parseSize } from './index.ts';

test('parsesBinaryAndDecimalUnits', () => {
  assert.equal(parseSize('16GiB', '--ram'), 16 * 1024 ** 3);
  assert.equal(parseSize('16G', '--ram'), 16 * 1024 ** 3);
  assert.equal(parseSize('16gi', '--ram'), 16 * 1024 ** 3);
  assert.equal(parseSize('9GB', 'x'), 9_000_000_000);
  assert.equal(parseSize('512MiB', 'x'), 512 * 1024 ** 2);
  assert.equal(parseSize('1.5 GiB', 'x'), 1.5 * 1024 ** 3);
  assert.equal(parseSize('262144', 'x'), 262_144);
});

test('refusesWhatIsNotASize', () => {
  for (const bad of ['', 'lots', '16 parsecs', '-1G', '1e9'])
    assert.throws(
      () => parseSize(bad, '--ram'),
      (error) =>
        error instanceof BudgetInputError &&
        error.code === 'BAD_SIZE' &&
        error.message.startsWith('--ram:'),
    );
});

test('formatsBinaryUnits', () => {
  assert.equal(formatBytes(262_144), '256.00 KiB');
  assert.equal(formatBytes(1000), '1000 B');
  assert.equal(formatBytes(16 * 1024 ** 3), '16.00 GiB');
  assert.equal(formatBytes(-(1024 ** 2)), '-1.00 MiB');
});
