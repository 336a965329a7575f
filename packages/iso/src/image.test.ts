import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixtureBytes } from '@hostmirror/fixtures';
import { recordsOf } from './directory-record.ts';
import { BootPlatform } from './el-torito.ts';
import { IsoError, type IsoErrorCode } from './errors.ts';
import { IsoImage } from './image.ts';
import { SECTOR_SIZE } from './iso9660.ts';
import { planFileExtension } from './relocate.ts';
import { BufferSource } from './source.ts';

const fixture = 'embed-areas-2023-07.x86_64';
const open = async (bytes: Buffer) => IsoImage.fromSource(new BufferSource(bytes));

function rejectsWith(code: IsoErrorCode) {
  return (error: unknown) => {
    assert.ok(error instanceof IsoError, String(error));
    assert.equal(error.code, code, error.message);
    return true;
  };
}

test('primaryAndJolietTrees: same files, same extents, Rock Ridge long names', async () => {
  const image = await open(await fixtureBytes(fixture));
  assert.equal(image.volumeId, 'fedora-coreos-38.20230718.dev.0');
  assert.equal(await image.hasRockRidge(), true);
  const files = (tree: 'primary' | 'joliet') =>
    image.entries(tree).then((entries) =>
      entries
        .filter((entry) => !entry.isDirectory)
        .map((entry) => `${entry.path} ${entry.extents[0]?.lba} ${entry.size}`)
        .sort(),
    );
  const primary = await files('primary');
  assert.deepEqual(primary, await files('joliet'));
  // The extents xorriso reports for this fixture (`-find / -exec report_lba`).
  assert.ok(primary.includes('/images/ignition.img 68 262144'));
  assert.ok(primary.includes('/coreos/kargs.json 203 385'));
  assert.ok(primary.includes('/EFI/fedora/grub.cfg 199 2192'));
  assert.ok(primary.includes('/isolinux/boot.cat 44 2048'));
  assert.equal(primary.length, 14); // xorriso's 13 plus the boot catalog it does not list
});

test('findsFilesByUpperCaseIdentifierAndByLongName', async () => {
  const image = await open(await fixtureBytes(fixture));
  const byIdentifier = await image.findByIdentifier('COREOS/IGNINFO.JSO');
  assert.equal(byIdentifier?.path, '/coreos/igninfo.json');
  assert.equal((await image.findByIdentifier('coreos/kargs.jso'))?.size, 385);
  assert.equal(await image.findByIdentifier('coreos/igninfo.json'), undefined);
  assert.equal(
    (await image.findByName('/coreos/igninfo.json'))?.identifierPath,
    '/COREOS/IGNINFO.JSO',
  );
  assert.equal((await image.find('coreos/features.json'))?.extents[0]?.lba, 201);
  await assert.rejects(image.require('nope/none'), rejectsWith('FILE_NOT_FOUND'));
  const config = await image.readFile(byIdentifier as NonNullable<typeof byIdentifier>);
  assert.deepEqual(JSON.parse(config.toString()), { file: 'images/ignition.img' });
});

test('elToritoCatalog: BIOS isolinux and EFI entries', async () => {
  const catalog = await (await open(await fixtureBytes(fixture))).bootCatalog();
  assert.equal(catalog?.lba, 44);
  assert.deepEqual(
    catalog?.entries.map((entry) => [entry.platform, entry.bootable, entry.loadLba]),
    [
      [BootPlatform.x86, true, 45],
      [BootPlatform.efi, true, 64],
    ],
  );
});

test('sharedExtents: entriesAt finds a file in both trees, not its zero-length neighbours', async () => {
  const image = await open(await fixtureBytes('embed-areas-2021-01'));
  // isolinux.bin (0 bytes) shares sector 45 with isolinux.cfg in this fixture.
  const at45 = await image.entriesAt(45);
  assert.deepEqual(at45.map((entry) => `${entry.tree} ${entry.path} ${entry.size}`).sort(), [
    'joliet /isolinux/isolinux.bin 0',
    'joliet /isolinux/isolinux.cfg 3071',
    'primary /isolinux/isolinux.bin 0',
    'primary /isolinux/isolinux.cfg 3071',
  ]);
});

test('truncatedImage: ISO_TRUNCATED whether the cut is before or after the descriptors', async () => {
  const bytes = await fixtureBytes(fixture);
  await assert.rejects(open(bytes.subarray(0, 20_000)), rejectsWith('ISO_TRUNCATED'));
  await assert.rejects(open(bytes.subarray(0, 300_000)), rejectsWith('ISO_TRUNCATED'));
});

