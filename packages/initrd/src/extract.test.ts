import assert from 'node:assert/strict';
import { chmod, lstat, mkdir, mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type NewcEntryInput, writeNewc } from '@hostmirror/cpio-stream';
import { extractInitrd } from './read.ts';

async function newc(entries: NewcEntryInput[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of writeNewc(entries, { mtime: 0 })) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes;
}

test('symlinkThenDirectory: the directory replaces the link; the folder it pointed at is untouched (issue #20)', async () => {
  const work = await mkdtemp(join(tmpdir(), 'hm-extract-'));
  try {
    const outside = join(work, 'outside');
    await mkdir(outside);
    await chmod(outside, 0o755);
    // Segment 1 plants etc/hm -> outside; segment 2 has a directory etc/hm (0700) and a file in it.
    const initrd = Buffer.concat([
      await newc([
        { path: 'etc', type: 'directory', mode: 0o755 },
        { path: 'etc/hm', type: 'symlink', mode: 0o777, target: outside },
      ]),
      await newc([
        { path: 'etc/hm', type: 'directory', mode: 0o700 },
        { path: 'etc/hm/file', type: 'file', mode: 0o644, data: Buffer.from('x\n') },
      ]),
    ]);
    const destination = join(work, 'root');
    await extractInitrd(once(initrd), destination);
    assert.equal((await stat(outside)).mode & 0o7777, 0o755, 'the outside folder changed mode');
    assert.deepEqual(await readdir(outside), [], 'a file was written outside');
    const made = await lstat(join(destination, 'etc/hm'));
    assert.ok(made.isDirectory() && !made.isSymbolicLink());
    assert.equal(made.mode & 0o777, 0o700);
    assert.deepEqual(await readdir(join(destination, 'etc/hm')), ['file']);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
