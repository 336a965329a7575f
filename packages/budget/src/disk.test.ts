import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeDiskNeed, diskFileBytes, formatDiskNeeds } from './disk.ts';

const common = {
  archiveBytes: 20 * 2 ** 30,
  registryTreeBytes: 20 * 2 ** 30 + 8192,
  registryProgramBytes: 30_000_001,
};

test('readWriteVolume: the volume holds the archives, the tree beside them and the program; the install disk the restored program', () => {
  const need = computeDiskNeed({ host: 'node0', serves: true, ...common });
  assert.equal(
    need.volume.totalBytes,
    common.archiveBytes + common.registryTreeBytes + diskFileBytes(30_000_001) + 3 * 4096,
  );
  assert.equal(need.installDisk.totalBytes, diskFileBytes(30_000_001) + 3 * 4096);
  assert.equal(diskFileBytes(30_000_001) % 4096, 0);
});

test('readOnlyVolume: the tree moves to the install disk; the volume keeps the archives only', () => {
  const need = computeDiskNeed({
    host: 'node0',
    serves: true,
    volumeAccess: 'read-only',
    ...common,
  });
  assert.equal(need.volume.totalBytes, common.archiveBytes);
  assert.equal(
    need.installDisk.totalBytes,
    common.registryTreeBytes + diskFileBytes(30_000_001) + 3 * 4096,
  );
});

test('client: a host that does not serve needs no disk for the mirror', () => {
  const need = computeDiskNeed({ host: 'workers', serves: false, ...common });
  assert.equal(need.volume.totalBytes + need.installDisk.totalBytes, 0);
  assert.match(formatDiskNeeds([need]), /workers: does not serve the mirror/);
});

test('controlPlaneCopy: a control-plane node copying node0 needs the tree and the program on its install disk, no volume', () => {
  const need = computeDiskNeed({
    host: 'masters (×2)',
    serves: true,
    copiesFromNode0: true,
    ...common,
  });
  assert.equal(need.volume.totalBytes, 0);
  assert.equal(
    need.installDisk.totalBytes,
    common.registryTreeBytes + diskFileBytes(30_000_001) + 3 * 4096,
  );
  assert.match(formatDiskNeeds([need]), /masters \(×2\): copies node0's storage after the install/);
  assert.match(
    formatDiskNeeds([need]),
    /copy of node0's registry storage tree \(\/var\/lib\/hostmirror\)/,
  );
});

test('badInput: a negative size is refused with BAD_INPUT', () => {
  assert.throws(() => computeDiskNeed({ host: 'x', serves: true, ...common, archiveBytes: -1 }), {
    code: 'BAD_INPUT',
  });
});
