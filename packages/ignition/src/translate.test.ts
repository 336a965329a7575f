import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IgnitionConfig } from './config.ts';
import { translateConfig } from './translate.ts';

test('bare30UpgradesToExactly34', () => {
  assert.deepEqual(translateConfig({ ignition: { version: '3.0.0' } }, '3.4.0'), {
    ignition: { version: '3.4.0' },
  });
});

test('specialBitsStrippedFrom35To36', () => {
  const config: IgnitionConfig = {
    ignition: { version: '3.5.0' },
    storage: { files: [{ path: '/a', mode: 0o4755 }], directories: [{ path: '/d', mode: 0o1777 }] },
  };
  const translated = translateConfig(config, '3.6.0');
  assert.equal(translated.storage?.files?.[0]?.mode, 0o755);
  assert.equal(translated.storage?.directories?.[0]?.mode, 0o777);
  assert.equal(config.storage?.files?.[0]?.mode, 0o4755, 'input untouched');
  assert.equal(translateConfig(config, '3.5.0').storage?.files?.[0]?.mode, 0o4755);
});

test('specialBitsKeptWithin36AndUp', () => {
  const config: IgnitionConfig = {
    ignition: { version: '3.6.0' },
    storage: { files: [{ path: '/a', mode: 0o4755 }] },
  };
  assert.equal(translateConfig(config, '3.7.0-experimental').storage?.files?.[0]?.mode, 0o4755);
});

test('downwardWithoutNewFieldsIsAllowed', () => {
  const config: IgnitionConfig = {
    ignition: { version: '3.4.0' },
    storage: { files: [{ path: '/a' }] },
  };
  assert.equal(translateConfig(config, '3.2.0').ignition.version, '3.2.0');
});

test('downwardNamesEveryDroppedField', () => {
  const config: IgnitionConfig = {
    ignition: { version: '3.4.0' },
    kernelArguments: { shouldExist: ['a'] },
    storage: { luks: [{ name: 'root', device: '/dev/sda', discard: true }] },
  };
  assert.throws(
    () => translateConfig(config, '3.2.0'),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'TRANSLATE_DROPS_FIELDS');
      assert.match(error.message, /\$\.kernelArguments \(not in spec 3\.2\.0\)/);
      assert.match(error.message, /\$\.storage\.luks\.0\.discard \(not in spec 3\.2\.0\)/);
      return true;
    },
  );
});

test('downwardRefusesSemanticsTheOlderSpecLacks', () => {
  const gs: IgnitionConfig = {
    ignition: { version: '3.2.0' },
    storage: { files: [{ path: '/a', contents: { source: 'gs://b/o' } }] },
  };
  assert.throws(() => translateConfig(gs, '3.1.0'), /invalid url scheme in spec 3\.1\.0/);
  const setuid: IgnitionConfig = {
    ignition: { version: '3.6.0' },
    storage: { files: [{ path: '/a', mode: 0o4755 }] },
  };
  assert.throws(() => translateConfig(setuid, '3.5.0'), /special mode bits/);
});

test('unknownVersionIsTyped', () => {
  assert.throws(() => translateConfig({ ignition: { version: '3.3.0' } }, '4.0.0'), {
    code: 'UNKNOWN_SPEC_VERSION',
  });
});

// coreos/ignition config/v3_5/translate/translate.go (a5d574a8): `translateTang` copies only
// `thumbprint` and `url`, so every upgrade across 3.4→3.5 loses `tang[].advertisement`; 3.5 and
// up keep it (their translators copy the whole struct).
test('tangAdvertisementDroppedFrom34To35', () => {
  const tang = { url: 'http://tang.example', thumbprint: 'T', advertisement: '{"payload":"x"}' };
  const config: IgnitionConfig = {
    ignition: { version: '3.4.0' },
    storage: { luks: [{ name: 'root', device: '/dev/sda', clevis: { tang: [tang] } }] },
  };
  for (const to of ['3.5.0', '3.6.0', '3.7.0-experimental'] as const)
    assert.deepEqual(translateConfig(config, to).storage?.luks?.[0]?.clevis?.tang, [
      { url: 'http://tang.example', thumbprint: 'T' },
    ]);
  assert.deepEqual(translateConfig(config, '3.4.0').storage?.luks?.[0]?.clevis?.tang?.[0], tang);
  assert.equal(config.storage?.luks?.[0]?.clevis?.tang?.[0]?.advertisement, tang.advertisement);
  const in35: IgnitionConfig = { ...config, ignition: { version: '3.5.0' } };
  assert.equal(
    translateConfig(in35, '3.6.0').storage?.luks?.[0]?.clevis?.tang?.[0]?.advertisement,
    tang.advertisement,
  );
});

// Ignition 2.14's experimental spec sits between 3.3.0 and 3.4.0: 3.3.0 translates up to it,
// and down from 3.4.0 only without the fields 2.14 did not know.
test('experimental34Of214SitsBetween33And34', () => {
  assert.equal(
    translateConfig({ ignition: { version: '3.3.0' } }, '3.4.0-experimental').ignition.version,
    '3.4.0-experimental',
  );
  const config: IgnitionConfig = {
    ignition: { version: '3.4.0' },
    storage: { luks: [{ name: 'root', device: '/dev/sda', discard: true }] },
  };
  assert.throws(
    () => translateConfig(config, '3.4.0-experimental'),
    /\$\.storage\.luks\.0\.discard \(not in spec 3\.4\.0-experimental\)/,
  );
});
