import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, readlink, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { coreosInstallerFixtures, filterThroughTool } from '@hostmirror/fixtures';
import {
  ByteReader,
  encodeNewcHeader,
  extractNewc,
  type NewcEntryInfo,
  type NewcEntryInput,
  NewcError,
  type NewcHeaderFields,
  readNewc,
  readNewcArchive,
  writeNewc,
} from './index.ts';

async function archive(entries: NewcEntryInput[], options = {}): Promise<Buffer> {
  return buffer(writeNewc(entries, options));
}

async function* chunksOf(bytes: Uint8Array, size = 7): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

async function list(bytes: Uint8Array, chunk = 7): Promise<(NewcEntryInfo & { text: string })[]> {
  const out: (NewcEntryInfo & { text: string })[] = [];
  for await (const entry of readNewc(chunksOf(bytes, chunk))) {
    out.push({ ...entry.info(), text: Buffer.from(await entry.bytes()).toString('utf8') });
  }
  return out;
}

function expectCode(code: string, offset?: number) {
  return (error: unknown) => {
    assert.ok(error instanceof NewcError, `expected NewcError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (offset !== undefined) assert.equal(error.offset, offset);
    return true;
  };
}

function fields(overrides: Partial<NewcHeaderFields>): NewcHeaderFields {
  return {
    ino: 1,
    mode: 0o100644,
    uid: 0,
    gid: 0,
    nlink: 1,
    mtime: 0,
    filesize: 0,
    devMajor: 0,
    devMinor: 0,
    rdevMajor: 0,
    rdevMinor: 0,
    namesize: 2,
    check: 0,
    ...overrides,
  };
}

function xzDecompress(path: string): Buffer {
  return execFileSync('xz', ['-dc', path]);
}

const sample: NewcEntryInput[] = [
  { path: '/usr/local/bin/registry', type: 'file', mode: 0o755, data: '#!/bin/sh\necho hi\n' },
  { path: '/etc/hostmirror/config.yml', type: 'file', data: 'version: 0.1\n' },
  { path: '/etc/hostmirror', type: 'directory', mode: 0o750 },
  { path: '/usr/local/bin/reg', type: 'symlink', target: 'registry' },
  { path: '/bin/after-ünïcode', type: 'file', data: 'ü' },
];

describe('newc writer and reader', () => {
  it('roundtrip', async () => {
    const bytes = await archive(sample);
    const entries = await list(bytes);
    const byPath = new Map(entries.map((entry) => [entry.path, entry]));
    assert.equal(byPath.get('usr/local/bin/registry')?.text, '#!/bin/sh\necho hi\n');
    assert.equal(byPath.get('usr/local/bin/registry')?.mode, 0o755);
    assert.equal(byPath.get('etc/hostmirror/config.yml')?.mode, 0o644);
    assert.equal(byPath.get('etc/hostmirror')?.mode, 0o750);
    assert.equal(byPath.get('etc/hostmirror')?.type, 'directory');
    assert.equal(byPath.get('usr/local/bin/reg')?.target, 'registry');
    assert.equal(byPath.get('bin/after-ünïcode')?.text, 'ü');
    assert.equal(bytes.length % 4, 0);
  });

  it('parentsBeforeChildren', async () => {
    const entries = await list(await archive(sample));
    const seen = new Set<string>();
    for (const entry of entries) {
      const parent = entry.path.includes('/')
        ? entry.path.slice(0, entry.path.lastIndexOf('/'))
        : '';
      if (parent !== '') assert.ok(seen.has(parent), `${entry.path} before ${parent}`);
      seen.add(entry.path);
    }
    assert.deepEqual(
      entries.map((entry) => entry.ino),
      entries.map((_, index) => index + 1),
    );
    assert.ok(entries.every((entry) => entry.nlink === 1 && entry.uid === 0 && entry.mtime === 0));
  });

  it('reproducibleAndSourceDateEpoch', async () => {
    const first = await archive(sample);
    const second = await archive([...sample].reverse());
    assert.equal(first.toString('hex'), second.toString('hex'));
    const dated = await list(await archive(sample, { env: { SOURCE_DATE_EPOCH: '1700000000' } }));
    assert.ok(dated.every((entry) => entry.mtime === 1700000000));
    await assert.rejects(
      archive(sample, { env: { SOURCE_DATE_EPOCH: 'yesterday' } }),
      expectCode('BAD_ENTRY'),
    );
  });

  it('utf8NamesCountedInBytes', async () => {
    const bytes = await archive([{ path: 'bin/after-ünïcode', type: 'file', data: '' }]);
    const header = bytes.subarray(bytes.indexOf('070701', 110), bytes.indexOf('070701', 110) + 110);
    const namesize = Number.parseInt(header.subarray(94, 102).toString(), 16);
    assert.equal(namesize, Buffer.byteLength('bin/after-ünïcode') + 1);
  });

  it('trailerAlignedSoArchivesConcatenate', async () => {
    const one = await archive([{ path: 'a', type: 'file', data: 'x'.repeat(401) }]);
    const two = await archive([{ path: 'b', type: 'file', data: 'second' }]);
    assert.equal(one.length % 4, 0);
    assert.equal(one.subarray(-124, -124 + 6).toString(), '070701');
    assert.equal(one.subarray(-124 + 110, -124 + 120).toString(), 'TRAILER!!!');
    const entries = await list(Buffer.concat([one, Buffer.alloc(8), two]));
    assert.deepEqual(
      entries.map((entry) => entry.path),
      ['a', 'b'],
    );
  });

  it('streamedEntriesAndSizeMismatch', async () => {
    const big = Buffer.alloc(300_000, 7);
    const bytes = await archive([
      {
        path: 'big',
        type: 'file',
        size: big.length,
        stream: () => Readable.from([big.subarray(0, 1000), big.subarray(1000)]),
      },
    ]);
    const [entry] = await list(bytes, 65536);
    assert.equal(entry?.size, big.length);
    await assert.rejects(
      archive([
        {
          path: 'short',
          type: 'file',
          size: 10,
          stream: () => Readable.from([Buffer.from('123')]),
        },
      ]),
      expectCode('SIZE_MISMATCH'),
    );
    await assert.rejects(
      archive([
        { path: 'long', type: 'file', size: 2, stream: () => Readable.from([Buffer.from('123')]) },
      ]),
      expectCode('SIZE_MISMATCH'),
    );
  });

  it('sizeOver4GiBIsAnErrorNeverClamped', async () => {
    await assert.rejects(
      archive([{ path: 'huge', type: 'file', size: 2 ** 32, stream: () => Readable.from([]) }]),
      expectCode('FIELD_TOO_LARGE'),
    );
    assert.throws(
      () => encodeNewcHeader(fields({ filesize: 0x1_0000_0000 })),
      expectCode('FIELD_TOO_LARGE'),
    );
  });

  it('refusesBadInputs', async () => {
    await assert.rejects(
      archive([{ path: '../etc/passwd', type: 'file' }]),
      expectCode('PATH_TRAVERSAL'),
    );
    await assert.rejects(archive([{ path: '/', type: 'directory' }]), expectCode('BAD_PATH'));
    await assert.rejects(
      archive([
        { path: 'a', type: 'file' },
        { path: '/a', type: 'file' },
      ]),
      expectCode('DUPLICATE_PATH'),
    );
    await assert.rejects(archive([{ path: 'l', type: 'symlink' }]), expectCode('BAD_ENTRY'));
    await assert.rejects(
      archive([{ path: 'x'.repeat(5000), type: 'file' }]),
      expectCode('FIELD_TOO_LARGE'),
    );
  });

  it('bodyStreamsWithoutBuffering', async () => {
    const size = 64 * 1024 * 1024;
    const piece = Buffer.alloc(1024 * 1024, 1);
    const source = writeNewc([
      {
        path: 'big',
        type: 'file',
        size,
        stream: () => Readable.from(Array.from({ length: 64 }, () => piece)),
      },
      { path: 'after', type: 'file', data: 'ok' },
    ]);
    let total = 0;
    let largest = 0;
    const seen: string[] = [];
    for await (const entry of readNewc(source)) {
      seen.push(entry.path);
      if (entry.path === 'big') {
        for await (const chunk of entry.body()) {
          total += chunk.length;
          largest = Math.max(largest, chunk.length);
        }
      } else {
        assert.equal(Buffer.from(await entry.bytes()).toString(), 'ok');
      }
    }
    assert.equal(total, size);
    assert.ok(largest <= 2 * 1024 * 1024, `largest chunk ${largest}`);
    assert.deepEqual(seen, ['after', 'big']);
  });

  it('unreadBodiesAreSkipped', async () => {
    const bytes = await archive([
      { path: 'a', type: 'file', data: 'x'.repeat(1000) },
      { path: 'b', type: 'file', data: 'y' },
    ]);
    const paths: string[] = [];
    for await (const entry of readNewc(chunksOf(bytes, 100))) paths.push(entry.path);
    assert.deepEqual(paths, ['a', 'b']);
  });
});

describe('newc reader accepts what coreos-installer accepts', () => {
  it('lastCopyWins (redundant fixture)', async () => {
    const bytes = xzDecompress(join(coreosInstallerFixtures, 'redundant.img.xz'));
    const files = new Map<string, string>();
    for (const entry of await list(bytes))
      if (entry.type === 'file') files.set(entry.path, entry.text);
    assert.equal(files.get('data/file'), 'third\n');
  });

  it('paddedNamesAndUpperCaseHex (dracut-cpio fixture)', async () => {
    const bytes = xzDecompress(join(coreosInstallerFixtures, 'padded-names.img.xz'));
    const files = new Map<string, string>();
    for (const entry of await list(bytes, 333))
      if (entry.type === 'file') files.set(entry.path, entry.text);
    assert.equal(files.get('dir/hello'), 'z'.repeat(5000));
    assert.equal(files.get('dir/world'), 'q'.repeat(4500));
  });

  it('traversalRefusedOnExtract', async () => {
    for (const name of ['traversal-absolute.img', 'traversal-relative.img']) {
      const dir = await mkdtemp(join(tmpdir(), 'cpio-traversal-'));
      const bytes = xzDecompress(join(coreosInstallerFixtures, name));
      await assert.rejects(extractNewc(chunksOf(bytes, 64), dir), expectCode('PATH_TRAVERSAL', 0));
    }
  });

  it('extractWritesFilesModesAndSymlinks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cpio-extract-'));
    const result = await extractNewc(chunksOf(await archive(sample), 4096), dir);
    assert.ok(result.written.includes('usr/local/bin/registry'));
    assert.equal((await stat(join(dir, 'usr/local/bin/registry'))).mode & 0o777, 0o755);
    assert.equal(await readlink(join(dir, 'usr/local/bin/reg')), 'registry');
    assert.equal(await readFile(join(dir, 'etc/hostmirror/config.yml'), 'utf8'), 'version: 0.1\n');
    const sneaky = await archive(
      [
        { path: 'link', type: 'symlink', target: '/tmp' },
        { path: 'link/escaped', type: 'file', data: 'x' },
      ],
      { addParentDirectories: false },
    );
    await assert.rejects(
      extractNewc(chunksOf(sneaky), await mkdtemp(join(tmpdir(), 'cpio-sneaky-'))),
      expectCode('PATH_TRAVERSAL'),
    );
  });
});

describe('newc reader refuses broken input with offsets', () => {
  const good = archive([{ path: 'file', type: 'file', data: 'hello' }]);

  it('badMagic', async () => {
    const bytes = Buffer.from(await good);
    bytes.write('070707', 0, 'latin1');
    await assert.rejects(list(bytes), expectCode('ODC_FORMAT', 0));
    bytes.write('123456', 0, 'latin1');
    await assert.rejects(list(bytes), expectCode('BAD_MAGIC', 0));
  });

  it('truncated', async () => {
    const bytes = await good;
    for (const cut of [50, 112, 118, 120, bytes.length - 20])
      await assert.rejects(list(bytes.subarray(0, cut)), expectCode('TRUNCATED'));
  });

  it('nameWithoutNul', async () => {
    const header = encodeNewcHeader(fields({ namesize: 4 }));
    const bytes = Buffer.concat([header, Buffer.from('abcd'), Buffer.alloc(4)]);
    await assert.rejects(list(bytes), expectCode('NAME_NOT_TERMINATED', 110));
  });

  it('nonHexField', async () => {
    const bytes = Buffer.from(await good);
    bytes.write('0000z000', 6 + 8 * 6, 'latin1');
    await assert.rejects(list(bytes), expectCode('BAD_HEX', 54));
  });

  it('oversizedFields', async () => {
    const header = encodeNewcHeader(fields({ namesize: 5000 }));
    await assert.rejects(
      list(Buffer.concat([header, Buffer.alloc(5000)])),
      expectCode('FIELD_TOO_LARGE', 0),
    );
    const link = encodeNewcHeader(fields({ mode: 0o120777, filesize: 5000 }));
    await assert.rejects(
      list(Buffer.concat([link, Buffer.from('l\0'), Buffer.alloc(5000)])),
      expectCode('FIELD_TOO_LARGE', 0),
    );
    await assert.rejects(
      list(Buffer.concat([encodeNewcHeader(fields({ namesize: 0 })), Buffer.alloc(8)])),
      expectCode('BAD_NAME_SIZE', 0),
    );
  });

  it('brokenPaddingBetweenEntries', async () => {
    const bytes = await good;
    const shifted = Buffer.concat([
      bytes.subarray(0, 120),
      Buffer.from([0, 0, 0, 0, 0]),
      bytes.subarray(120),
    ]);
    const reader = new ByteReader(chunksOf(shifted));
    const run = async () => {
      for await (const entry of readNewcArchive(reader)) await entry.skip();
    };
    await assert.rejects(run(), expectCode('BROKEN_PADDING'));
  });
});

describe('real tools read our archives', () => {
  const tool = (name: string, args: string[], input: Buffer, debianPackage: string) =>
    filterThroughTool(name, args, input, debianPackage).toString();

  it('cpioAndBsdtarList', async () => {
    const bytes = await archive(sample);
    const cpioList = tool('cpio', ['-it', '--quiet'], bytes, 'cpio').trim().split('\n');
    assert.deepEqual(
      cpioList,
      (await list(bytes)).map((entry) => entry.path),
    );
    const bsdtarList = tool('bsdtar', ['-tf', '-'], bytes, 'libarchive-tools');
    assert.match(bsdtarList, /usr\/local\/bin\/reg/);
    const dir = await mkdtemp(join(tmpdir(), 'cpio-gnu-'));
    await writeFile(join(dir, 'a.cpio'), bytes);
    const extracted = execFileSync('cpio', ['-i', '--quiet', '--to-stdout', 'bin/after-ünïcode'], {
      input: bytes,
    });
    assert.equal(
      createHash('sha256').update(extracted).digest('hex'),
      createHash('sha256').update('ü').digest('hex'),
    );
  });
});
