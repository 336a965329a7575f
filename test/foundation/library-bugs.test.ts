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
 */
import assert from 'node:assert/strict';
import { access, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
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
