/** Ignition's rules for disks, partitions, filesystems, RAID and LUKS (docs/ignition.md#storage-devices). */
import type { Disk, Filesystem, Luks, Partition, Raid, Storage } from './config.ts';
import { checkDuplicates, type FindingCollector, type JsonPath } from './findings.ts';
import { pathProblem } from './paths.ts';
import { checkResource } from './rules-resource.ts';
import type { SpecRules } from './spec.ts';
import { parseUrlLikeGo, urlProblem } from './url.ts';

/** GPT partition names Ignition accepts (36 UTF-16 code units in the GPT entry). */
const maxPartitionLabel = 36;
/** cryptsetup's LUKS2 label limit as Ignition checks it. */
const maxLuksLabel = 47;
const guidPattern =
  /^(|[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})$/;
/** Filesystem label limits per format (mkfs limits as Ignition checks them). */
const maxFilesystemLabel: Readonly<Record<string, number>> = {
  ext4: 16,
  btrfs: 256,
  xfs: 12,
  swap: 15,
  vfat: 11,
};
/** RAID levels Ignition (mdadm) accepts. */
const raidLevels = [
  'linear',
  'raid0',
  '0',
  'stripe',
  'raid1',
  '1',
  'mirror',
  'raid4',
  '4',
  'raid5',
  '5',
  'raid6',
  '6',
  'raid10',
  '10',
];
const clevisPinsBefore36 = ['tpm2', 'tang', 'sss'];

const isSet = <T>(value: T | null | undefined): value is T => value !== undefined && value !== null;

function checkDevicePath(
  device: string | null | undefined,
  path: JsonPath,
  findings: FindingCollector,
) {
  const problem = pathProblem(device);
  if (problem !== undefined) findings.error(path, problem);
}

function partitionKey(partition: Partition): string {
  if ((partition.number ?? 0) !== 0) return `number:${partition.number}`;
  if (isSet(partition.label)) return `label:${partition.label}`;
  return '';
}

function checkPartition(partition: Partition, path: JsonPath, findings: FindingCollector) {
  const label = partition.label ?? undefined;
  if (label !== undefined) {
    if ([...label].length > maxPartitionLabel)
      findings.error([...path, 'label'], 'partition labels may not exceed 36 characters');
    if (label.includes(':'))
      findings.error(
        [...path, 'label'],
        'partition label will be truncated to text before the colon',
      );
  }
  for (const key of ['guid', 'typeGuid'] as const) {
    const value = partition[key];
    if (isSet(value) && !guidPattern.test(value))
      findings.error(
        [...path, key],
        `doesn't match the form "01234567-89AB-CDEF-EDCB-A98765432101"`,
      );
  }
  if ((partition.number ?? 0) === 0 && label === undefined)
    findings.error(path, 'a partition number >= 1 or a label must be specified');
  const others = [
    partition.label,
    partition.typeGuid,
    partition.guid,
    partition.startMiB,
    partition.sizeMiB,
  ];
  if (partition.shouldExist === false && others.some(isSet))
    findings.error(path, 'shouldExist specified false with other options also specified');
}

function checkDisk(disk: Disk, path: JsonPath, findings: FindingCollector) {
  if (disk.device === undefined || disk.device === '')
    findings.error([...path, 'device'], 'disk device is required');
  else checkDevicePath(disk.device, [...path, 'device'], findings);
  const partitions = disk.partitions ?? [];
  const numbers = new Set<number>();
  const labels = new Set<string>();
  partitions.forEach((partition, index) => {
    const partitionPath = [...path, 'partitions', index];
    checkPartition(partition, partitionPath, findings);
    const number = partition.number ?? 0;
    if (number !== 0) {
      if (numbers.has(number)) findings.error(partitionPath, 'partition numbers collide');
      numbers.add(number);
    }
    const label = partition.label ?? undefined;
    if (label !== undefined) {
      if (labels.has(label))
        findings.error(partitionPath, 'cannot use the same partition label twice');
      labels.add(label);
    }
    const overlaps = partitions.slice(0, index).some((other) => rangesOverlap(other, partition));
    if (overlaps) findings.error(partitionPath, 'partitions overlap');
  });
  checkDuplicates(partitions, partitionKey, [...path, 'partitions'], findings);
}

