/**
 * Extending the initrd inside the ISO, checked by the real readers: xorriso and isoinfo list
 * the same extents as our reader before and after, every tree returns the new initrd bytes,
 * and xorriso finds the MBR and GPT consistent with the new size (iso-relocation.md).
 */
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CoreosIso, type IsoEntry, IsoImage } from '../../packages/iso/src/index.ts';
import { makeCoreosIso } from '../../tools/make-coreos-iso.ts';
import { fixtureFile, scratchDir } from './fixtures.ts';
import {
  isoinfoExtract,
  isoinfoFiles,
  type ListedFile,
  xorrisoFiles,
  xorrisoSystemArea,
} from './iso-tools.ts';

let dir: { path: string; dispose: () => Promise<void> };
before(async () => {
  dir = await scratchDir('relocate');
});
after(() => dir.dispose());

async function ourFiles(iso: string, tree: 'primary' | 'joliet', identifiers = false) {
  const image = await IsoImage.open(iso);
  try {
    return (await image.entries(tree))
      .filter((entry: IsoEntry) => !entry.isDirectory && entry.size > 0)
      .map((entry) => ({
        path: identifiers ? entry.identifierPath : entry.path,
        lba: entry.extents[0]?.lba ?? 0,
        size: entry.size,
      }))
      .sort((a, b) => a.path.localeCompare(b.path));
  } finally {
    await image.close();
  }
}

const withData = (files: ListedFile[]) => files.filter((file) => file.size > 0);

async function assertReadersAgree(iso: string) {
  const ours = await ourFiles(iso, 'primary');
  // xorriso does not list the El Torito catalog as a file.
  assert.deepEqual(
    withData(await xorrisoFiles(iso)),
    ours.filter((file) => !file.path.endsWith('boot.cat')),
  );
  assert.deepEqual(withData(await isoinfoFiles(iso, '-R')), ours);
  assert.deepEqual(withData(await isoinfoFiles(iso, '-J')), await ourFiles(iso, 'joliet'));
  assert.deepEqual(withData(await isoinfoFiles(iso, '')), await ourFiles(iso, 'primary', true));
}

async function extend(input: string, output: string, archive: Buffer) {
  const archivePath = `${output}.archive`;
  await writeFile(archivePath, archive);
  const iso = await CoreosIso.open(input);
  try {
    const { edit, relocation } = await iso.planAppendInitrd([archivePath]);
    await iso.write(edit, { kind: 'file', path: output });
    return relocation;
  } finally {
    await iso.close();
  }
}

const archiveOf = (text: string) => Buffer.from(`070701${text}`.padEnd(203, '.'));

async function checkExtended(iso: string, expectedInitrd: Buffer) {
  await assertReadersAgree(iso);
  for (const [tree, path] of [
    ['-R', '/images/pxeboot/initrd.img'],
    ['-J', '/images/pxeboot/initrd.img'],
    ['', '/IMAGES/PXEBOOT/INITRD.IMG;1'],
  ] as const)
    assert.deepEqual(await isoinfoExtract(iso, tree, path), expectedInitrd, `${tree} ${path}`);
  const area = await xorrisoSystemArea(iso);
  assert.doesNotMatch(area, /WARNING|FAILURE|SORRY|cyl-align-off/, area);
  return area;
}

test('extendInitrd: xorriso-built hybrid ISO (MBR + GPT), twice, readers agree', async () => {
  const made = await makeCoreosIso({ output: join(dir.path, 'made.iso') });
  await assertReadersAgree(made.path);
  const original = await isoinfoExtract(made.path, '-R', '/images/pxeboot/initrd.img');
  const once = join(dir.path, 'once.iso');
  const first = archiveOf('first');
  const relocation = await extend(made.path, once, first);
  const padded = (bytes: Buffer) =>
    Buffer.concat([bytes, Buffer.alloc((4 - (bytes.length % 4)) % 4)]);
  const expectedOnce = Buffer.concat([padded(original), padded(first)]);
  assert.equal(relocation.records.length, 2); // primary and Joliet
  assert.equal(relocation.archiveOffsets[0], padded(original).length);
  const area = await checkExtended(once, expectedOnce);
  const size = (await readFile(once)).length;
  assert.match(
    area,
    new RegExp(`GPT lba range\\s*:\\s*64\\s+${size / 512 - 64}\\s+${size / 512 - 1}`),
  );
  assert.match(area, new RegExp(`MBR partition\\s*:\\s*1\\s+0x80\\s+0x00\\s+0\\s+${size / 512}`));
  const twice = join(dir.path, 'twice.iso');
  const second = archiveOf('second');
  await extend(once, twice, second);
  await checkExtended(twice, Buffer.concat([expectedOnce, padded(second)]));
});

test('extendInitrd: coreos-installer fixture (genisoimage + isohybrid layout)', async () => {
  const fixture = await fixtureFile('embed-areas-2023-07.x86_64', dir.path);
  await assertReadersAgree(fixture);
  const original = await isoinfoExtract(fixture, '-R', '/images/pxeboot/initrd.img');
  const output = join(dir.path, 'fixture-extended.iso');
  const archive = archiveOf('fixture');
  await extend(fixture, output, archive);
  await checkExtended(output, Buffer.concat([original, Buffer.alloc(0), archive, Buffer.alloc(1)]));
  // The rest of the CoreOS metadata still reads, and nothing else moved.
  const before = await CoreosIso.open(fixture);
  const afterIso = await CoreosIso.open(output);
  try {
    assert.deepEqual(afterIso.metadata.ignition, before.metadata.ignition);
    assert.deepEqual(afterIso.metadata.kargs, before.metadata.kargs);
    assert.equal(afterIso.image.volumeId, before.image.volumeId);
  } finally {
    await before.close();
    await afterIso.close();
  }
});
