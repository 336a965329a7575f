/**
 * `hostmirror iso customize` and `pxe customize` judged by the real Ignition (Debian's 2.14:
 * `ignition-validate`, and the binary as `ignition-apply`): the live config they embed in a
 * coreos-installer fixture ISO validates, and applied into an empty root it writes what the live
 * system needs for coreos-installer's automatic install — /etc/coreos/dest.ign (0600, the dest
 * config), /etc/coreos/installer.d/ (the user's installer config, then ours), and the units of the merged live configs
 * (coreos-installer's own customize fixtures: test/fixtures/coreos-installer/customize).
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fixtureFile, repoRoot, scratchDir } from '@hostmirror/fixtures';
import { runCliCaptured } from '../../packages/cli/src/capture.ts';
import {
  ignitionBinaryPath,
  ignitionValidatePath,
  requireIgnitionPackage,
  run,
} from '../ignition/ignition-binaries.ts';

const upstream = join(repoRoot, 'test/fixtures/coreos-installer/customize');
let scratch: Awaited<ReturnType<typeof scratchDir>>;

before(async () => {
  await requireIgnitionPackage();
  scratch = await scratchDir('customize-real');
});
after(async () => {
  await scratch?.dispose();
});

test('iso customize: real Ignition validates the live config and applies the automatic install set-up', async () => {
  const iso = await fixtureFile('embed-areas-2023-07.x86_64', scratch.path);
  const out = join(scratch.path, 'customized.iso');
  const customize = await runCliCaptured(
    [
      'iso',
      'customize',
      iso,
      '--live-ignition',
      join(upstream, 'live.ign'),
      '--live-ignition',
      join(upstream, 'live-2.ign'),
      '--dest-ignition',
      join(upstream, 'dest.ign'),
      '--dest-device',
      '/dev/vda',
      '--network-keyfile',
      join(upstream, 'installer-test.nmconnection'),
      '--pre-install',
      join(upstream, 'pre-install-1'),
      '--installer-config',
      join(upstream, 'install-1.conf'),
      '--dest-karg-append',
      'dest-karg',
      '--live-karg-append',
      'console=ttyS0,115200',
      '-o',
      out,
    ],
    { cwd: scratch.path },
  );
  assert.equal(customize.code, 0, customize.stderr);
  assert.match(
    customize.stderr,
    /Boot media will automatically install to \/dev\/vda without confirmation\./,
  );
  const again1 = await runCliCaptured(
    [
      'iso',
      'customize',
      iso,
      '--network-keyfile',
      join(upstream, 'installer-test.nmconnection'),
      '--live-karg-append',
      'x=1',
      '-o',
      join(scratch.path, 'summary.iso'),
      '--json',
    ],
    { cwd: scratch.path },
  );
  assert.equal(again1.code, 0, again1.stderr);
  const summary = JSON.parse(again1.stdout) as { embedded: string[]; kargs: string; tool: string };
  assert.equal(summary.tool, 'hostmirror iso customize');
  assert.deepEqual(summary.embedded, ['etc/coreos-firstboot-network/installer-test.nmconnection']);
  assert.match(summary.kargs, / x=1$/);
  const kargs = await runCliCaptured(['iso', 'kargs', 'show', out]);
  assert.match(kargs.stdout, / console=ttyS0,115200\n$/);
  const shown = await runCliCaptured(['iso', 'ignition', 'show', out]);
  assert.equal(shown.code, 0, shown.stderr);
  const config = join(scratch.path, 'live-config.ign');
  await writeFile(config, shown.stdoutBytes);
  const validated = await run(ignitionValidatePath, [config]);
  assert.equal(validated.code, 0, `ignition-validate: ${validated.stdout}${validated.stderr}`);

  // ignition-apply (the multi-call binary under that name) writes the config into a fresh root.
  const apply = join(scratch.path, 'ignition-apply');
  await symlink(ignitionBinaryPath, apply);
  const root = join(scratch.path, 'root');
  await mkdir(root);
  const applied = await run(apply, ['--offline', '--root', root, config], {
    env: { ...process.env, container: 'hostmirror-test' },
  });
  assert.equal(applied.code, 0, `ignition-apply:\n${applied.stdout}${applied.stderr}`);
  const dest = join(root, 'etc/coreos/dest.ign');
  assert.equal((await stat(dest)).mode & 0o777, 0o600);
  assert.deepEqual(
    JSON.parse(await readFile(dest, 'utf8')),
    JSON.parse(await readFile(join(upstream, 'dest.ign'), 'utf8')),
  );
  assert.equal(
    await readFile(join(root, 'etc/coreos/installer.d/0001-customize.yaml'), 'utf8'),
    'ignition-file: /etc/coreos/dest.ign\nappend-karg:\n- dest-karg\ncopy-network: true\ndest-device: /dev/vda\n',
  );
  assert.equal(
    await readFile(join(root, 'etc/coreos/installer.d/0000-install-1.conf'), 'utf8'),
    await readFile(join(upstream, 'install-1.conf'), 'utf8'),
  );
  const hook = join(root, 'usr/local/bin/pre-install-pre-install-1');
  assert.equal((await stat(hook)).mode & 0o777, 0o700);
  assert.equal(
    await readFile(hook, 'utf8'),
    await readFile(join(upstream, 'pre-install-1'), 'utf8'),
  );
  assert.match(
    await readFile(join(root, 'etc/systemd/system/pre-install-pre-install-1.service'), 'utf8'),
    /ExecStart=\/usr\/local\/bin\/pre-install-pre-install-1\n[\s\S]*RequiredBy=coreos-installer\.service/,
  );
  for (const unit of ['live-ignition-applied.service', 'live-2-ignition-applied.service'])
    assert.match(
      await readFile(join(root, 'etc/systemd/system', unit), 'utf8'),
      /ExecStart=\/bin\/echo @applied-live/,
      `${unit} from the merged live configs`,
    );
  // Again without -f: refused as coreos-installer refuses it.
  const again = await runCliCaptured(['iso', 'customize', out, '--live-ignition', config]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already customized; use -f/);
});

test('pxe customize: -o - streams the bytes -o FILE writes', async () => {
  const initrd = join(scratch.path, 'live-initramfs.img');
  // A CoreOS live initramfs needs the stamp coreos-installer checks; made with initrd build.
  const spec = join(scratch.path, 'live.yaml');
  await writeFile(
    spec,
    'files:\n  - path: /etc/coreos-live-initramfs\n    contents: ""\n  - path: /etc/coreos/features.json\n    contents: \'{"installer-config": true, "live-initrd-network": true}\'\n',
  );
  const built = await runCliCaptured(['initrd', 'build', spec, '-o', initrd, '--compress', 'gzip']);
  assert.equal(built.code, 0, built.stderr);
  const args = ['pxe', 'customize', initrd, '--dest-ignition', join(upstream, 'dest.ign')];
  const file = join(scratch.path, 'pxe-customized.img');
  const toFile = await runCliCaptured([...args, '-o', file]);
  assert.equal(toFile.code, 0, toFile.stderr);
  assert.match(toFile.stderr, /ignition\.firstboot ignition\.platform\.id=metal/);
  const streamed = await runCliCaptured([...args, '-o', '-']);
  assert.equal(streamed.code, 0, streamed.stderr);
  assert.deepEqual(streamed.stdoutBytes, await readFile(file));
  const missing = await runCliCaptured(['pxe', 'customize', initrd]);
  assert.equal(missing.code, 2);
});
