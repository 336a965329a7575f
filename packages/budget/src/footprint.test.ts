import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import {
  BudgetInputError,
  measureInitrdFile,
  measureInitrdSource,
  measureInputFiles,
  measureRootfs,
  tmpfsFileBytes,
  unpackedTmpfsBytes,
} from './index.ts';

/** A newc archive written by hand (the format's 13 hex fields), so the test needs no writer. */
function newc(entries: { path: string; mode: number; body: string }[]): Buffer {
  const parts: Buffer[] = [];
  const pad = (length: number) => Buffer.alloc((4 - (length % 4)) % 4);
  const all = [...entries, { path: 'TRAILER!!!', mode: 0, body: '' }];
  all.forEach((entry, index) => {
    const name = Buffer.from(`${entry.path}\0`);
    const body = Buffer.from(entry.body);
    const fields = [index + 1, entry.mode, 0, 0, 1, 0, body.length, 0, 0, 0, 0, name.length, 0];
    const header = Buffer.from(
      `070701${fields.map((f) => f.toString(16).padStart(8, '0')).join('')}`,
    );
    parts.push(header, name, pad(header.length + name.length), body, pad(body.length));
  });
  return Buffer.concat(parts);
}

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hm-budget-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('tmpfsRoundsFilesUpToPages', () => {
  assert.equal(tmpfsFileBytes(0), 0);
  assert.equal(tmpfsFileBytes(1), 4096);
  assert.equal(tmpfsFileBytes(4096), 4096);
  assert.equal(tmpfsFileBytes(4097), 8192);
});

test('lastCopyWinsAcrossSegments', () => {
  const entry = (path: string, type: 'file' | 'directory' | 'symlink', size: number) =>
    ({ path, type, size }) as never;
  const bytes = unpackedTmpfsBytes({
    segments: [
      {
        entries: [
          entry('etc', 'directory', 0),
          entry('etc/a', 'file', 10_000),
          entry('/etc/b', 'file', 1),
        ],
      },
      {
        entries: [
          entry('./etc/a', 'file', 5),
          entry('short', 'symlink', 10),
          entry('long', 'symlink', 200),
        ],
      },
    ] as never,
  });
  // etc/a: 1 page (last copy, 5 bytes), etc/b: 1 page, long symlink: 1 page, short: inline.
  assert.equal(bytes, 3 * 4096);
});

test('measuresARealMultiSegmentFile', async () => {
  const first = newc([
    { path: 'bin', mode: 0o40755, body: '' },
    { path: 'bin/tool', mode: 0o100755, body: 'x'.repeat(5000) },
  ]);
  const second = gzipSync(
    newc([
      { path: 'bin/tool', mode: 0o100755, body: 'y'.repeat(10) },
      { path: 'etc', mode: 0o40755, body: '' },
      { path: 'etc/config', mode: 0o100644, body: 'z'.repeat(9000) },
    ]),
  );
  const file = join(work, 'initrd.img');
  // Trailing zeros (padding to a block) are loaded by the boot loader too: they count.
  const trailingZeros = Buffer.alloc(512);
  await writeFile(file, Buffer.concat([first, second, trailingZeros]));
  const footprint = await measureInitrdFile(file, 'initrd.img');
  assert.deepEqual(footprint, {
    name: 'initrd.img',
    fileBytes: first.length + second.length + trailingZeros.length,
    unpackedBytes: 4096 + 3 * 4096,
  });

  const streamed = await measureInitrdSource(createReadStream(file), 'extent', 42);
  assert.deepEqual(streamed, { name: 'extent', fileBytes: 42, unpackedBytes: 4 * 4096 });

  const ignition = join(work, 'ignition.img');
  await writeFile(ignition, Buffer.alloc(1234));
  const measured = await measureInputFiles({
    initrd: file,
    archives: [file, file],
    ignitionArchive: ignition,
  });
  assert.equal(measured.baseInitrd?.unpackedBytes, 4 * 4096);
  assert.equal(measured.archives?.length, 2);
  assert.equal(measured.ignitionArchiveBytes, 1234);
  assert.equal(measured.rootfs, undefined);
});

test('anUnreadableInitrdFailsWithATypedError', async () => {
  const file = join(work, 'junk.img');
  await writeFile(file, 'THIS-IS-NOT-AN-ARCHIVE\n');
  await assert.rejects(measureInitrdFile(file), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'UNKNOWN_MAGIC');
    return true;
  });
});

test('wrongFiles: a missing file, a folder or a non-archive is BAD_INPUT naming it and its role (issue #20)', async () => {
  const text = join(work, 'notes.txt');
  await writeFile(text, 'root:x:0:0\n');
  const cases = [
    {
      files: { archives: [join(work, 'missing.cpio')] },
      says: /The archive .*missing\.cpio cannot be read \(ENOENT\)/,
    },
    { files: { archives: [work] }, says: /The archive .* cannot be read \(EISDIR\)/ },
    {
      files: { initrd: text },
      says: /The base initrd .*notes\.txt is not an initrd the kernel unpacks: No archive or compression magic/,
    },
    {
      files: { ignitionArchive: join(work, 'nope.img') },
      says: /The Ignition archive .*nope\.img cannot be read/,
    },
  ];
  for (const { files, says } of cases)
    await assert.rejects(measureInputFiles(files), (error: unknown) => {
      assert.ok(error instanceof BudgetInputError, String(error));
      assert.equal(error.code, 'BAD_INPUT');
      assert.match(error.message, says);
      return true;
    });
});

test('measureRootfs: a CoreOS rootfs costs its members in pages (as unpacked by PXE), the file as loaded; a squashfs alone is refused', async () => {
  // rootfs.img as CoreOS ships it: an uncompressed newc cpio, root.squashfs first.
  const squashfs = 'q'.repeat(4096 + 1);
  const rootfs = newc([
    { path: 'root.squashfs', mode: 0o100644, body: squashfs },
    { path: 'etc/coreos-live-rootfs', mode: 0o100644, body: 'x\n' },
  ]);
  const file = join(work, 'rootfs.img');
  await writeFile(file, rootfs);
  const measured = await measureRootfs(file, 'rootfs.img');
  assert.deepEqual(measured, {
    name: 'rootfs.img',
    fileBytes: rootfs.length,
    unpackedBytes: 3 * 4096, // two pages of root.squashfs, one of the stamp
  });
  assert.notEqual(measured.unpackedBytes, tmpfsFileBytes(rootfs.length));
  // The same rule on a stream with the size the caller knows (build-iso reads the ISO extent).
  assert.deepEqual(
    await measureRootfs(createReadStream(file), 'rootfs.img', rootfs.length),
    measured,
  );
  // A bare squashfs (magic hsqs) is no initrd: PXE could not unpack it.
  const bare = join(work, 'bare-rootfs.img');
  await writeFile(bare, Buffer.concat([Buffer.from('hsqs'), Buffer.alloc(60)]));
  await assert.rejects(measureRootfs(bare, bare), (error: unknown) => {
    assert.ok(error instanceof BudgetInputError, String(error));
    assert.equal(error.code, 'BAD_INPUT');
    assert.match(error.message, /The rootfs .*bare-rootfs\.img is not an initrd/);
    assert.match(error.fix ?? '', /newc cpio holding root\.squashfs/);
    return true;
  });
});
