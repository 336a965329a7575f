/**
 * Extending the initrd inside the ISO, checked by the real readers: xorriso and isoinfo list
 * the same extents as our reader before and after, every tree returns the new initrd bytes,
 * and xorriso finds the MBR and GPT consistent with the new size (iso-relocation.md).
 */
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  fixtureFile,
  makeCoreosIso,
  requireTool,
  runShell,
  scratchDir,
} from '@hostmirror/fixtures';
import { CoreosIso, type IsoEntry, IsoError, IsoImage } from '../../packages/iso/src/index.ts';
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

/** A real archive made by the system's cpio and xz (one file, `hostmirror/<name>`), odd-sized. */
async function archiveOf(name: string): Promise<Buffer> {
  const [cpio, xz] = await Promise.all([requireTool('cpio'), requireTool('xz')]);
  const tree = join(dir.path, `tree-${name}`);
  await mkdir(join(tree, 'hostmirror'), { recursive: true });
  await writeFile(join(tree, 'hostmirror', name), `${name}\n`);
  const result = await runShell(
    `cd "${tree}" && printf 'hostmirror\\nhostmirror/${name}\\n' | "${cpio}" -o -H newc -R 0:0 --quiet | "${xz}" --check=crc32`,
    { timeoutMs: 10_000 },
  );
  return result.stdout;
}

/**
 * fdisk's GPT check. Neither builder writes a protective MBR, so fdisk would read the DOS table
 * (iso-relocation.md): check a copy given one. A corrupt primary or backup is reported.
 */
async function fdiskGpt(iso: string): Promise<string> {
  const fdisk = await requireTool('fdisk', 'fdisk');
  const bytes = Buffer.from(await readFile(iso));
  const sectors = bytes.length / 512;
  bytes.fill(0, 446, 510);
  Buffer.from([0, 0, 2, 0, 0xee, 0xff, 0xff, 0xff]).copy(bytes, 446);
  bytes.writeUInt32LE(1, 446 + 8);
  bytes.writeUInt32LE(sectors - 1, 446 + 12);
  const copy = `${iso}.protective`;
  await writeFile(copy, bytes);
  const result = await runShell(`"${fdisk}" -l "${copy}" 2>&1`, { timeoutMs: 10_000 });
  return result.stdout.toString();
}

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
  const gpt = await fdiskGpt(iso);
  assert.match(gpt, /Disklabel type: gpt/, gpt);
  assert.doesNotMatch(gpt, /corrupt|invalid|mismatch/i, gpt);
  return area;
}

test('extendInitrd: xorriso-built hybrid ISO (MBR + GPT), twice, readers agree', async () => {
  const made = await makeCoreosIso({ output: join(dir.path, 'made.iso') });
  await assertReadersAgree(made.path);
  const original = await isoinfoExtract(made.path, '-R', '/images/pxeboot/initrd.img');
  const once = join(dir.path, 'once.iso');
  const first = await archiveOf('first');
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
  // The check can fail: a flipped byte in the new backup header is reported.
  const broken = join(dir.path, 'broken-backup.iso');
  const flipped = Buffer.from(await readFile(once));
  flipped[flipped.length - 512 + 40] = (flipped[flipped.length - 512 + 40] ?? 0) ^ 1;
  await writeFile(broken, flipped);
  assert.match(await fdiskGpt(broken), /backup GPT table is corrupt/);
  const twice = join(dir.path, 'twice.iso');
  const second = await archiveOf('second');
  await extend(once, twice, second);
  await checkExtended(twice, Buffer.concat([expectedOnce, padded(second)]));
});

test('extendInitrd: genisoimage + isohybrid build (volume ends before the padding and GPT)', async () => {
  const made = await makeCoreosIso({
    output: join(dir.path, 'geniso.iso'),
    builder: 'genisoimage',
  });
  await assertReadersAgree(made.path);
  const original = await isoinfoExtract(made.path, '-R', '/images/pxeboot/initrd.img');
  const archive = await archiveOf('geniso');
  const output = join(dir.path, 'geniso-extended.iso');
  await extend(made.path, output, archive);
  const pad = (bytes: Buffer) => Buffer.alloc((4 - (bytes.length % 4)) % 4);
  await checkExtended(output, Buffer.concat([original, pad(original), archive, pad(archive)]));
});

