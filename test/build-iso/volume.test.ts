/**
 * `volume prepare`: the disk image has a GPT partition named `data` whose ext4 filesystem is
 * labelled `data` and holds the archives, byte for byte, as sfdisk, blkid and debugfs read them.
 */
import assert from 'node:assert/strict';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { after, before, test } from 'node:test';
import { requireTool, runOk } from '@hostmirror/fixtures';
import { prepareVolumeImage, sha256File } from '../../packages/build-iso/src/index.ts';
import { hostmirror } from '../foundation/hostmirror-cli.ts';
import { demoInputs } from './support.ts';

let work: string;
let inputs: Awaited<ReturnType<typeof demoInputs>>['inputs'];

before(async () => {
  ({ work, inputs } = await demoInputs('volume'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('the volume image: GPT partition "data", ext4 labelled "data", the archives inside', async () => {
  const [sfdisk, blkid, debugfs] = await Promise.all([
    requireTool('sfdisk', 'fdisk'),
    requireTool('blkid', 'util-linux'),
    requireTool('debugfs', 'e2fsprogs'),
  ]);
  const image = join(work, 'volume.img');
  const volume = await prepareVolumeImage({ archives: [inputs.folder], image });
  const table = JSON.parse(
    (await runOk(sfdisk, ['--json', image], { timeoutMs: 10_000 })).stdout.toString(),
  );
  const [partition] = table.partitiontable.partitions;
  assert.equal(table.partitiontable.label, 'gpt');
  assert.equal(partition.name, 'data');
  assert.equal(partition.start * 512, volume.partition.offsetBytes);
  const filesystem = join(work, 'partition.img');
  await pipeline(
    createReadStream(image, {
      start: volume.partition.offsetBytes,
      end: volume.partition.offsetBytes + volume.partition.sizeBytes - 1,
    }),
    createWriteStream(filesystem),
  );
  const probed = (
    await runOk(blkid, ['-p', '-o', 'export', filesystem], { timeoutMs: 10_000 })
  ).stdout.toString();
  assert.match(probed, /^LABEL=data$/m);
  assert.match(probed, /^TYPE=ext4$/m);
  const dumped = join(work, 'dumped.tar');
  await runOk(debugfs, ['-R', `dump /mirror_000001.tar ${dumped}`, filesystem], {
    timeoutMs: 10_000,
  });
  assert.equal(await sha256File(dumped), await sha256File(inputs.archive));
  assert.equal(volume.archives[0]?.sha256, await sha256File(inputs.archive));

  const again = await hostmirror([
    'volume',
    'prepare',
    '--mirror',
    inputs.folder,
    '--image',
    image,
  ]);
  assert.equal(again.exitCode, 1, 'an existing image needs -f');
  const forced = await hostmirror([
    'volume',
    'prepare',
    '--mirror',
    inputs.archive,
    '--image',
    image,
    '-f',
    '--json',
  ]);
  assert.equal(forced.exitCode, 0, forced.stderrText);
  assert.equal(JSON.parse(forced.stdoutText).label, 'data');
});
