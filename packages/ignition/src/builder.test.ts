import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigBuilder } from './builder.ts';
import { IgnitionError } from './errors.ts';
import { readDataResource } from './resource-data.ts';
import { validateConfig } from './validate.ts';

const unit = '[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=multi-user.target\n';

test('defaultSpecIsOpenShifts', () => {
  assert.equal(new ConfigBuilder().build().ignition.version, '3.2.0');
});

test('sameInputSameBytesWhateverTheCallOrder', () => {
  const a = new ConfigBuilder()
    .addFile('/etc/b', 'b')
    .addFile('/etc/a', 'a')
    .addUnit('x.service', { contents: unit, enabled: true })
    .addDropin('y.service', '20-b.conf', '[Unit]\n')
    .addDropin('y.service', '10-a.conf', '[Unit]\n');
  const b = new ConfigBuilder()
    .addDropin('y.service', '10-a.conf', '[Unit]\n')
    .addUnit('x.service', { contents: unit, enabled: true })
    .addFile('/etc/a', 'a')
    .addDropin('y.service', '20-b.conf', '[Unit]\n')
    .addFile('/etc/b', 'b');
  assert.equal(a.serialize(), b.serialize());
});

test('compressionAlwaysWritten', () => {
  const config = new ConfigBuilder()
    .addFile('/etc/a', 'a')
    .addFile('/etc/big', 'x\n'.repeat(5000))
    .build();
  const [first, second] = config.storage?.files ?? [];
  assert.equal(first?.contents?.compression, '');
  assert.equal(second?.contents?.compression, 'gzip');
});

test('verifyAddsSha512OfTheUncompressedContents', () => {
  const text = 'verify me\n'.repeat(500);
  const config = new ConfigBuilder({ verify: true }).addFile('/etc/v', text).build();
  const contents = config.storage?.files?.[0]?.contents;
  assert.ok(contents);
  assert.match(contents.verification?.hash ?? '', /^sha512-[0-9a-f]{128}$/);
  assert.equal(readDataResource(contents).toString(), text);
  assert.throws(
    () => readDataResource({ ...contents, verification: { hash: `sha512-${'0'.repeat(128)}` } }),
    { code: 'HASH_MISMATCH' },
  );
});

test('aGzipResourceThatDoesNotDecompressIsDataUrlInvalid', () => {
  // compression: gzip over bytes that are no gzip: Ignition's own error, with the fix, not zlib's.
  assert.throws(
    () =>
      readDataResource({
        source: `data:;base64,${Buffer.from('not gzip').toString('base64')}`,
        compression: 'gzip',
      }),
    (error: unknown) => {
      assert.ok(error instanceof IgnitionError, String(error));
      assert.equal(error.code, 'DATA_URL_INVALID');
      assert.match(error.message, /compression: gzip/);
      assert.match(error.fix ?? '', /base64/);
      return true;
    },
  );
});

test('builtConfigsAreValid', () => {
  const config = new ConfigBuilder({ version: '3.3.0' })
    .addDirectory('/var/lib/x', { mode: 0o700, user: { name: 'core' } })
    .addLink('/etc/l', '/etc/a')
    .addFile('/etc/a', new Uint8Array([0, 1, 2]), { mode: 0o600, overwrite: true })
    .addUnit('m.service', { mask: true })
    .build();
  const report = validateConfig(config, { strict: true });
  assert.deepEqual([report.errors, report.warnings], [[], []]);
});

test('mistakesAreReportedAtTheCall', () => {
  const builder = new ConfigBuilder().addFile('/etc/a', 'a');
  assert.throws(() => builder.addDirectory('/etc/a'), { code: 'BUILDER_CONFLICT' });
  assert.throws(() => builder.addFile('etc/rel', 'x'), { code: 'BUILDER_INVALID' });
  assert.throws(() => builder.addFile('/etc/x/', 'x'), { code: 'BUILDER_INVALID' });
  assert.throws(() => builder.addFile('/etc/m', 'x', { mode: 644 * 100 }), {
    code: 'BUILDER_INVALID',
  });
  assert.throws(() => builder.addUnit('noext'), { code: 'BUILDER_INVALID' });
  assert.throws(() => builder.addUnit('a.service', { contents: '[Service' }), {
    code: 'BUILDER_INVALID',
  });
  assert.throws(() => builder.addDropin('a.service', 'x.txt', '[Unit]\n'), {
    code: 'BUILDER_INVALID',
  });
  assert.throws(() => builder.addFile('/etc/o', 'x', { user: { id: 0, name: 'root' } }), {
    code: 'BUILDER_INVALID',
  });
});

test('buildReportsWholeConfigProblems', () => {
  // A file where a unit with contents is written: only the whole config shows it.
  const builder = new ConfigBuilder()
    .addFile('/etc/systemd/system/a.service', 'x')
    .addUnit('a.service', { contents: unit });
  assert.throws(
    () => builder.build(),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.match(error.message, /path conflicts with systemd unit or dropin/);
      return true;
    },
  );
});

test('addTreeTakesFilesAndLinks', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'hostmirror-tree-'));
  try {
    await mkdir(join(folder, 'bin'));
    await writeFile(join(folder, 'bin', 'run'), '#!/bin/sh\n');
    await chmod(join(folder, 'bin', 'run'), 0o755);
    await writeFile(join(folder, 'config.yml'), 'a: 1\n');
    await symlink('bin/run', join(folder, 'run-link'));
    const builder = await new ConfigBuilder().addTree(folder, '/opt/hostmirror');
    const config = builder.build();
    const files = (config.storage?.files ?? []).map((file) => [file.path, file.mode]);
    assert.deepEqual(files, [
      ['/opt/hostmirror/bin/run', 0o755],
      ['/opt/hostmirror/config.yml', 0o644],
    ]);
    assert.deepEqual(config.storage?.links, [
      { path: '/opt/hostmirror/run-link', target: 'bin/run' },
    ]);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

test('addUserWritesPasswd', () => {
  const config = new ConfigBuilder()
    .addUser('core', { sshAuthorizedKeys: ['ssh-ed25519 AAAA test'] })
    .build();
  assert.deepEqual(config.passwd, {
    users: [{ name: 'core', sshAuthorizedKeys: ['ssh-ed25519 AAAA test'] }],
  });
  assert.throws(() => new ConfigBuilder().addUser('core').addUser('core'), {
    code: 'BUILDER_CONFLICT',
  });
});