test('extendInitrd: coreos-installer fixture (genisoimage + isohybrid layout)', async () => {
  const fixture = await fixtureFile('embed-areas-2023-07.x86_64', dir.path);
  await assertReadersAgree(fixture);
  const original = await isoinfoExtract(fixture, '-R', '/images/pxeboot/initrd.img');
  const output = join(dir.path, 'fixture-extended.iso');
  const archive = await archiveOf('fixture');
  await extend(fixture, output, archive);
  const pad = Buffer.alloc((4 - (archive.length % 4)) % 4);
  const area = await checkExtended(output, Buffer.concat([original, archive, pad]));
  // isohybrid layout: the volume ends with the new extent, GPT partition 1 is exactly the
  // volume, MBR partition 1 the whole (cylinder-aligned) file, the backup GPT at its end.
  const bytes = await readFile(output);
  const volume = bytes.readUInt32LE(16 * 2048 + 80) * 2048;
  assert.ok(volume < bytes.length);
  assert.equal(bytes.length % (1024 * 1024), 0);
  assert.match(area, new RegExp(`GPT start and size :\\s+1\\s+0\\s+${volume / 512}\\n`));
  assert.match(
    area,
    new RegExp(`MBR partition\\s*:\\s*1\\s+0x80\\s+0x00\\s+0\\s+${bytes.length / 512}`),
  );
  assert.match(area, new RegExp(`GPT lba range\\s*:\\s*34\\s+\\d+\\s+${bytes.length / 512 - 1}`));
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

test('badArchive: a CRC64 xz archive is refused before anything is written (new file, in place)', async () => {
  const fixture = await fixtureFile('embed-areas-2022-02', dir.path);
  const before = await readFile(fixture);
  const good = await archiveOf('crc64');
  const [xz] = await Promise.all([requireTool('xz')]);
  const recompressed = await runShell(`"${xz}" -dc | "${xz}" --check=crc64`, {
    timeoutMs: 10_000,
    input: good,
  });
  const archive = join(dir.path, 'crc64.cpio.xz');
  await writeFile(archive, recompressed.stdout);
  const iso = await CoreosIso.open(fixture);
  try {
    const { edit } = await iso.planAppendInitrd([archive]);
    const refused = join(dir.path, 'refused.iso');
    await assert.rejects(iso.write(edit, { kind: 'file', path: refused }), (error) => {
      assert.ok(error instanceof IsoError);
      assert.equal(error.code, 'BAD_ARCHIVE');
      return true;
    });
    await assert.rejects(iso.write(edit, { kind: 'in-place' }), (error) => {
      return error instanceof IsoError && error.code === 'BAD_ARCHIVE';
    });
  } finally {
    await iso.close();
  }
  assert.deepEqual(await readFile(fixture), before);
  await assert.rejects(readFile(join(dir.path, 'refused.iso')), { code: 'ENOENT' });
});

test('extendFile: a plain ISO (no MBR, no GPT) grows to the end of the new extent', async () => {
  const root = join(dir.path, 'plain-root');
  await mkdir(join(root, 'images/pxeboot'), { recursive: true });
  await writeFile(join(root, 'images/pxeboot/initrd.img'), 'plain-initrd\n');
  await writeFile(join(root, 'images/ignition.img'), Buffer.alloc(262144)); // makes it CoreOS-like
  const plain = join(dir.path, 'plain.iso');
  const xorriso = await requireTool('xorriso');
  await runShell(`"${xorriso}" -as mkisofs -quiet -o "${plain}" -R -J -V PLAIN "${root}"`, {
    timeoutMs: 30_000,
  });
  const archive = await archiveOf('plain');
  const output = join(dir.path, 'plain-extended.iso');
  await extend(plain, output, archive);
  await assertReadersAgree(output);
  const bytes = await readFile(output);
  const pad = (data: Buffer) => Buffer.alloc((4 - (data.length % 4)) % 4);
  const original = Buffer.from('plain-initrd\n');
  const expected = Buffer.concat([original, pad(original), archive, pad(archive)]);
  assert.deepEqual(await isoinfoExtract(output, '-J', '/images/pxeboot/initrd.img'), expected);
  assert.equal(bytes.readUInt32LE(16 * 2048 + 80) * 2048, bytes.length);
  assert.equal(
    bytes.length,
    (await readFile(plain)).length + Math.ceil(expected.length / 2048) * 2048,
  );
});