/** Overlap is checked only when both start and size are set and the start is not 0. */
function rangesOverlap(a: Partition, b: Partition): boolean {
  const range = (p: Partition): [number, number] | undefined =>
    isSet(p.startMiB) && isSet(p.sizeMiB) && p.startMiB !== 0 && p.sizeMiB !== 0
      ? [p.startMiB, p.startMiB + p.sizeMiB - 1]
      : undefined;
  const first = range(a);
  const second = range(b);
  if (first === undefined || second === undefined) return false;
  return first[0] <= second[1] && second[0] <= first[1];
}

function checkFilesystem(
  filesystem: Filesystem,
  path: JsonPath,
  rules: SpecRules,
  findings: FindingCollector,
) {
  checkDevicePath(filesystem.device, [...path, 'device'], findings);
  if (isSet(filesystem.path) && filesystem.path !== '')
    checkDevicePath(filesystem.path, [...path, 'path'], findings);
  const format = filesystem.format ?? '';
  if (format !== '' && !rules.filesystemFormats.includes(format))
    findings.error([...path, 'format'], 'invalid filesystem format');
  const needsFormat =
    (isSet(filesystem.path) && filesystem.path !== '') ||
    isSet(filesystem.label) ||
    isSet(filesystem.uuid) ||
    filesystem.wipeFilesystem === true ||
    (filesystem.options ?? []).length > 0 ||
    (filesystem.mountOptions ?? []).length > 0;
  if (format === '' && needsFormat)
    findings.error(
      [...path, 'format'],
      'format cannot be empty when path, label, uuid, wipeFilesystem, options, or mountOptions is specified',
    );
  if (isSet(filesystem.label) && format === '')
    findings.error([...path, 'label'], 'filesystem must specify format if label is specified');
  const limit = maxFilesystemLabel[format];
  if (isSet(filesystem.label) && limit !== undefined && filesystem.label.length > limit)
    findings.error(
      [...path, 'label'],
      `filesystem labels cannot be longer than ${limit} characters when using ${format}`,
    );
}

/** Warnings when a filesystem is made on a whole disk the config also partitions or wipes. */
function checkFilesystemOnDisk(storage: Storage, findings: FindingCollector) {
  const disks = new Map((storage.disks ?? []).map((disk) => [disk.device, disk]));
  storage.filesystems?.forEach((filesystem, index) => {
    const disk = disks.get(filesystem.device);
    if (disk === undefined) return;
    const path = ['storage', 'filesystems', index, 'device'];
    if ((disk.partitions ?? []).length > 0)
      findings.warn(path, 'filesystem overwrites partitioned device');
    else if (disk.wipeTable === true && filesystem.wipeFilesystem !== true)
      findings.warn(path, 'device matches disk with wipeTable enabled; filesystem will be wiped');
  });
}

function checkRaid(raid: Raid, path: JsonPath, rules: SpecRules, findings: FindingCollector) {
  // 3.3+ has a nullable level (absent: required); before, an absent level decodes as "".
  const level = raid.level ?? undefined;
  if (level === undefined && rules.raidLevelRequired)
    findings.error([...path, 'level'], 'raid level is required');
  else if (!raidLevels.includes(level ?? ''))
    findings.error([...path, 'level'], 'unrecognized raid level');
  const spares = raid.spares ?? 0;
  if (spares !== 0 && ['linear', 'raid0', '0', 'stripe'].includes(level ?? ''))
    findings.error([...path, 'level'], 'spares unsupported for linear and raid0 arrays');
  const devices = raid.devices ?? [];
  if (devices.length === 0) findings.error([...path, 'devices'], 'raid devices required');
  devices.forEach((device, index) => {
    checkDevicePath(device, [...path, 'devices', index], findings);
  });
  checkDuplicates(devices, (device) => device, [...path, 'devices'], findings);
}

