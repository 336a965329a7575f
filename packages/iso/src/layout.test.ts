import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixtureBytes, scratchDir } from '@hostmirror/fixtures';
import { CoreosIso } from './coreos-iso.ts';
import { IsoError } from './errors.ts';
import { IsoImage } from './image.ts';
import { inspectIso } from './inspect.ts';
import { SECTOR_SIZE, writeBothEndian32 } from './iso9660.ts';
import { checkLayout } from './layout.ts';
import { BufferSource } from './source.ts';

const fixture = 'embed-areas-2023-07.x86_64';
const open = (bytes: Buffer) => IsoImage.fromSource(new BufferSource(bytes));

test('consistentFixtures: every coreos-installer fixture agrees with itself', async () => {
  for (const name of [
    'embed-areas-2021-01',
    'embed-areas-2022-02',
    fixture,
    'embed-areas-2023-07.s390x',
  ])
    assert.deepEqual(await checkLayout(await open(await fixtureBytes(name))), [], name);
});

test('disagreements: volume sizes, Joliet vs primary extent, MBR and GPT are each reported', async () => {
  const bytes = Buffer.from(await fixtureBytes(fixture));
  const image = await open(bytes);
  const joliet = image.joliet as NonNullable<typeof image.joliet>;
  const jolietInitrd = (await image.entries('joliet')).find(
    (entry) => entry.path === '/images/pxeboot/initrd.img',
  );
  const torn = Buffer.from(bytes);
  writeBothEndian32(torn, joliet.sector * SECTOR_SIZE + 80, joliet.volumeSpaceSize - 1);
  writeBothEndian32(torn, (jolietInitrd?.recordOffsets[0] as number) + 2, 70);
  torn.writeUInt32LE(torn.readUInt32LE(446 + 12) + 8, 446 + 12); // MBR partition 1 size
  torn.writeUInt32LE(0, 512 + 88); // GPT entries CRC
  const problems = await checkLayout(await open(torn));
  assert.equal(problems.length, 4, problems.join('\n'));
  assert.match(
    problems[0] ?? '',
    /joliet volume descriptor \(sector 18\) says 361 sectors, the primary 362/,
  );
  assert.match(
    problems[1] ?? '',
    /\/images\/pxeboot\/initrd.img: the primary tree says sector \d+, 12 bytes; the Joliet tree says sector 70/,
  );
  assert.match(problems[2] ?? '', /MBR partition 1 (ends .* past the end|covers)/);
  assert.match(problems[3] ?? '', /GPT is inconsistent: header CRC32 mismatch/);
});

test('backupGpt: a backup header without its signature, or with a bad CRC, is one problem naming its sector', async () => {
  const bytes = Buffer.from(await fixtureBytes(fixture));
  const backupSector = bytes.length / 512 - 1;
  const cases: [(copy: Buffer) => void, RegExp][] = [
    [(copy) => copy.write('NOT PART', backupSector * 512, 'latin1'), /no "EFI PART" signature/],
    [
      (copy) =>
        copy.writeUInt32LE(copy.readUInt32LE(backupSector * 512 + 16) ^ 1, backupSector * 512 + 16),
      /The ISO's GPT is inconsistent: header CRC32 mismatch/,
    ],
  ];
  for (const [damage, expected] of cases) {
    const copy = Buffer.from(bytes);
    damage(copy);
    const problems = await checkLayout(await open(copy));
    assert.equal(problems.length, 1, problems.join('\n'));
    assert.match(
      problems[0] ?? '',
      new RegExp(`^the backup GPT header at sector ${backupSector} disagrees: ${expected.source}`),
    );
  }
});

test('unsafeArea: an Ignition area over the volume descriptors is refused by reset, embed and kargs', async () => {
  const bytes = Buffer.from(await fixtureBytes(fixture));
  const image = await open(bytes);
  const ignition = await image.findByIdentifier('IMAGES/IGNITION.IMG');
  // The image's record now says ignition.img starts at sector 16 (the descriptors).
  writeBothEndian32(bytes, (ignition?.recordOffsets[0] as number) + 2, 16);
  const dir = await scratchDir('unsafe');
  try {
    const path = join(dir.path, 'unsafe.iso');
    await writeFile(path, bytes);
    const iso = await CoreosIso.open(path);
    try {
      const unsafe = (error: unknown) =>
        error instanceof IsoError &&
        error.code === 'UNSAFE_AREA' &&
        /Ignition area in images\/ignition.img \(bytes 32768–294912\) overlaps the volume descriptors/.test(
          error.message,
        );
      await assert.rejects(iso.planReset(), unsafe);
      const report = await inspectIso(iso);
      assert.ok(
        report.problems.some((problem) => /overlaps the volume descriptors/.test(problem)),
        report.problems.join('\n'),
      );
      await assert.rejects(
        iso.planEmbedIgnition(Buffer.from('{}')),
        (error) => error instanceof IsoError,
      );
    } finally {
      await iso.close();
    }
  } finally {
    await dir.dispose();
  }
});
