import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  containersImageRules,
  containersImageRulesForOpenShift,
  hostContainersImage,
} from './containers-image-version.ts';
import { validateRegistriesConf } from './registries-conf-strict.ts';

// CRI-O go.mod at its release tags (cri-o/cri-o v1.27.0 … v1.33.x): issue 16 names 4.14–4.18 as
// c/image 5.25–5.32.
test('openShiftReleasesMapToTheirCrioContainersImage', () => {
  assert.deepEqual(
    ['4.14.3', '4.15.0', '4.16.10', '4.17.1', '4.18.0-rc.2', '4.19.2', '4.20.0'].map(
      (version) => containersImageRulesForOpenShift(version)?.version,
    ),
    ['5.25', '5.27', '5.29', '5.29', '5.32', '5.33', '5.35'],
  );
  assert.equal(hostContainersImage('4.14.3')?.crio, '1.27');
  assert.equal(hostContainersImage('5.0.0'), undefined);
  assert.equal(hostContainersImage('4.140.1'), undefined);
});

test('versionRulesChangeWhereContainersImageChanged', () => {
  assert.deepEqual(
    ['5.23', '5.24', '5.34', '5.35'].map((version) => {
      const rules = containersImageRules(version as '5.23');
      return [rules.emptyV1TablesCount, rules.trimsMirrorTrailingSlash];
    }),
    [
      [false, false],
      [true, false],
      [true, false],
      [true, true],
    ],
  );
  assert.throws(() => containersImageRules('6.1' as '5.1'), { code: 'REGISTRIES_CONF_INVALID' });
});

// What we write or accept must read the same on every supported host: the strict check names
// each construct some supported containers/image refuses or reads differently.
test('strictCheckRefusesWhatAnySupportedHostRefusesOrReadsDifferently', () => {
  const codes = (text: string) => validateRegistriesConf(text).errors.map((issue) => issue.code);
  assert.deepEqual(codes('unqualified-search-registries = ["registry-a.com/ns"]\n'), [
    'bad-search-registry',
  ]);
  assert.deepEqual(codes('[aliases]\nimage1 = "quay.io/repo/image:1"\n"q.io/x" = "q.io/x"\n'), [
    'bad-alias',
    'bad-alias',
  ]);
  assert.deepEqual(codes('short-name-mode = "invalid"\n'), ['bad-enum']);
  assert.deepEqual(codes('[[registry]]\nLocation = "quay.io"\n'), ['key-case', 'missing-location']);
  assert.deepEqual(
    codes('[[registry]]\nlocation = "quay.io"\n[[registry.mirror]]\nlocation = "m.example/ns/"\n'),
    ['bad-location'],
  );
  assert.deepEqual(
    codes('unqualified-search-registries = []\n[registries.search]\nregistries = []\n'),
    ['v1-format'],
  );
  assert.deepEqual(codes('[aliases]\nfedora = ""\nubi = "registry.access.redhat.com/ubi9"\n'), []);
});
