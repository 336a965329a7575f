import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MirrorFormatError } from '@hostmirror/oc-mirror-archive';
import { fixtureArchive, fixtureMirrorSets } from './mirror-sets.test-support.ts';
import {
  attemptedReferences,
  findRegistry,
  type PullSource,
  resolvePullSources,
} from './pull-sources.ts';
import { loadRegistriesConf, mergeRegistriesConfs } from './registries-conf.ts';
import { parseRegistriesConf } from './registries-conf-strict.ts';
import { mirrorRulesFromArchive, renderRegistriesConf } from './registries-conf-writer.ts';

const D = `sha256:${'e9'.repeat(32)}`;

const conf = loadRegistriesConf(
  `
[[registry]]
prefix = ""
location = "quay.io/openshift-release-dev/ocp-release"
blocked = true
[[registry.mirror]]
location = "mirror.local:5000/openshift/release-images"
pull-from-mirror = "digest-only"
[[registry.mirror]]
location = "mirror.local:5000/tags"
pull-from-mirror = "tag-only"

[[registry]]
location = "quay.io/openshift-release-dev/ocp-v4.0-art-dev"
mirror-by-digest-only = true
[[registry.mirror]]
location = "mirror.local:5000/openshift/release"

[[registry]]
location = "quay.io"
blocked = true

[[registry]]
prefix = "*.example.com"
location = ""
blocked = true

[[registry]]
prefix = "registry.example.com/team"
location = "mirror.local:5000/team"

[[registry]]
prefix = "docker.io/library"
location = "docker.io/library"
[[registry.mirror]]
location = "mirror.local:5000/dockerhub"
[[registry.mirror]]
location = "quay.io/blocked-mirror"
`,
  { origin: 'test.conf' },
);

/** [reference, expected attempted references (c/image "Trying to access" order), blocked ones]. */
const table: [string, string[], string[]][] = [
  [
    `quay.io/openshift-release-dev/ocp-release@${D}`,
    [
      `mirror.local:5000/openshift/release-images@${D}`,
      `quay.io/openshift-release-dev/ocp-release@${D}`,
    ],
    [`quay.io/openshift-release-dev/ocp-release@${D}`],
  ],
  [
    'quay.io/openshift-release-dev/ocp-release:4.14.3-x86_64',
    [
      'mirror.local:5000/tags:4.14.3-x86_64',
      'quay.io/openshift-release-dev/ocp-release:4.14.3-x86_64',
    ],
    ['quay.io/openshift-release-dev/ocp-release:4.14.3-x86_64'],
  ],
  [
    `quay.io/openshift-release-dev/ocp-v4.0-art-dev@${D}`,
    [
      `mirror.local:5000/openshift/release@${D}`,
      `quay.io/openshift-release-dev/ocp-v4.0-art-dev@${D}`,
    ],
    [],
  ],
  [
    'quay.io/openshift-release-dev/ocp-v4.0-art-dev:x',
    ['quay.io/openshift-release-dev/ocp-v4.0-art-dev:x'],
    [],
  ],
  ['quay.io/other/thing:1', ['quay.io/other/thing:1'], ['quay.io/other/thing:1']],
  // Nested path under a repository prefix: the rest of the path is kept.
  [
    `quay.io/openshift-release-dev/ocp-release/nested@${D}`,
    [
      `mirror.local:5000/openshift/release-images/nested@${D}`,
      `quay.io/openshift-release-dev/ocp-release/nested@${D}`,
    ],
    [`quay.io/openshift-release-dev/ocp-release/nested@${D}`],
  ],
  // A prefix matches only at a separator: ocp-release-extra is not under ocp-release.
  [
    'quay.io/openshift-release-dev/ocp-release-extra:1',
    ['quay.io/openshift-release-dev/ocp-release-extra:1'],
    ['quay.io/openshift-release-dev/ocp-release-extra:1'],
  ],
  ['a.example.com/x:1', ['a.example.com/x:1'], ['a.example.com/x:1']],
  ['a.b.example.com/x:1', ['a.b.example.com/x:1'], ['a.b.example.com/x:1']],
  ['example.com/x:1', ['example.com/x:1'], []],
  // Longest prefix: the literal registry.example.com/team beats *.example.com.
  ['registry.example.com/team/app:2', ['mirror.local:5000/team/app:2'], []],
  [
    'registry.example.com/other/app:2',
    ['registry.example.com/other/app:2'],
    ['registry.example.com/other/app:2'],
  ],
  // Short names become docker.io/library/…; a mirror under a blocked prefix is blocked.
  [
    'busybox',
    [
      'mirror.local:5000/dockerhub/busybox:latest',
      'quay.io/blocked-mirror/busybox:latest',
      'docker.io/library/busybox:latest',
    ],
    ['quay.io/blocked-mirror/busybox:latest'],
  ],
];

