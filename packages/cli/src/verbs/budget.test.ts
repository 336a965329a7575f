import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { demoAgentConfig, demoInstallConfig, makeDemoArchive } from '@hostmirror/fixtures';
import { runCliCaptured } from '../capture.ts';

async function budget(args: string[]) {
  return runCliCaptured(['budget', ...args]);
}

/** One regular file of `size` bytes in a gzip newc archive (headers written by hand). */
function archiveWithFile(size: number): Buffer {
  const entry = (ino: number, name: string, mode: number, body: Buffer) => {
    const nameBytes = Buffer.from(`${name}\0`);
    const fields = [ino, mode, 0, 0, 1, 0, body.length, 0, 0, 0, 0, nameBytes.length, 0];
    const header = Buffer.from(
      `070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}`,
    );
    const pad = (n: number) => Buffer.alloc((4 - (n % 4)) % 4);
    return Buffer.concat([
      header,
      nameBytes,
      pad(header.length + nameBytes.length),
      body,
      pad(body.length),
    ]);
  };
  return gzipSync(
    Buffer.concat([
      entry(1, 'big', 0o100644, Buffer.alloc(size)),
      entry(2, 'TRAILER!!!', 0, Buffer.alloc(0)),
    ]),
  );
}

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hm-cli-budget-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('printsTheTableAndExits0WithinBudget', async () => {
  const archive = join(work, 'overlay.img');
  await writeFile(archive, archiveWithFile(10_000));
  const run = await budget([
    '--ram',
    '16GiB',
    '--archive',
    archive,
    '--live-copy',
    'registry=25MiB',
  ]);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /archive .*overlay\.img, unpacked +12288 /);
  assert.match(run.stdout, /copied to the live system: registry +26214400 /);
  assert.match(run.stdout, /within budget/);
});

test('jsonReportHasEveryCheck', async () => {
  const run = await budget([
    '--ram',
    '8GiB',
    '--role',
    'worker',
    '--json',
    '--ignition-archive',
    join(work, 'overlay.img'),
  ]);
  assert.equal(run.code, 0, run.stderr);
  const report = JSON.parse(run.stdout);
  assert.equal(report.ok, true);
  assert.deepEqual(
    report.checks.map((c: { id: string }) => c.id),
    ['ram-minimum', 'initramfs-tmpfs', 'unpack-peak', 'live-tmpfs', 'embed-area'],
  );
});

test('overBudgetExits1WithNeedGreaterThanLimit', async () => {
  // node0 keeps 4.4 GiB of its day-1 bootstrap in /var (OCPBUGS-62790, installer PR #10133);
  // 4 GiB of preload copies on top no longer fit the 8 GiB /var of a 16 GiB host.
  const run = await budget(['--ram', '16GiB', '--node0', '--live-copy', 'preload=4GiB']);
  assert.equal(run.code, 1);
  assert.match(run.stdout, /OVER BUDGET/);
  assert.match(run.stderr, /live \/etc \+ \/var tmpfs: 9019431322 > 8589934592 bytes/);
  assert.match(run.stderr, /at least 17\.00 GiB of RAM/);
});

test('usageErrorsExit2', async () => {
  assert.equal((await budget([])).code, 2);
  assert.equal((await budget(['--ram', '16G', '--boot', 'floppy'])).code, 2);
  assert.equal((await budget(['--ram', '16G', '--node0', '--pull-reserve', '1G'])).code, 2);
  assert.equal((await budget(['--ram', 'lots'])).code, 1);
});

test('diskTable: with --mirror and the cluster configs, the disk each kind of host needs after the install; mode node0 counts the copy on the other control-plane nodes', async () => {
  const archive = join(work, 'mirror_000001.tar');
  await writeFile(archive, makeDemoArchive(0).bytes);
  const installConfig = join(work, 'install-config.yaml');
  // The demo's cluster with three control-plane hosts (compact).
  await writeFile(installConfig, demoInstallConfig().replace('replicas: 1', 'replicas: 3'));
  const agentConfig = join(work, 'agent-config.yaml');
  await writeFile(agentConfig, demoAgentConfig());
  const program = join(work, 'registry');
  await writeFile(program, Buffer.alloc(100_000, 1), { mode: 0o755 });
  const args = [
    '--ram',
    '16GiB',
    '--mirror',
    archive,
    '--install-config',
    installConfig,
    '--agent-config',
    agentConfig,
    '--registry-binary',
    program,
  ];
  const copied = await budget(args);
  assert.equal(copied.code, 0, copied.stderr);
  assert.match(copied.stdout, /^Disk for the mirror after the install \(per host\):$/m);
  assert.match(
    copied.stdout,
    /^ {2}node0 \(the rendezvous host\): serves the mirror from its own disk$/m,
  );
  assert.match(
    copied.stdout,
    /^ {2}masters \(×2\): copies node0's storage after the install and serves it from its install disk$/m,
  );
  assert.match(copied.stdout, /copy of node0's registry storage tree \(\/var\/lib\/hostmirror\)/);
  const json = await budget([...args, '--json']);
  assert.equal(json.code, 0, json.stderr);
  const disk = (JSON.parse(json.stdout) as { disk: { host: string; copiesFromNode0: boolean }[] })
    .disk;
  assert.deepEqual(
    disk.map((need) => [need.host, need.copiesFromNode0]),
    [
      ['node0 (the rendezvous host)', false],
      ['masters (×2)', true],
    ],
  );
  const off = await budget([...args, '--control-plane-copy', 'off']);
  assert.equal(off.code, 0, off.stderr);
  assert.match(off.stdout, /^ {2}masters \(×2\): does not serve the mirror/m);
  const without = await budget(['--ram', '16GiB', '--install-config', installConfig]);
  assert.equal(without.code, 2, 'the configs without --mirror are a usage error');
});