function checkLuks(luks: Luks, path: JsonPath, rules: SpecRules, findings: FindingCollector) {
  if ((luks.name ?? '').includes('/'))
    findings.error([...path, 'name'], 'device names cannot contain slashes');
  if (isSet(luks.label) && luks.label.length > maxLuksLabel)
    findings.error([...path, 'label'], 'luks device labels cannot be longer than 47 characters');
  if (!isSet(luks.device) || luks.device === '')
    findings.error([...path, 'device'], 'disk device is required');
  else checkDevicePath(luks.device, [...path, 'device'], findings);
  if (luks.keyFile !== undefined)
    checkResource(luks.keyFile, [...path, 'keyFile'], rules, findings, { sourceRequired: false });
  const keySource = luks.keyFile?.source ?? undefined;
  if (
    keySource !== undefined &&
    keySource !== '' &&
    urlProblem(keySource, rules.urlSchemes) !== undefined
  )
    findings.error([...path, 'keys'], 'invalid key-file source');
  const clevis = luks.clevis;
  const custom = clevis?.custom;
  const tang = clevis?.tang ?? [];
  if (
    isSet(custom?.pin) &&
    custom.pin !== '' &&
    (tang.length > 0 || clevis?.tpm2 === true || (clevis?.threshold ?? 0) !== 0)
  )
    findings.error(
      [...path, 'clevis'],
      'cannot use custom clevis config with tpm2, tang, or threshold',
    );
  if (isSet(custom?.pin) || isSet(custom?.config) || isSet(custom?.needsNetwork)) {
    const customPath = [...path, 'clevis', 'custom'];
    const pin = custom?.pin ?? '';
    if (pin === '') findings.error([...customPath, 'pin'], 'missing required custom clevis pin');
    else if (!rules.anyClevisPin && !clevisPinsBefore36.includes(pin))
      findings.error([...customPath, 'pin'], 'unsupported clevis pin');
    if ((custom?.config ?? '') === '')
      findings.error([...customPath, 'config'], 'missing required custom clevis config');
  }
  tang.forEach((server, index) => {
    const tangPath = [...path, 'clevis', 'tang', index];
    const scheme = parseUrlLikeGo(server.url ?? '')?.scheme;
    if (scheme !== 'http' && scheme !== 'https')
      findings.error([...tangPath, 'url'], 'invalid url scheme');
    if ((server.thumbprint ?? '') === '')
      findings.error([...tangPath, 'thumbprint'], 'thumbprint is required');
    if (isSet(server.advertisement) && server.advertisement !== '' && !isJson(server.advertisement))
      findings.error([...tangPath, 'advertisement'], 'advertisement is not valid JSON');
  });
  checkDuplicates(tang, (server) => server.url ?? '', [...path, 'clevis', 'tang'], findings);
  checkDuplicates(luks.openOptions, (option) => option, [...path, 'openOptions'], findings);
  if (luks.cex?.enabled === true) {
    const hasClevis =
      isSet(custom?.pin) ||
      tang.length > 0 ||
      clevis?.tpm2 === true ||
      (clevis?.threshold ?? 0) !== 0;
    if (hasClevis) findings.error([...path, 'cex'], 'cannot use cex with clevis');
    if (keySource !== undefined) findings.error([...path, 'cex'], 'cannot use key file with cex');
  }
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Disks, filesystems, RAID and LUKS, with their keyed-list duplicates. */
export function checkDevices(storage: Storage, rules: SpecRules, findings: FindingCollector): void {
  storage.disks?.forEach((disk, index) => {
    checkDisk(disk, ['storage', 'disks', index], findings);
  });
  storage.filesystems?.forEach((filesystem, index) => {
    checkFilesystem(filesystem, ['storage', 'filesystems', index], rules, findings);
  });
  checkFilesystemOnDisk(storage, findings);
  storage.raid?.forEach((raid, index) => {
    checkRaid(raid, ['storage', 'raid', index], rules, findings);
  });
  storage.luks?.forEach((luks, index) => {
    checkLuks(luks, ['storage', 'luks', index], rules, findings);
  });
  checkDuplicates(storage.disks, (disk) => disk.device, ['storage', 'disks'], findings);
  checkDuplicates(storage.filesystems, (fs) => fs.device, ['storage', 'filesystems'], findings);
  checkDuplicates(storage.raid, (raid) => raid.name, ['storage', 'raid'], findings);
  checkDuplicates(storage.luks, (luks) => luks.name, ['storage', 'luks'], findings);
}
