import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { loadRegistriesConf, mergeRegistriesConfs } from './containers-registries.ts';
import { MirrorCheckError } from './errors.ts';
import { formatImageReference, parseImageReference } from './image-reference.ts';
import { attemptedReferences, findRegistry, resolvePullSources } from './resolve.ts';

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
      (error) => error instanceof MirrorCheckError && error.code === 'BAD_REFERENCE',
    );
  });
});

describe('loadRegistriesConf', () => {
  const rejects: [string, string][] = [
    ['both unset', '[[registry]]\ninsecure = true\n'],
    ['uri scheme', '[[registry]]\nlocation = "https://quay.io"\n'],
    ['pull-from-mirror on primary', '[[registry]]\nlocation = "q.io"\npull-from-mirror = "all"\n'],
    [
      'bad enum',
      '[[registry]]\nlocation = "q.io"\n[[registry.mirror]]\nlocation = "m.io"\npull-from-mirror = "digest"\n',
    ],
    [
      'digest-only conflict',
      '[[registry]]\nlocation = "q.io"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = "m.io"\npull-from-mirror = "all"\n',
    ],
    [
      'empty mirror location',
      '[[registry]]\nlocation = "q.io"\n[[registry.mirror]]\ninsecure = true\n',
    ],
    ['bad wildcard', '[[registry]]\nprefix = "*.example.com/foo"\nlocation = "m.io"\n'],
    ['location unset without wildcard', '[[registry]]\nprefix = "q.io/a"\n'],
    [
      'v1 and v2 mixed',
      '[registries.search]\nregistries = ["q.io"]\n[[registry]]\nlocation = "q.io"\n',
    ],
    ['wrong type', '[[registry]]\nlocation = "q.io"\nblocked = "yes"\n'],
    ['not toml', '[[registry]\n'],
  ];
  for (const [name, text] of rejects)
    test(`refuses ${name}`, () => {
      assert.throws(
        () => loadRegistriesConf(text),
        (error) => error instanceof MirrorCheckError && error.code === 'REGISTRIES_CONF_INVALID',
      );
    });

  test('conflictingBlockedForOneLocation', () => {
    assert.throws(
      () =>
        loadRegistriesConf(
          '[[registry]]\nprefix = "a.io/x"\nlocation = "m.io"\n[[registry]]\nprefix = "a.io/y"\nlocation = "m.io"\nblocked = true\n',
        ),
      (error) => error instanceof MirrorCheckError && error.code === 'REGISTRIES_CONF_CONFLICT',
    );
  });

  test('unknownKeysAreIgnoredAndListed', () => {
    const loaded = loadRegistriesConf(
      '[[registry]]\nlocation = "q.io"\nmirror-by-digest = true\n[[registry.mirror]]\nlocation = "m.io"\n',
      { origin: 'typo.conf' },
    );
    assert.deepEqual(loaded.ignoredKeys, [
      { origin: 'typo.conf', key: 'registry[0].mirror-by-digest' },
    ]);
    assert.deepEqual(attemptedReferences(resolvePullSources('q.io/a:1', loaded)), [
      'm.io/a:1',
      'q.io/a:1',
    ]);
  });
});

describe('parseImageReference', () => {
  const cases: [string, string][] = [
    ['busybox', 'docker.io/library/busybox:latest'],
    ['index.docker.io/foo/bar:1', 'docker.io/foo/bar:1'],
    ['localhost/app', 'localhost/app:latest'],
    [`localhost:5000/a/b@${D}`, `localhost:5000/a/b@${D}`],
    ['Quay.IO/x:1', 'Quay.IO/x:1'],
  ];
  for (const [input, expected] of cases)
    test(`normalises ${input}`, () => {
      assert.equal(formatImageReference(parseImageReference(input)), expected);
    });
  for (const bad of [
    '',
    'quay.io/UPPER:1',
    'quay.io/a@sha256:zz',
    'docker://quay.io/a',
    'quay.io/a:bad tag',
  ])
    test(`refuses ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => parseImageReference(bad),
        (error) => error instanceof MirrorCheckError && error.code === 'BAD_REFERENCE',
      );
    });
});
