import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chooseRelease, RELEASE_OVERRIDE_VARIABLE } from './release.ts';

const digest = `sha256:${'1'.repeat(64)}`;
const other = `sha256:${'2'.repeat(64)}`;
const archive = (tags: { tag: string; digest: string }[]) => ({
  repositories: () => ['openshift/release', 'openshift/release-images'],
  tags: () => tags,
  manifests: (repository: string) =>
    repository === 'openshift/release-images' ? tags.map((tag) => tag.digest) : [],
  hasBlob: (wanted: string) => tags.some((tag) => tag.digest === wanted),
});
const one = archive([{ tag: '4.14.3-x86_64', digest }]);
/** What the mirror rules say: openshift/release-images serves ocp-release. */
const sourceOf = (repository: string) =>
  repository === 'openshift/release-images'
    ? 'quay.io/openshift-release-dev/ocp-release'
    : undefined;

test('singleRelease: without a choice the archive release is used, by digest', () => {
  const choice = chooseRelease(one, undefined, {}, sourceOf);
  assert.equal(choice.reference, `quay.io/openshift-release-dev/ocp-release@${digest}`);
  assert.equal(choice.origin, 'archive');
});

test('optionBeforeEnvironment: --release-image wins over the override variable', () => {
  const env = { [RELEASE_OVERRIDE_VARIABLE]: `quay.io/openshift-release-dev/ocp-release@${other}` };
  const choice = chooseRelease(
    one,
    'quay.io/openshift-release-dev/ocp-release:4.14.3-x86_64',
    env,
    sourceOf,
  );
  assert.equal(choice.digest, digest);
  assert.equal(choice.origin, 'option');
  assert.throws(
    () => chooseRelease(one, undefined, env, sourceOf),
    (error: Error & { code?: string }) =>
      error.code === 'RELEASE_NOT_IN_ARCHIVE' && error.message.includes(other),
  );
});

test('ambiguous: two releases need a choice; none is an error naming the fix', () => {
  assert.throws(
    () =>
      chooseRelease(
        archive([
          { tag: 'a', digest },
          { tag: 'b', digest: other },
        ]),
        undefined,
        {},
        sourceOf,
      ),
    { code: 'RELEASE_IMAGE_UNKNOWN' },
  );
  assert.throws(() => chooseRelease(archive([]), undefined, {}, sourceOf), {
    code: 'RELEASE_IMAGE_UNKNOWN',
  });
  assert.throws(
    () =>
      chooseRelease(one, 'quay.io/openshift-release-dev/ocp-release:4.15.0-x86_64', {}, sourceOf),
    { code: 'RELEASE_NOT_IN_ARCHIVE' },
  );
});

test('cosignSignatureTag: a release with its sha256-<hex>.sig tag is one release', () => {
  const signed = archive([
    { tag: '4.14.3-x86_64', digest },
    { tag: `sha256-${'1'.repeat(64)}.sig`, digest: other },
  ]);
  assert.equal(chooseRelease(signed, undefined, {}, sourceOf).digest, digest);
});

test('unknownSource: a release whose source nothing records is refused with the fix', () => {
  assert.throws(() => chooseRelease(one, undefined, {}, () => undefined), {
    code: 'RELEASE_IMAGE_UNKNOWN',
    message: /--release-image SOURCE@sha256:1{64}/,
  });
});