describe('resolvePullSources', () => {
  for (const [reference, attempted, blocked] of table)
    test(`attempts ${reference}`, () => {
      const sources = resolvePullSources(reference, conf);
      assert.deepEqual(attemptedReferences(sources), attempted);
      assert.deepEqual(
        sources.filter((source) => source.status === 'blocked').map((source) => source.reference),
        blocked,
      );
    });

  test('skippedMirrorsKeepTheirPlaceAndReason', () => {
    const sources = resolvePullSources(
      'quay.io/openshift-release-dev/ocp-release:4.14.3-x86_64',
      conf,
    );
    assert.equal(sources[0]?.status, 'skipped');
    assert.match(sources[0]?.reason ?? '', /digest-only/);
    const byDigest = resolvePullSources(`quay.io/openshift-release-dev/ocp-release@${D}`, conf);
    assert.equal(byDigest[1]?.status, 'skipped');
    assert.match(byDigest[1]?.reason ?? '', /tag-only/);
    const mirrorByDigestOnly = resolvePullSources(
      'quay.io/openshift-release-dev/ocp-v4.0-art-dev:x',
      conf,
    );
    assert.equal(mirrorByDigestOnly[0]?.status, 'skipped');
    assert.match(mirrorByDigestOnly[0]?.reason ?? '', /mirror-by-digest-only/);
  });

  test('wildcardTieGoesToTheWildcardBecauseItSortsFirst', () => {
    const tie = loadRegistriesConf(`
[[registry]]
prefix = "a.example.com"
location = "m.local/lit"
[[registry]]
prefix = "*.example.com"
location = "m.local/wild"
`);
    assert.deepEqual(attemptedReferences(resolvePullSources('a.example.com/y:1', tie)), [
      'm.local/wild/y:1',
    ]);
    assert.deepEqual(attemptedReferences(resolvePullSources('b.example.com/y:1', tie)), [
      'm.local/wild/y:1',
    ]);
  });

  test('blockedSourceRewrittenElsewhereIsNotBlocked', () => {
    const rewritten = loadRegistriesConf(`
[[registry]]
prefix = "quay.io/foo"
location = "m.local/bar"
blocked = true
`);
    const [source] = resolvePullSources('quay.io/foo/x:1', rewritten);
    assert.equal(source?.reference, 'm.local/bar/x:1');
    assert.equal(source?.status, 'try');
  });

  test('hostPrefixMatchesAPortedHostAsCImageDoes', () => {
    const ported = loadRegistriesConf('[[registry]]\nlocation = "example.com"\nblocked = true\n');
    assert.equal(findRegistry('example.com:5000/x', ported)?.prefix, 'example.com');
  });

  test('firstTableWinsForTheSamePrefixAndDropInsReplaceIt', () => {
    const text = `
[[registry]]
location = "quay.io/a"
[[registry.mirror]]
location = "m.local/first"
[[registry]]
location = "quay.io/a"
[[registry.mirror]]
location = "m.local/second"
`;
    const main = loadRegistriesConf(text);
    assert.equal(
      attemptedReferences(resolvePullSources('quay.io/a/b:1', main))[0],
      'm.local/first/b:1',
    );
    const dropIn = loadRegistriesConf('[[registry]]\nlocation = "quay.io/a"\n', {
      origin: '99.conf',
      dropIn: true,
    });
    const merged = mergeRegistriesConfs(main, dropIn);
    assert.deepEqual(attemptedReferences(resolvePullSources('quay.io/a/b:1', merged)), [
      'quay.io/a/b:1',
    ]);
  });

  test('nonCanonicalRewriteIsATypedError', () => {
    const upper = loadRegistriesConf(
      '[[registry]]\nprefix = "quay.io/a"\nlocation = "m.local/Upper"\n',
    );
    assert.throws(
      () => resolvePullSources('quay.io/a/b:1', upper),
      (error) => error instanceof MirrorFormatError && error.code === 'BAD_IMAGE_REFERENCE',
    );
  });
});

