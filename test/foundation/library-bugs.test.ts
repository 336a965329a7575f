/**
 * Overlay specs that `hostmirror initrd build` accepts, and verifies as "kernel rules hold",
 * although Debian's kernel does not unpack them as written (checked with a boot of the
 * busybox initrd, 2026-11-30):
 * - `/etc/a` a file and `/etc/a/b` a file below it: the kernel drops `/etc/a/b` without a
 *   message (`ls: /etc/a/b: Not a directory`).
 * - `/opt/l` a symlink to `/etc` and `/opt/l/x` a file: the kernel follows the symlink and
 *   writes `/etc/x`, outside the path the spec names.
 * - `mode: 0999` (not octal): read as decimal 999 = 01747, a sticky `rwxr--rwx` file.
 * Each must be refused with a spec error (exit 1, no output file).
 *
 * And `hostmirror initrd verify` passes a whole initrd in which a file's folder has no entry in
 * any segment: the kernel drops that file without a message (docs/boot.md#appended-archives; the boot below shows
 * it), so the verifier must report it, with the entry's offset.
 */
import assert from 'node:assert/strict';
import { access, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runOk } from '@hostmirror/fixtures';
import {
  bootKernel,
  buildBaseInitrd,
  extractPvhKernel,
  findDebianKernel,
  markerValues,
} from '../support/qemu.ts';
import { hostmirror } from './hostmirror-cli.ts';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hm-spec-bugs-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function refused(name: string, spec: string): Promise<void> {
  const specPath = join(work, `${name}.yaml`);
  const out = join(work, `${name}.img`);
  await writeFile(specPath, spec);
  const run = await hostmirror(['initrd', 'build', specPath, '-o', out, '--compress', 'none']);
  assert.equal(run.exitCode, 1, `accepted:\n${run.stdoutText}${run.stderrText}`);
  await assert.rejects(access(out), 'no output may be written');
}

test('a file used as the folder of another file is refused', async () => {
  await refused(
    'file-as-folder',
    'files:\n  - { path: /etc/a, contents: "a" }\n  - { path: /etc/a/b, contents: "b" }\n',
  );
});

test('a file below a symlink the spec declares is refused', async () => {
  await refused(
    'below-symlink',
    'symlinks:\n  - { path: /opt/l, target: /etc }\nfiles:\n  - { path: /opt/l/x, contents: "a" }\n',
  );
});

test('a mode with digits 8 or 9 is refused', async () => {
  await refused('mode-0999', 'files:\n  - { path: /etc/a, contents: "a", mode: 0999 }\n');
});

test('initrd verify reports a file whose folder no segment creates', async () => {
  const base = await buildBaseInitrd({
    outPath: join(work, 'base.cpio.gz'),
    checks: 'if [ -e /orphan/x ]; then echo "HM-ORPHAN present"; else echo "HM-ORPHAN dropped"; fi',
  });
  await mkdir(join(work, 'orphan'));
  await writeFile(join(work, 'orphan', 'x'), 'x\n');
  const archive = join(work, 'orphan.cpio.gz');
  // The system cpio writes only the names it is given: no entry for orphan/.
  await runOk(
    '/bin/sh',
    ['-ec', 'echo orphan/x | cpio -o -H newc -R 0:0 --quiet | gzip -n > "$1"', 'sh', archive],
    {
      cwd: work,
      timeoutMs: 10_000,
    },
  );
  // `initrd append` verifies its result and so refuses this one; put the two together by hand,
  // as a PXE server's `initrd a b` would (base, zeros to a multiple of 4, archive).
  const refusedAppend = await hostmirror([
    'initrd',
    'append',
    base,
    '--archive',
    archive,
    '-o',
    join(work, 'appended.img'),
  ]);
  assert.equal(refusedAppend.exitCode, 1, `append accepted:\n${refusedAppend.stdoutText}`);
  await assert.rejects(access(join(work, 'appended.img')), 'no output may be written');
  const initrd = join(work, 'orphan.img');
  await runOk(
    '/bin/sh',
    [
      '-ec',
      '{ cat "$1"; head -c $(( (4 - $(stat -c %s "$1") % 4) % 4 )) /dev/zero; cat "$2"; } > "$3"',
      'sh',
      base,
      archive,
      initrd,
    ],
    { timeoutMs: 10_000 },
  );

  const boot = await bootKernel({
    kernel: await extractPvhKernel(await findDebianKernel()),
    initrd,
    timeoutMs: 90_000,
  });
  assert.deepEqual(markerValues(boot.console, 'HM-ORPHAN'), ['dropped']);
  assert.deepEqual(boot.initramfsFailures, [], 'the kernel says nothing');

  const verify = await hostmirror(['initrd', 'verify', initrd, '--json']);
  assert.equal(verify.exitCode, 1, `verify passed it:\n${verify.stdoutText}`);
});
