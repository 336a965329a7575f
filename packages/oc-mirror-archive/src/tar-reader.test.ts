import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { open, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { TarBuilder, tarHeaderBlock } from '@hostmirror/fixtures';
import { MirrorFormatError } from './errors.ts';
import { readTarEntries, type TarEntry } from './tar-reader.ts';

const work = mkdtempSync(join(tmpdir(), 'hostmirror-tar-'));
after(() => rmSync(work, { recursive: true, force: true }));

async function list(path: string): Promise<TarEntry[]> {
  const handle = await open(path, 'r');
  try {
    const entries: TarEntry[] = [];
    for await (const entry of readTarEntries(handle, path, { inline: () => true }))
      entries.push(entry);
    return entries;
  } finally {
    await handle.close();
  }
}

async function failure(path: string): Promise<MirrorFormatError> {
  try {
    await list(path);
  } catch (error) {
    assert.ok(error instanceof MirrorFormatError, String(error));
    return error;
  }
  assert.fail(`${path} was read without an error`);
}

const longName = `docker/registry/v2/repositories/${'deep/'.repeat(30)}_layers/sha256/${'a'.repeat(64)}/link`;

describe('readTarEntries', () => {
  for (const format of ['pax', 'gnu'] as const) {
    it(`agreesWithGnuTar (${format})`, async () => {
      const tree = join(work, `tree-${format}`);
      mkdirSync(join(tree, 'working-dir', 'cluster-resources'), { recursive: true });
      mkdirSync(join(tree, 'x'.repeat(120)), { recursive: true });
      writeFileSync(
        join(tree, 'working-dir', 'cluster-resources', 'idms-oc-mirror.yaml'),
        'kind: x\n',
      );
      writeFileSync(join(tree, 'x'.repeat(120), `${'y'.repeat(140)}.txt`), 'long\n'.repeat(300));
      const archive = join(work, `gnu-${format}.tar`);
      execFileSync('tar', [`--format=${format}`, '--sort=name', '-C', tree, '-cf', archive, '.']);
      const ours = (await list(archive)).map((entry) => `${entry.name}|${entry.size}`);
      const theirs = execFileSync('tar', ['-tvf', archive], { encoding: 'utf8' })
        .trim()
        .split('\n')
        .map((line) => {
          const fields = line.split(/\s+/);
          const name = fields.slice(5).join(' ').replace(/^\.\//, '').replace(/\/$/, '');
          return `${name}|${fields[2]}`;
        });
      assert.deepEqual(ours, theirs);
      const content = (await list(archive)).find((entry) => entry.name.endsWith('.txt'));
      assert.equal(content?.data?.toString(), 'long\n'.repeat(300));
    });

    it(`longNamesAndHugeSizes (${format})`, async () => {
      const path = join(work, `huge-${format}.tar`);
      const tar = await TarBuilder.create(path, format);
      const nineGiB = 9 * 1024 ** 3;
      const hugeOffset = await tar.sparseFile(
        `docker/registry/v2/blobs/sha256/ab/${'ab'.repeat(32)}/data`,
        nineGiB,
      );
      const linkOffset = await tar.file(longName, `sha256:${'a'.repeat(64)}`);
      await tar.entry(`${longName}-sym`, { typeflag: '2', linkName: `${'t'.repeat(150)}` });
      await tar.end();
      const entries = await list(path);
      assert.deepEqual(
        entries.map((entry) => [entry.name, entry.size, entry.dataOffset, entry.kind]),
        [
          [
            `docker/registry/v2/blobs/sha256/ab/${'ab'.repeat(32)}/data`,
            nineGiB,
            hugeOffset,
            'file',
          ],
          [longName, 71, linkOffset, 'file'],
          [`${longName}-sym`, 0, entries[2]?.dataOffset, 'symlink'],
        ],
      );
      assert.equal(entries[2]?.linkName, 't'.repeat(150));
      const listed = execFileSync('tar', ['-tvf', path], { encoding: 'utf8' });
      assert.match(listed, new RegExp(` ${nineGiB} `), 'GNU tar reads the same size');
    });
  }

  it('truncatedData', async () => {
    const path = join(work, 'truncated.tar');
    const tar = await TarBuilder.create(path);
    await tar.file('a', Buffer.alloc(5000, 1));
    await tar.end();
    truncateSync(path, 2048);
    const error = await failure(path);
    assert.equal(error.code, 'TAR_TRUNCATED');
    assert.equal(error.offset, 0);
  });

  it('missingEndMarker', async () => {
    const path = join(work, 'no-marker.tar');
    const tar = await TarBuilder.create(path);
    await tar.file('a', 'x');
    await tar.end({ marker: false });
    assert.equal((await failure(path)).code, 'TAR_TRUNCATED');
  });

  it('compressedChunk: a gzip/xz/zstd chunk says so and how to decompress it (issue #20)', async () => {
    const plain = join(work, 'plain.tar');
    const tar = await TarBuilder.create(plain);
    await tar.file('a', 'x');
    await tar.end();
    const bytes = await readFile(plain);
    const path = join(work, 'mirror_000001.tar');
    await writeFile(path, gzipSync(bytes));
    const error = await failure(path);
    assert.equal(error.code, 'TAR_COMPRESSED');
    assert.match(
      error.message,
      /mirror_000001\.tar is gzip-compressed, not a tar archive: .*`gzip -dc .*mirror_000001\.tar > OUT\.tar`/,
    );
  });

  it('badChecksum', async () => {
    const path = join(work, 'checksum.tar');
    const tar = await TarBuilder.create(path);
    await tar.file('a', 'x');
    const damaged = tarHeaderBlock('b', 1, 'pax', {});
    damaged[0] = 'c'.charCodeAt(0);
    await tar.raw(damaged);
    await tar.raw(Buffer.alloc(512));
    await tar.end();
    const error = await failure(path);
    assert.equal(error.code, 'TAR_BAD_CHECKSUM');
    assert.equal(error.offset, 1024);
  });

  for (const name of ['../etc/passwd', '/etc/passwd', 'docker/../../x', 'a/./../../b', './x/']) {
    it(`storedName ${name}: reported as stored, not judged (judgeArchiveMember does that)`, async () => {
      const path = join(work, 'stored.tar');
      const tar = await TarBuilder.create(path);
      await tar.file(name, 'x');
      await tar.end();
      const handle = await open(path, 'r');
      try {
        const names = [];
        for await (const entry of readTarEntries(handle, path)) names.push(entry.storedName);
        assert.deepEqual(names, [name]);
      } finally {
        await handle.close();
      }
    });
  }

  it('absurdSize', async () => {
    const path = join(work, 'absurd.tar');
    const tar = await TarBuilder.create(path, 'gnu');
    await tar.raw(tarHeaderBlock('a', 2 ** 45, 'gnu', {}));
    await tar.raw(Buffer.alloc(4096));
    await tar.end();
    const error = await failure(path);
    assert.equal(error.code, 'TAR_ABSURD_SIZE');
  });

  it('notATar', async () => {
    const path = join(work, 'random.bin');
    writeFileSync(path, Buffer.from('this is not a tar archive at all\n'.repeat(40)));
    const error = await failure(path);
    assert.ok(['TAR_BAD_CHECKSUM', 'TAR_BAD_HEADER'].includes(error.code), error.code);
  });
});
