import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigBuilder } from './builder.ts';
import { validateConfig } from './validate.ts';

test('strictModeTurnsUnknownKeysIntoErrors', () => {
  const config = {
    ignition: { version: '3.2.0' },
    passwd: { users: [{ name: 'core', sshAuthorizedkeys: ['k'] }] },
  };
  assert.equal(validateConfig(config).valid, true);
  const strict = validateConfig(config, { strict: true });
  assert.equal(strict.valid, false);
  assert.equal(strict.errors[0]?.path, '$.passwd.users.0.sshAuthorizedkeys');
});

test('acceptedVersionsFollowTheTargetRelease', () => {
  const report = validateConfig('{"ignition":{"version":"3.4.0"}}', {
    acceptedVersions: ['3.3.0', '3.4.0-experimental'],
  });
  assert.equal(report.parseFailure?.code, 'VERSION_UNSUPPORTED');
});

test('malformedJsonIsAReport', () => {
  for (const text of [
    '{',
    'null',
    '"x"',
    '[]',
    '{"ignition":[]}',
    '{"ignition":{"version":3}}',
    '\u0000',
  ]) {
    const report = validateConfig(text);
    assert.equal(report.valid, false, text);
    assert.equal(report.parseFailure?.code, 'SYNTAX', text);
  }
});

test('wrongTypesAreFindingsNotCrashes', () => {
  const report = validateConfig({
    ignition: { version: '3.3.0' },
    storage: { files: 'nope', links: [{ path: 1 }] },
    systemd: { units: [{ name: ['x'] }] },
  });
  assert.equal(report.valid, false);
  assert.deepEqual(report.errors.map((e) => e.path).sort(), [
    '$.storage.files',
    '$.storage.links.0.path',
    '$.systemd.units.0.name',
  ]);
});

test('deepNestingIsAReport', () => {
  const depth = 200_000;
  const text = `{"ignition":{"version":"3.3.0"},"x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
  const report = validateConfig(text);
  assert.equal(typeof report.valid, 'boolean');
});

test('tenMegabyteConfig', () => {
  const big = 'x'.repeat(10 * 1024 * 1024);
  const text = JSON.stringify({
    ignition: { version: '3.3.0' },
    storage: { files: [{ path: '/big', contents: { source: `data:,${big}` } }] },
  });
  const started = performance.now();
  const report = validateConfig(text);
  assert.equal(report.valid, true);
  assert.ok(performance.now() - started < 5000);
});

test('thousandTypicalConfigsUnderASecond', () => {
  const text = new ConfigBuilder({ version: '3.2.0' })
    .addFile(
      '/etc/hostmirror/registry.yml',
      'version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/mirror\n',
    )
    .addFile(
      '/usr/local/bin/start.sh',
      '#!/bin/sh\nexec registry serve /etc/hostmirror/registry.yml\n',
      { mode: 0o755 },
    )
    .addDirectory('/var/mirror')
    .addUnit('registry.service', {
      contents:
        '[Unit]\nBefore=crio.service\n[Service]\nExecStart=/usr/local/bin/start.sh\n[Install]\nWantedBy=multi-user.target\n',
      enabled: true,
    })
    .addDropin('crio.service', '10-mirror.conf', '[Unit]\nAfter=registry.service\n')
    .serialize();
  validateConfig(text); // compile and warm up once
  // CPU time of this process, so other work on a shared machine does not count.
  const started = process.cpuUsage();
  for (let i = 0; i < 1000; i++) assert.equal(validateConfig(text).valid, true);
  const { user, system } = process.cpuUsage(started);
  const elapsedMs = (user + system) / 1000;
  assert.ok(elapsedMs < 1000, `1000 validations took ${elapsedMs.toFixed(0)} ms of CPU`);
});
