import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  collectClusterResources,
  MirrorFormatError,
  parseClusterResourceFile,
} from '@hostmirror/oc-mirror-archive';
import { fixtureArchive, fixtureMirrorSets } from './mirror-sets.test-support.ts';
import { attemptedReferences, resolvePullSources } from './pull-sources.ts';
import { loadRegistriesConf } from './registries-conf.ts';
import { parseRegistriesConf, validateRegistriesConf } from './registries-conf-strict.ts';
import {
  mirrorRulesFromArchive,
  mirrorRulesFromPairs,
  relocateMirror,
  renderRegistriesConf,
} from './registries-conf-writer.ts';

const D = `sha256:${'e9'.repeat(32)}`;
const M = 'mirror.local:5000';
const archive = fixtureArchive;
const resources = fixtureMirrorSets();

function errorCodes(text: string): string[] {
  return validateRegistriesConf(text).errors.map((issue) => issue.code);
}

describe('registries.conf writer', () => {
  it('rendersMcoShape', () => {
    const text = renderRegistriesConf({
      rules: mirrorRulesFromArchive(resources, archive, { host: M, neverContactSource: true }),
    });
    assert.equal(
      text,
      `# containers-registries.conf(5) version 2 drop-in written by hostmirror.

[[registry]]
prefix = ""
location = "quay.io/openshift-release-dev/ocp-release"
blocked = true

[[registry.mirror]]
location = "mirror.local:5000/openshift/release-images"
pull-from-mirror = "digest-only"

[[registry]]
prefix = ""
location = "quay.io/openshift-release-dev/ocp-v4.0-art-dev"
blocked = true

[[registry.mirror]]
location = "mirror.local:5000/openshift/release"
pull-from-mirror = "digest-only"

[[registry]]
prefix = ""
location = "registry.redhat.io/ubi9/ubi"
blocked = true

[[registry.mirror]]
location = "mirror.local:5000/ubi9/ubi"
pull-from-mirror = "tag-only"
`,
    );
    assert.deepEqual(validateRegistriesConf(text).errors, []);
  });

  it('insecureOnEveryMirror', () => {
    const text = renderRegistriesConf({
      rules: mirrorRulesFromArchive(resources, archive, { host: M, tagPolicy: 'all' }),
      insecure: true,
    });
    const config = parseRegistriesConf(text);
    assert.ok(
      config.registries.every((table) =>
        table.mirrors.every((mirror) => mirror.insecure && mirror.pullFromMirror === 'all'),
      ),
    );
    assert.ok(config.registries.every((table) => !table.blocked && !table.insecure));
  });

  it('relocatesOcMirrorDestination', () => {
    assert.equal(
      relocateMirror('dest:8443/openshift/release', M, archive.repositories()),
      `${M}/openshift/release`,
    );
    assert.equal(
      relocateMirror('dest:8443/ns/openshift/release', M, archive.repositories()),
      `${M}/openshift/release`,
    );
    assert.equal(relocateMirror('dest:8443/ubi9', M, archive.repositories()), `${M}/ubi9`);
    assert.equal(relocateMirror('dest:8443/nothing/here', M, archive.repositories()), undefined);
    assert.equal(relocateMirror('dest:8443', M, archive.repositories()), M);
    assert.equal(relocateMirror('dest:8443', M, []), undefined);
  });

  it('icspBecomesDigestOnly', () => {
    const icsp = collectClusterResources(
      parseClusterResourceFile(
        'imageContentSourcePolicy.yaml',
        'apiVersion: operator.openshift.io/v1alpha1\nkind: ImageContentSourcePolicy\nmetadata: {name: release-0}\nspec:\n  repositoryDigestMirrors:\n  - source: quay.io/openshift-release-dev/ocp-release\n    mirrors: [dest:8443/openshift/release-images]\n',
      ),
    );
    assert.equal(icsp.imageDigestMirrors[0]?.origin, 'ICSP/release-0');
    assert.deepEqual(mirrorRulesFromArchive(icsp, archive, { host: M }), [
      {
        source: 'quay.io/openshift-release-dev/ocp-release',
        blocked: false,
        mirrors: [{ location: `${M}/openshift/release-images`, pullFromMirror: 'digest-only' }],
      },
    ]);
  });

  it('mirrorMissingFromArchive', () => {
    assert.throws(
      () =>
        mirrorRulesFromArchive(
          resources,
          { repositories: () => ['openshift/release'] },
          { host: M },
        ),
      (error: unknown) =>
        error instanceof MirrorFormatError && error.code === 'MIRROR_NOT_IN_ARCHIVE',
    );
    assert.throws(
      () => mirrorRulesFromArchive(resources, archive, { host: 'not a host' }),
      (error: unknown) => error instanceof MirrorFormatError && error.code === 'BAD_MIRROR_RULE',
    );
  });

  it('explicitPairs', () => {
    const rules = mirrorRulesFromPairs([
      { source: 'quay.io/a', mirror: `${M}/a` },
      { source: 'quay.io/a', mirror: `${M}/b` },
    ]);
    assert.deepEqual(rules, [
      {
        source: 'quay.io/a',
        blocked: false,
        mirrors: [
          { location: `${M}/a`, pullFromMirror: 'digest-only' },
          { location: `${M}/b`, pullFromMirror: 'digest-only' },
        ],
      },
    ]);
    assert.throws(() => mirrorRulesFromPairs([{ source: 'quay.io/a:tag', mirror: M }]), /no tag/);
  });
});

