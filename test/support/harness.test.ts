/**
 * The real-system harness itself: one boot that must see a good appended archive AND report a
 * bad one, so a harness that cannot detect `Initramfs unpacking failed` fails here.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MissingToolError, requireTool, runOk, runShell, runTool } from '@hostmirror/fixtures';
import {
  assertCleanBoot,
  BootFailedError,
  bootKernel,
  buildBaseInitrd,
  extractPvhKernel,
  findDebianKernel,
  markerValues,
} from './qemu.ts';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hm-harness-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('requireTool names the Debian package of a missing command', async () => {
  await assert.rejects(requireTool('hm-no-such-tool', 'hm-no-such-package'), (error) => {
    assert.ok(error instanceof MissingToolError);
    assert.equal(error.code, 'MISSING_TOOL');
    assert.equal(error.debianPackage, 'hm-no-such-package');
    assert.match(error.message, /apt-get install -y --no-install-recommends hm-no-such-package/);
    return true;
  });
  assert.match(await requireTool('cpio'), /\/cpio$/);
});

test('runTool kills a command at its timeout, children included', async () => {
  const result = await runShell('sleep 30 & sleep 30; echo never', { timeoutMs: 300 });
  assert.equal(result.timedOut, true);
  assert.ok(result.durationMs < 5_000);
  assert.equal(result.stdout.toString(), '');
  const ok = await runOk('/bin/sh', ['-c', 'cat; echo -n " done" >&2'], {
    timeoutMs: 5_000,
    input: 'piped',
  });
  assert.equal(ok.stdout.toString(), 'piped');
  assert.equal(ok.stderr.toString(), ' done');
  assert.equal((await runTool('/bin/false', [], { timeoutMs: 5_000 })).exitCode, 1);
});

test('findDebianKernel resolves the release linux-image-amd64 depends on', async () => {
  const kernel = await findDebianKernel();
  assert.match(kernel.release, /^\d+\.\d+\.\d+-\d+-amd64$/);
  assert.equal(kernel.path, `/boot/vmlinuz-${kernel.release}`);
});

test('extractPvhKernel unpacks the bzImage payload to an ELF kernel, once', async () => {
  const kernel = await findDebianKernel();
  const first = await extractPvhKernel(kernel);
  const head = (await readFile(first)).subarray(0, 4);
  assert.deepEqual([...head], [0x7f, 0x45, 0x4c, 0x46]);
  const started = performance.now();
  assert.equal(await extractPvhKernel(kernel), first);
  assert.ok(performance.now() - started < 2_000, 'the second call must use the cached file');
});

test('one boot sees a good appended archive and reports a CRC64 xz one', async () => {
  const kernel = await findDebianKernel();
  const base = await buildBaseInitrd({
    outPath: join(work, 'base.cpio.gz'),
    checks: [
      'echo "HM-HARNESS-FILE $(cat /harness/good.txt 2>&1)"',
      'echo "HM-HARNESS-BAD $(cat /harness/bad.txt 2>&1)"',
      'echo "HM-HARNESS-CMDLINE $(cat /proc/cmdline)"',
      'exit 3',
    ].join('\n'),
  });
  const tree = join(work, 'tree');
  await runOk('/bin/sh', ['-ec', `mkdir -p "$1/harness"`, 'sh', tree], { timeoutMs: 5_000 });
  await writeFile(join(tree, 'harness/good.txt'), 'good-archive\n');
  await writeFile(join(tree, 'harness/bad.txt'), 'bad-archive\n');
  const initrd = join(work, 'initrd.img');
  // Good: gzip of harness/ + harness/good.txt. Bad: xz with liblzma's default CRC64 check,
  // which the kernel refuses (docs/boot.md#appended-archives).
  await runShell(
    [
      'set -e',
      `cp "${base}" "${initrd}"`,
      `cd "${tree}"`,
      `printf 'harness\\nharness/good.txt\\n' | cpio -o -H newc -R 0:0 --quiet | gzip -6n >> "${initrd}"`,
      `printf 'harness\\nharness/bad.txt\\n' | cpio -o -H newc -R 0:0 --quiet | xz --check=crc64 >> "${initrd}"`,
    ].join('\n'),
    { timeoutMs: 10_000 },
  ).then((result) => assert.equal(result.exitCode, 0, result.stderr.toString()));

  const boot = await bootKernel({
    kernel: kernel.path,
    initrd,
    append: 'console=ttyS0 panic=-1 hm.harness=1',
    timeoutMs: 90_000,
  });
  assert.equal(boot.timedOut, false);
  assert.equal(boot.initDone, true, boot.console);
  assert.equal(boot.kernelPanic, undefined);
  assert.deepEqual(markerValues(boot.console, 'HM-HARNESS-FILE'), ['good-archive']);
  assert.match(markerValues(boot.console, 'HM-HARNESS-BAD')[0] ?? '', /No such file/);
  assert.match(markerValues(boot.console, 'HM-HARNESS-CMDLINE')[0] ?? '', /hm\.harness=1/);
  assert.deepEqual(markerValues(boot.console, 'HM-CHECKS-EXIT'), ['3']);
  assert.deepEqual(boot.initramfsFailures, [
    'Input was encoded with settings that are not supported by this XZ decoder',
  ]);
  assert.throws(
    () => assertCleanBoot(boot),
    (error) => error instanceof BootFailedError,
  );
  console.log(`harness boot: ${Math.round(boot.durationMs)} ms`);
});
