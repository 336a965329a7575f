import assert from 'node:assert/strict';
import { access, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import type { NewcEntryInput } from '@hostmirror/cpio-stream';
import {
  appendArchive,
  buildOverlay,
  InitrdError,
  type OverlaySpec,
  verifyInitrd,
} from './index.ts';
import { compress, fileWith, newc, scratch } from './initrd.test-support.ts';
import { KERNEL_BUILTIN_FOLDERS, KernelTree, kernelPath } from './namespace.ts';

/** An archive exactly as given: no parents added, no sorting. */
const raw = (entries: NewcEntryInput[]) =>
  newc(entries, { addParentDirectories: false, sort: false });

/** The segments back to back, as a byte stream in odd-sized chunks. */
async function* initrdOf(...segments: Buffer[]): AsyncGenerator<Uint8Array> {
  const bytes = Buffer.concat(segments);
  for (let at = 0; at < bytes.length; at += 4093) yield bytes.subarray(at, at + 4093);
}

describe('the kernel tree (folders the unpacker needs)', () => {
  it('placesEntriesBelowFoldersCreatedEarlier', () => {
    const tree = new KernelTree();
    assert.equal(tree.place('etc', 'directory'), undefined);
    assert.equal(tree.place('./etc/a', 'file'), undefined);
    assert.equal(tree.place('/etc/b', 'symlink'), undefined);
    assert.equal(tree.place('.', 'directory'), undefined);
    assert.equal(tree.place('top', 'file'), undefined);
  });

  it('missingFolder', () => {
    const tree = new KernelTree();
    assert.deepEqual(tree.place('orphan/x', 'file'), {
      code: 'MISSING_FOLDER',
      path: 'orphan/x',
      folder: 'orphan',
    });
    // The dropped entry does not exist afterwards either.
    assert.equal(tree.place('orphan/x/y', 'file')?.folder, 'orphan');
    tree.place('a', 'directory');
    assert.deepEqual(tree.place('a/b/c', 'file'), {
      code: 'MISSING_FOLDER',
      path: 'a/b/c',
      folder: 'a/b',
    });
  });

  it('folderIsSymlinkOrFile', () => {
    const tree = new KernelTree();
    tree.place('opt', 'directory');
    tree.place('opt/l', 'symlink');
    tree.place('opt/f', 'file');
    tree.place('opt/dev', 'char-device');
    assert.equal(tree.place('opt/l/x', 'file')?.code, 'FOLDER_IS_SYMLINK');
    assert.equal(tree.place('opt/f/x', 'directory')?.code, 'FOLDER_IS_NOT_DIRECTORY');
    assert.equal(tree.place('opt/dev/x', 'file')?.code, 'FOLDER_IS_NOT_DIRECTORY');
    // A directory entry is a mkdir whose EEXIST is ignored: the file and the link stay.
    assert.equal(tree.place('opt/f', 'directory'), undefined);
    assert.equal(tree.place('opt/f/x', 'file')?.code, 'FOLDER_IS_NOT_DIRECTORY');
    assert.equal(tree.place('opt/l', 'directory'), undefined);
    assert.equal(tree.place('opt/l/x', 'file')?.code, 'FOLDER_IS_SYMLINK');
    // Any other entry replaces a different type (unlink, or rmdir of an empty folder).
    assert.equal(tree.place('opt/l', 'file'), undefined);
    assert.equal(tree.place('opt/f', 'symlink'), undefined);
    assert.equal(tree.place('opt/f/x', 'file')?.code, 'FOLDER_IS_SYMLINK');
    tree.place('opt/empty', 'directory');
    assert.equal(tree.place('opt/empty', 'file'), undefined);
  });

  it('aFolderWithContentsCannotBeReplaced', () => {
    const tree = new KernelTree();
    tree.place('etc', 'directory');
    tree.place('etc/conf.d', 'directory');
    tree.place('etc/conf.d/x', 'file');
    assert.deepEqual(tree.place('etc/conf.d', 'symlink'), {
      code: 'REPLACES_NONEMPTY_FOLDER',
      path: 'etc/conf.d',
      folder: 'etc/conf.d',
    });
    assert.equal(tree.place('etc/conf.d/y', 'file'), undefined, 'still a folder');
    assert.equal(tree.place('etc', 'file')?.code, 'REPLACES_NONEMPTY_FOLDER');
  });

  it('kernelBuiltinFoldersExist', () => {
    const tree = new KernelTree();
    assert.deepEqual(KERNEL_BUILTIN_FOLDERS, ['dev', 'root']);
    assert.equal(tree.place('dev/console', 'char-device'), undefined);
    assert.equal(tree.place('root/.profile', 'file'), undefined);
  });

  it('existingFoldersAndTheirParentsCount', () => {
    const tree = new KernelTree(['/usr/lib', 'etc']);
    assert.equal(tree.place('usr/lib/x', 'file'), undefined);
    assert.equal(tree.place('usr/y', 'file'), undefined);
    assert.equal(tree.place('etc/z', 'file'), undefined);
    assert.equal(tree.place('dev/console', 'char-device')?.code, 'MISSING_FOLDER', 'replaced');
  });

  it('kernelPathDropsSlashesAndDots', () => {
    assert.equal(kernelPath('./usr//bin/'), 'usr/bin');
    assert.equal(kernelPath('/'), '');
    assert.equal(kernelPath('../f'), 'f', '.. at the top stays at /');
    assert.equal(kernelPath('a/b/../c'), 'a/c');
  });
});

describe('verifier: entries the kernel drops or misplaces', () => {
  it('reportsAnOrphanWithPathAndOffset (uncompressed)', async () => {
    const base = await raw([{ path: 'etc', type: 'directory' }]);
    const orphanArchive = await raw([{ path: 'orphan/x', type: 'file', data: 'x\n' }]);
    const report = await verifyInitrd(initrdOf(base, orphanArchive));
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.faults.map(({ code, path, offset, fatal }) => ({ code, path, offset, fatal })),
      [{ code: 'MISSING_FOLDER', path: 'orphan/x', offset: base.length, fatal: false }],
    );
  });

  it('reportsAnOrphanInsideACompressedSegment', async () => {
    const base = await raw([{ path: 'etc', type: 'directory' }]);
    const archive = await compress(
      'gzip',
      await raw([
        { path: 'etc/ok', type: 'file', data: 'ok' },
        { path: 'orphan/x', type: 'file', data: 'x\n' },
      ]),
    );
    const report = await verifyInitrd(initrdOf(base, archive));
    const [fault, ...rest] = report.faults;
    assert.deepEqual(rest, []);
    assert.equal(fault?.code, 'MISSING_FOLDER');
    assert.equal(fault?.offset, base.length, 'the segment start');
    assert.equal(fault?.segment, 1);
    assert.equal(fault?.path, 'orphan/x');
    assert.equal(
      fault?.decompressedOffset,
      124,
      'second header: 110 + 7 name bytes → 120, + 2 data → 124',
    );
  });

  it('aFolderFromAnEarlierSegmentOrEarlierInTheArchiveCounts', async () => {
    const base = await compress('zstd', await raw([{ path: 'opt', type: 'directory' }]));
    const overlay = await compress(
      'xz',
      await raw([
        { path: 'opt/tool', type: 'file', data: 't' },
        { path: 'opt/sub', type: 'directory' },
        { path: 'opt/sub/x', type: 'file', data: 'x' },
        { path: 'dev/extra', type: 'file', data: 'kernel-made /dev' },
      ]),
    );
    const report = await verifyInitrd(initrdOf(base, overlay));
    assert.deepEqual(report.faults, []);
    assert.equal(report.ok, true);
  });

  it('aFolderCreatedLaterDoesNotCount', async () => {
    const report = await verifyInitrd(
      initrdOf(
        await raw([
          { path: 'late/x', type: 'file', data: 'x' },
          { path: 'late', type: 'directory' },
        ]),
      ),
    );
    assert.deepEqual(
      report.faults.map((fault) => [fault.code, fault.path, fault.offset]),
      [['MISSING_FOLDER', 'late/x', 0]],
    );
  });

  it('reportsPathsBelowASymlinkOrAFileAcrossSegments', async () => {
    const base = await compress(
      'gzip',
      await raw([
        { path: 'opt', type: 'directory' },
        { path: 'opt/l', type: 'symlink', target: '/etc' },
        { path: 'opt/f', type: 'file', data: 'f' },
      ]),
    );
    const overlay = await compress(
      'gzip',
      await raw([
        { path: 'opt/l/x', type: 'file', data: 'x' },
        { path: 'opt/f/y', type: 'file', data: 'y' },
      ]),
    );
    const report = await verifyInitrd(initrdOf(base, overlay));
    assert.deepEqual(
      report.faults.map((fault) => [fault.code, fault.path, fault.segment]),
      [
        ['FOLDER_IS_SYMLINK', 'opt/l/x', 1],
        ['FOLDER_IS_NOT_DIRECTORY', 'opt/f/y', 1],
      ],
    );
  });

  it('anArchiveCheckedAloneMayNameTheFoldersOfItsBase', async () => {
    const archive = await compress('gzip', await raw([{ path: 'etc/x', type: 'file', data: 'x' }]));
    assert.deepEqual(
      (await verifyInitrd(initrdOf(archive))).faults.map((fault) => fault.code),
      ['MISSING_FOLDER'],
    );
    const report = await verifyInitrd(initrdOf(archive), { existingFolders: ['/etc'] });
    assert.equal(report.ok, true);
  });

  it('anOverlayFromAnUncheckedSpecObjectIsCaughtByTheVerifier', async () => {
    // Spec objects built in code skip parseOverlaySpec's path rules; the verifier still sees it.
    const spec: OverlaySpec = {
      compress: 'none',
      directories: [],
      files: [
        { path: '/etc/a', contents: 'a' },
        { path: '/etc/a/b', contents: 'b' },
        { path: '/opt/l/x', contents: 'x' },
      ],
      symlinks: [{ path: '/opt/l', target: '/etc' }],
    };
    const archive = await buffer(buildOverlay(spec, { baseDir: '/' }));
    assert.deepEqual(
      (await verifyInitrd(initrdOf(archive))).faults.map((fault) => [fault.code, fault.path]),
      [
        ['FOLDER_IS_NOT_DIRECTORY', 'etc/a/b'],
        ['FOLDER_IS_SYMLINK', 'opt/l/x'],
      ],
    );
  });

  it('appendArchiveRefusesAnOrphanAndWritesNothing', async () => {
    const dir = await scratch();
    try {
      const base = await fileWith(dir, 'base.img', await raw([{ path: 'etc', type: 'directory' }]));
      const archive = await fileWith(
        dir,
        'orphan.cpio.gz',
        await compress('gzip', await raw([{ path: 'orphan/x', type: 'file', data: 'x' }])),
      );
      const out = join(dir, 'out.img');
      await assert.rejects(appendArchive(base, archive, out), (error: unknown) => {
        assert.ok(error instanceof InitrdError);
        assert.equal(error.code, 'VERIFY_FAILED');
        assert.match(error.message, /\/orphan\/x/);
        return true;
      });
      await assert.rejects(access(out));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