describe('registries.conf validator', () => {
  it('unknownKeysRefused', () => {
    assert.deepEqual(
      errorCodes('[[registry]]\nlocation = "quay.io/a"\nmirror-by-digest = true\n'),
      ['unknown-key'],
    );
    assert.deepEqual(
      errorCodes(
        '[[registry]]\nlocation = "quay.io/a"\n[[registry.mirror]]\nlocation = "m:1/a"\npull-from = "all"\n',
      ),
      ['unknown-key'],
    );
    assert.deepEqual(errorCodes('unqualified-search-regs = ["docker.io"]\n'), ['unknown-key']);
  });

  it('globalsAfterTablesCaught', () => {
    const report = validateRegistriesConf(
      '[[registry]]\nlocation = "quay.io/a"\nunqualified-search-registries = ["docker.io"]\n',
    );
    assert.deepEqual(
      report.errors.map((issue) => [issue.code, issue.path]),
      [['unknown-key', 'registry[0].unqualified-search-registries']],
    );
    assert.match(report.errors[0]?.message ?? '', /before the first \[\[registry\]\]/);
  });

  it('bothDigestOnlyFormsRefused', () => {
    assert.deepEqual(
      errorCodes(
        '[[registry]]\nlocation = "quay.io/a"\nmirror-by-digest-only = true\n[[registry.mirror]]\nlocation = "m:1/a"\npull-from-mirror = "digest-only"\n',
      ),
      ['digest-only-conflict'],
    );
  });

  it('badEnumsAndTypes', () => {
    assert.deepEqual(
      errorCodes(
        '[[registry]]\nlocation = "quay.io/a"\n[[registry.mirror]]\nlocation = "m:1/a"\npull-from-mirror = "digest"\n',
      ),
      ['bad-enum'],
    );
    assert.deepEqual(errorCodes('short-name-mode = "strict"\n'), ['bad-enum']);
    assert.deepEqual(errorCodes('[[registry]]\nlocation = "quay.io/a"\nblocked = "yes"\n'), [
      'wrong-type',
    ]);
  });

  it('badWildcardsAndTaggedPrefixes', () => {
    assert.deepEqual(
      errorCodes('[[registry]]\nprefix = "*.example.com/foo"\nlocation = "x.io/a"\n'),
      ['bad-prefix'],
    );
    assert.deepEqual(errorCodes('[[registry]]\nprefix = "example.*.com"\nlocation = "x.io/a"\n'), [
      'bad-prefix',
    ]);
    assert.deepEqual(
      errorCodes('[[registry]]\nprefix = "quay.io/a/b:4.14.3-x86_64"\nlocation = "x.io/a"\n'),
      ['bad-prefix'],
    );
    assert.deepEqual(
      errorCodes(`[[registry]]\nprefix = "quay.io/a/b@${D}"\nlocation = "x.io/a"\n`),
      ['bad-prefix'],
    );
    assert.deepEqual(errorCodes('[[registry]]\nprefix = "*.quay.io"\nblocked = true\n'), []);
    assert.deepEqual(
      errorCodes('[[registry]]\nprefix = "localhost:5000/a"\nlocation = "localhost:5000/a"\n'),
      [],
    );
    assert.deepEqual(errorCodes('[[registry]]\nlocation = "*.quay.io"\n'), ['bad-location']);
    assert.deepEqual(errorCodes('[[registry]]\nprefix = "quay.io"\n'), ['missing-location']);
  });

  it('v1AndSyntaxAndDuplicates', () => {
    assert.deepEqual(errorCodes('[registries.search]\nregistries = ["docker.io"]\n'), [
      'v1-format',
    ]);
    assert.deepEqual(errorCodes('[[registry]\n'), ['toml-syntax']);
    assert.deepEqual(
      errorCodes(
        '[[registry]]\nlocation = "quay.io/a"\n[[registry]]\nprefix = ""\nlocation = "quay.io/a"\n',
      ),
      ['duplicate-prefix'],
    );
  });

  it('duplicatePrefixIsAnErrorBecauseCImageKeepsTheFirstSilently', () => {
    const text =
      '[[registry]]\nlocation = "quay.io/a"\n[[registry.mirror]]\nlocation = "m.io/first"\n' +
      '[[registry]]\nprefix = "quay.io/a"\nlocation = "quay.io/a"\n[[registry.mirror]]\nlocation = "m.io/second"\n';
    // No prefix means the location, so both tables have the prefix quay.io/a.
    assert.deepEqual(errorCodes(text), ['duplicate-prefix']);
    // What the strict message claims: c/image loads the file and uses the first table.
    const loaded = loadRegistriesConf(text);
    assert.equal(loaded.registries.length, 1);
    assert.deepEqual(
      loaded.registries[0]?.mirrors.map((mirror) => mirror.location),
      ['m.io/first'],
    );
  });

  it('cImageRefusalsAreReportedAndCleanFilesLoadIntoTheModel', () => {
    const conflict =
      '[[registry]]\nprefix = "a.io/x"\nlocation = "m.io"\n[[registry]]\nprefix = "a.io/y"\nlocation = "m.io"\nblocked = true\n';
    const refused = validateRegistriesConf(conflict, 'conflict.conf');
    assert.deepEqual(
      refused.errors.map((issue) => [issue.code, issue.path]),
      [['refused-by-containers-image', 'registry']],
    );
    assert.equal(refused.config, undefined);
    const clean = validateRegistriesConf(
      '[[registry]]\nprefix = ""\nlocation = "quay.io/a"\n[[registry.mirror]]\nlocation = "m.io/a"\n',
      'clean.conf',
    );
    assert.deepEqual(clean.config?.registries, [
      {
        prefix: 'quay.io/a',
        location: 'quay.io/a',
        insecure: false,
        blocked: false,
        mirrorByDigestOnly: false,
        mirrors: [{ location: 'm.io/a', insecure: false, pullFromMirror: 'all' }],
        origin: 'clean.conf',
      },
    ]);
  });

  it('insecureOnSeparateTableWarned', () => {
    const report = validateRegistriesConf(
      '[[registry]]\nlocation = "m:5055"\ninsecure = true\n[[registry]]\nlocation = "quay.io/a"\n[[registry.mirror]]\nlocation = "m:5055/a"\n',
    );
    assert.deepEqual(report.errors, []);
    assert.deepEqual(
      report.warnings.map((issue) => issue.code),
      ['insecure-not-on-mirror'],
    );
  });

  it('parseThrowsTyped', () => {
    assert.throws(
      () => parseRegistriesConf('nope = 1\n', 'x.conf'),
      (error: unknown) =>
        error instanceof MirrorFormatError && error.code === 'REGISTRIES_CONF_INVALID',
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
    it(`refuses ${name}`, () => {
      assert.throws(
        () => loadRegistriesConf(text),
        (error) => error instanceof MirrorFormatError && error.code === 'REGISTRIES_CONF_INVALID',
      );
    });

  it('conflictingBlockedForOneLocation', () => {
    assert.throws(
      () =>
        loadRegistriesConf(
          '[[registry]]\nprefix = "a.io/x"\nlocation = "m.io"\n[[registry]]\nprefix = "a.io/y"\nlocation = "m.io"\nblocked = true\n',
        ),
      (error) => error instanceof MirrorFormatError && error.code === 'REGISTRIES_CONF_CONFLICT',
    );
  });

  it('unknownKeysAreIgnoredAndListed', () => {
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
