import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HostmirrorError, isHostmirrorError } from './index.ts';

type PartErrorCode = 'TOO_LARGE' | 'NOT_FOUND';

class PartError extends HostmirrorError<PartErrorCode> {}

test('subclassKeepsItsNameAndCode', () => {
  const error = new PartError('TOO_LARGE', 'The archive is too large: 300000 > 262144.');
  assert.ok(error instanceof Error);
  assert.ok(error instanceof HostmirrorError);
  assert.equal(error.name, 'PartError');
  assert.equal(error.code, 'TOO_LARGE');
  assert.equal(error.message, 'The archive is too large: 300000 > 262144.');
  assert.match(String(error.stack), /^PartError: The archive is too large/);
});

test('detailsAreKeptFieldByField', () => {
  const cause = new Error('ENOENT');
  const error = new PartError('NOT_FOUND', 'No kargs area.', {
    subject: 'coreos/kargs.json',
    path: 'live.iso',
    offset: 32768,
    jsonPath: '$.files.0',
    line: 3,
    column: 7,
    fix: 'Use a CoreOS live ISO from 2021 or later.',
    cause,
  });
  assert.equal(error.subject, 'coreos/kargs.json');
  assert.deepEqual(error.place, {
    path: 'live.iso',
    offset: 32768,
    jsonPath: '$.files.0',
    line: 3,
    column: 7,
  });
  assert.equal(error.fix, 'Use a CoreOS live ISO from 2021 or later.');
  assert.equal(error.cause, cause);
});

test('toJsonLeavesOutWhatIsNotKnown', () => {
  const error = new PartError('NOT_FOUND', 'No such file.', { path: 'a.iso', offset: 0 });
  assert.deepEqual(JSON.parse(JSON.stringify(error)), {
    name: 'PartError',
    code: 'NOT_FOUND',
    message: 'No such file.',
    path: 'a.iso',
    offset: 0,
  });
  assert.equal('cause' in error, false);
});

test('isHostmirrorErrorRecognisesOnlyHostmirrorErrors', () => {
  assert.equal(isHostmirrorError(new PartError('NOT_FOUND', 'x')), true);
  const systemError = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
  assert.equal(isHostmirrorError(systemError), false);
  assert.equal(isHostmirrorError({ code: 'NOT_FOUND', message: 'x' }), false);
  // An error from another installed copy of this package carries the same registered symbol.
  const foreign = new Error('from another copy');
  Object.defineProperty(foreign, Symbol.for('@hostmirror/errors.HostmirrorError'), { value: true });
  assert.equal(isHostmirrorError(foreign), true);
});
