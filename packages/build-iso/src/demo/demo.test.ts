import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { IsoImage } from '@hostmirror/iso';
import { readTarEntries } from '@hostmirror/oc-mirror-archive';
import { writeIso9660 } from './iso9660-writer.ts';
import { makeDemoArchive } from './mirror-archive.ts';
import { tarArchive } from './tar-writer.ts';

test('isoRoundtrip: our reader finds every file at its bytes, by identifier', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'hm-iso9660-'));
  try {
    const files = [
      { path: 'A/B/C/DEEP.TXT', data: Buffer.from('deep\n') },
      { path: 'ROOT.BIN', data: Buffer.alloc(5000, 7) },
      { path: 'A/EMPTY.DAT', data: Buffer.alloc(0) },
    ];
    const path = join(folder, 'x.iso');
    await writeFile(
      path,
      writeIso9660({ volumeId: 'roundtrip-volume', files, time: 1_700_000_000 }),
    );
    const image = await IsoImage.open(path);
    try {
      assert.equal(image.primary.volumeId.trim(), 'roundtrip-volume');
      for (const file of files) {
        const entry = await image.findByIdentifier(file.path);
        assert.ok(entry !== undefined, file.path);
        assert.deepEqual(await image.readFile(entry), file.data);
      }
    } finally {
      await image.close();
    }
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});

test('sameBytesSameTime: the demo archive is a pure function of its time', () => {
  assert.deepEqual(makeDemoArchive(1).bytes, makeDemoArchive(1).bytes);
  assert.notDeepEqual(makeDemoArchive(1).bytes, makeDemoArchive(2).bytes);
});

test('longNames: ustar prefix splitting is read back by our reader and by tar(1)', async () => {
  const folder = await mkdtemp(join(tmpdir(), 'hm-tar-'));
  try {
    const long = `docker/registry/v2/blobs/sha256/ab/${'ab'.repeat(32)}/data`;
    const path = join(folder, 'x.tar');
    await writeFile(
      path,
      tarArchive([{ path: 'dir' }, { path: long, data: Buffer.from('blob') }], 0),
    );
    const handle = await open(path);
    const names: string[] = [];
    try {
      for await (const entry of readTarEntries(handle, path)) names.push(entry.name);
    } finally {
      await handle.close();
    }
    assert.deepEqual(names, ['dir', long]);
    assert.equal(execFileSync('tar', ['-tf', path], { encoding: 'utf8' }), `dir/\n${long}\n`);
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
});