/** The sources c/image contacts (status `try`), as [role, reference]. */
function contacted(sources: readonly PullSource[]): [string, string][] {
  return sources
    .filter((source) => source.status === 'try')
    .map((source) => [source.role, source.reference]);
}

const M = 'mirror.local:5000';
const resources = fixtureMirrorSets();

describe('resolvePullSources on the drop-in hostmirror writes', () => {
  const archive = fixtureArchive;
  const written = parseRegistriesConf(
    renderRegistriesConf({
      rules: mirrorRulesFromArchive(resources, archive, { host: M, neverContactSource: true }),
    }),
  );

  test('digestPullGoesToMirror', () => {
    const sources = resolvePullSources(`quay.io/openshift-release-dev/ocp-release@${D}`, written);
    assert.deepEqual(contacted(sources), [['mirror', `${M}/openshift/release-images@${D}`]]);
    assert.equal(sources.at(-1)?.status, 'blocked');
  });

  test('tagPullBlockedUnderDigestOnly', () => {
    const sources = resolvePullSources(
      'quay.io/openshift-release-dev/ocp-release:4.14.3-x86_64',
      written,
    );
    assert.deepEqual(contacted(sources), []);
    assert.deepEqual(
      sources.map((source) => source.status),
      ['skipped', 'blocked'],
    );
  });

  test('tagOnlyMirrorSkipsDigests', () => {
    assert.deepEqual(contacted(resolvePullSources('registry.redhat.io/ubi9/ubi:9.3', written)), [
      ['mirror', `${M}/ubi9/ubi:9.3`],
    ]);
    assert.deepEqual(
      contacted(resolvePullSources(`registry.redhat.io/ubi9/ubi@${D}`, written)),
      [],
    );
  });

  test('longestPrefixWinsAndSeparatorsMatter', () => {
    const conf = parseRegistriesConf(
      '[[registry]]\nlocation = "quay.io"\nblocked = true\n[[registry]]\nlocation = "quay.io/openshift-release-dev/ocp-release"\n[[registry.mirror]]\nlocation = "m:1/r"\n[[registry]]\nprefix = "*.quay.io"\nblocked = true\n',
    );
    assert.deepEqual(
      attemptedReferences(
        resolvePullSources(`quay.io/openshift-release-dev/ocp-release@${D}`, conf),
      ),
      [`m:1/r@${D}`, `quay.io/openshift-release-dev/ocp-release@${D}`],
    );
    assert.equal(
      findRegistry('quay.io/openshift-release-dev/ocp-release-x', conf)?.prefix,
      'quay.io',
    );
    assert.equal(findRegistry('cdn.quay.io/a', conf)?.prefix, '*.quay.io');
    assert.equal(findRegistry('docker.io/library/busybox', conf), undefined);
    // The old formats resolver kept `docker.io/library/busybox` without a tag; c/image adds
    // `:latest` (skopeo-verified: case ['idms', 'busybox'] in
    // test/mirror-check/resolver-vs-skopeo.test.ts).
    assert.deepEqual(attemptedReferences(resolvePullSources('busybox', conf)), [
      'docker.io/library/busybox:latest',
    ]);
  });

  test('mirrorByDigestOnlyAndDropInsReplace', () => {
    const main = parseRegistriesConf(
      '[[registry]]\nprefix = ""\nlocation = "quay.io/a"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = "m:1/a"\n',
    );
    assert.deepEqual(contacted(resolvePullSources('quay.io/a:1', main)), [
      ['primary', 'quay.io/a:1'],
    ]);
    const dropIn = parseRegistriesConf(
      '[[registry]]\nlocation = "quay.io/a"\n[[registry.mirror]]\nlocation = "m:1/a"\n',
    );
    const merged = mergeRegistriesConfs(main, dropIn);
    assert.equal(merged.registries.length, 1);
    assert.deepEqual(attemptedReferences(resolvePullSources('quay.io/a:1', merged)), [
      'm:1/a:1',
      'quay.io/a:1',
    ]);
  });
});
