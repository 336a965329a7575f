import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IgnitionTypesError } from './errors.ts';
import { specVersionsAcceptedBy, stableSpecVersions } from './spec-versions.ts';

test('debianReleaseAcceptsUpTo33AndOneExperimental', () => {
  assert.deepEqual(specVersionsAcceptedBy('2.14.0'), [
    '3.0.0',
    '3.1.0',
    '3.2.0',
    '3.3.0',
    '3.4.0-experimental',
  ]);
});

test('newestReleaseAcceptsEveryStableSpec', () => {
  const accepted = specVersionsAcceptedBy('2.26.0');
  assert.deepEqual(accepted, [...stableSpecVersions, '3.7.0-experimental']);
});

test('releasesBefore2AcceptNoSpec3', () => {
  assert.deepEqual(specVersionsAcceptedBy('0.35.0'), []);
});

test('badReleaseStringIsRefused', () => {
  assert.throws(
    () => specVersionsAcceptedBy('v2'),
    (error: unknown) =>
      error instanceof IgnitionTypesError &&
      error.code === 'BAD_IGNITION_RELEASE' &&
      error.subject === 'v2' &&
      /must look like 2\.14\.0; got "v2"/.test(error.message),
  );
});