test('notIso9660: NOT_ISO9660 without CD001', async () => {
  const bytes = Buffer.from(await fixtureBytes(fixture));
  bytes.write('XXXXX', 16 * SECTOR_SIZE + 1, 'latin1');
  await assert.rejects(open(bytes), rejectsWith('NOT_ISO9660'));
});

test('directoryLoop: a subdirectory pointing at the root is DIRECTORY_LOOP', async () => {
  const bytes = Buffer.from(await fixtureBytes(fixture));
  const image = await open(bytes);
  const coreos = (await image.entries()).find((entry) => entry.path === '/coreos');
  const root = image.primary.root?.lba as number;
  const record = coreos?.recordOffsets[0] as number;
  bytes.writeUInt32LE(root, record + 2);
  bytes.writeUInt32BE(root, record + 6);
  await assert.rejects((await open(bytes)).entries(), rejectsWith('DIRECTORY_LOOP'));
});

test('extentPastEnd: a file extent beyond the image is EXTENT_PAST_END', async () => {
  const bytes = Buffer.from(await fixtureBytes(fixture));
  const image = await open(bytes);
  const kargs = await image.findByIdentifier('COREOS/KARGS.JSO');
  bytes.writeUInt32LE(0x00ff_ffff, (kargs?.recordOffsets[0] as number) + 2);
  await assert.rejects((await open(bytes)).entries(), rejectsWith('EXTENT_PAST_END'));
});

test('recordCrossingSector: RECORD_CROSSES_SECTOR, and a zero length skips to the next sector', () => {
  const directory = Buffer.alloc(2 * SECTOR_SIZE);
  const record = (at: number, length: number, name: string) => {
    directory[at] = length;
    directory[at + 32] = name.length;
    directory.write(name, at + 33, 'latin1');
  };
  record(0, 40, 'A;1');
  record(SECTOR_SIZE, 40, 'B;1'); // after the zero at byte 40: next sector
  assert.deepEqual(
    [...recordsOf(directory, 0, 0)].map((entry) => entry.identifier.toString()),
    ['A;1', 'B;1'],
  );
  // Records of 250 bytes back to back: the one at byte 2000 runs into the next sector.
  const crossing = Buffer.alloc(SECTOR_SIZE * 2);
  for (let at = 0; at < SECTOR_SIZE; at += 250) {
    crossing[at] = 250;
    crossing[at + 32] = 1;
  }
  assert.throws(() => [...recordsOf(crossing, 0, 0)], rejectsWith('RECORD_CROSSES_SECTOR'));
  const short = Buffer.alloc(SECTOR_SIZE);
  short[0] = 20;
  assert.throws(() => [...recordsOf(short, 0, 0)], rejectsWith('BAD_DIRECTORY_RECORD'));
});

test('multiExtentFile: records flagged 0x80 join into one file; relocation refuses it', async () => {
  const bytes = Buffer.from(await fixtureBytes(fixture));
  const image = await open(bytes);
  // Without Rock Ridge the names are the identifiers: break the root's SP entry.
  const rootSelf = (image.primary.root?.lba as number) * SECTOR_SIZE;
  const initrd = await image.findByIdentifier('IMAGES/PXEBOOT/INITRD.IMG');
  const rootfs = await image.findByIdentifier('IMAGES/PXEBOOT/ROOTFS.IMG');
  const first = initrd?.recordOffsets[0] as number;
  const second = rootfs?.recordOffsets[0] as number;
  assert.equal(second, first + (bytes[first] as number), 'the two records are adjacent');
  const sp = bytes.indexOf('SP', rootSelf + 34, 'latin1');
  bytes.write('XX', sp, 'latin1');
  bytes[first + 25] = (bytes[first + 25] as number) | 0x80;
  bytes.write('INITRD.IMG;1', second + 33, 'latin1');
  const joined = await open(bytes);
  assert.equal(await joined.hasRockRidge(), false);
  const file = await joined.findByIdentifier('IMAGES/PXEBOOT/INITRD.IMG');
  assert.deepEqual(file?.extents, [
    { lba: 196, length: 12 },
    { lba: 197, length: 12 },
  ]);
  assert.equal(file?.size, 24);
  assert.equal((await joined.readFile(file as NonNullable<typeof file>)).length, 24);
  assert.equal(await joined.findByIdentifier('IMAGES/PXEBOOT/ROOTFS.IMG'), undefined);
  await assert.rejects(planFileExtension(joined, []), rejectsWith('UNSUPPORTED_FILE'));
});
