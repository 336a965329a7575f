/** Ignition's rules for disks, partitions, filesystems, RAID and LUKS (docs/ignition.md#storage-devices). */
import type { Disk, Filesystem, Luks, Partition, Raid, Storage } from './config.ts';
import { checkDuplicates, type FindingCollector, type JsonPath } from './findings.ts';
import { ignitionMessages } from './messages.ts';
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
const maxFilesystemLabel: Readonly<Record<string, { length: number; message: string }>> = {
  ext4: { length: 16, message: ignitionMessages.ErrExt4LabelTooLong },
  btrfs: { length: 256, message: ignitionMessages.ErrBtrfsLabelTooLong },
  xfs: { length: 12, message: ignitionMessages.ErrXfsLabelTooLong },
  swap: { length: 15, message: ignitionMessages.ErrSwapLabelTooLong },
  vfat: { length: 11, message: ignitionMessages.ErrVfatLabelTooLong },
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
      findings.error([...path, 'label'], ignitionMessages.ErrLabelTooLong);
    if (label.includes(':'))
      findings.error([...path, 'label'], ignitionMessages.ErrLabelContainsColon);
  }
  for (const key of ['guid', 'typeGuid'] as const) {
    const value = partition[key];
    if (isSet(value) && !guidPattern.test(value))
      findings.error([...path, key], ignitionMessages.ErrDoesntMatchGUIDRegex);
  }
  if ((partition.number ?? 0) === 0 && label === undefined)
    findings.error(path, ignitionMessages.ErrNeedLabelOrNumber);
  const others = [
    partition.label,
    partition.typeGuid,
    partition.guid,
    partition.startMiB,
    partition.sizeMiB,
  ];
  if (partition.shouldExist === false && others.some(isSet))
    findings.error(path, ignitionMessages.ErrShouldNotExistWithOthers);
}

function checkDisk(disk: Disk, path: JsonPath, findings: FindingCollector) {
  if (disk.device === undefined || disk.device === '')
    findings.error([...path, 'device'], ignitionMessages.ErrDiskDeviceRequired);
  else checkDevicePath(disk.device, [...path, 'device'], findings);
  const partitions = disk.partitions ?? [];
  const numbers = new Set<number>();
  const labels = new Set<string>();
  partitions.forEach((partition, index) => {
    const partitionPath = [...path, 'partitions', index];
    checkPartition(partition, partitionPath, findings);
    const number = partition.number ?? 0;
    if (number !== 0) {
      if (numbers.has(number))
        findings.error(partitionPath, ignitionMessages.ErrPartitionNumbersCollide);
      numbers.add(number);
    }
    const label = partition.label ?? undefined;
    if (label !== undefined) {
      if (labels.has(label)) findings.error(partitionPath, ignitionMessages.ErrDuplicateLabels);
      labels.add(label);
    }
    const overlaps = partitions.slice(0, index).some((other) => rangesOverlap(other, partition));
    if (overlaps) findings.error(partitionPath, ignitionMessages.ErrPartitionsOverlap);
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
    findings.error([...path, 'format'], ignitionMessages.ErrFilesystemInvalidFormat);
  const needsFormat =
    (isSet(filesystem.path) && filesystem.path !== '') ||
    isSet(filesystem.label) ||
    isSet(filesystem.uuid) ||
    filesystem.wipeFilesystem === true ||
    (filesystem.options ?? []).length > 0 ||
    (filesystem.mountOptions ?? []).length > 0;
  if (format === '' && needsFormat)
    findings.error([...path, 'format'], ignitionMessages.ErrFormatNilWithOthers);
  if (isSet(filesystem.label) && format === '')
    findings.error([...path, 'label'], ignitionMessages.ErrLabelNeedsFormat);
  const limit = maxFilesystemLabel[format];
  if (isSet(filesystem.label) && limit !== undefined && filesystem.label.length > limit.length)
    findings.error([...path, 'label'], limit.message);
}

/** Warnings when a filesystem is made on a whole disk the config also partitions or wipes. */
function checkFilesystemOnDisk(storage: Storage, findings: FindingCollector) {
  const disks = new Map((storage.disks ?? []).map((disk) => [disk.device, disk]));
  storage.filesystems?.forEach((filesystem, index) => {
    const disk = disks.get(filesystem.device);
    if (disk === undefined) return;
    const path = ['storage', 'filesystems', index, 'device'];
    if ((disk.partitions ?? []).length > 0)
      findings.warn(path, ignitionMessages.ErrPartitionsOverwritten);
    else if (disk.wipeTable === true && filesystem.wipeFilesystem !== true)
      findings.warn(path, ignitionMessages.ErrFilesystemImplicitWipe);
  });
}

function checkRaid(raid: Raid, path: JsonPath, rules: SpecRules, findings: FindingCollector) {
  // 3.3+ has a nullable level (absent: required); before, an absent level decodes as "".
  const level = raid.level ?? undefined;
  if (level === undefined && rules.raidLevelRequired)
    findings.error([...path, 'level'], ignitionMessages.ErrRaidLevelRequired);
  else if (!raidLevels.includes(level ?? ''))
    findings.error([...path, 'level'], ignitionMessages.ErrUnrecognizedRaidLevel);
  const spares = raid.spares ?? 0;
  if (spares !== 0 && ['linear', 'raid0', '0', 'stripe'].includes(level ?? ''))
    findings.error([...path, 'level'], ignitionMessages.ErrSparesUnsupportedForLevel);
  const devices = raid.devices ?? [];
  if (devices.length === 0)
    findings.error([...path, 'devices'], ignitionMessages.ErrRaidDevicesRequired);
  devices.forEach((device, index) => {
    checkDevicePath(device, [...path, 'devices', index], findings);
  });
  checkDuplicates(devices, (device) => device, [...path, 'devices'], findings);
}

function checkLuks(luks: Luks, path: JsonPath, rules: SpecRules, findings: FindingCollector) {
  if ((luks.name ?? '').includes('/'))
    findings.error([...path, 'name'], ignitionMessages.ErrLuksNameContainsSlash);
  if (isSet(luks.label) && luks.label.length > maxLuksLabel)
    findings.error([...path, 'label'], ignitionMessages.ErrLuksLabelTooLong);
  if (!isSet(luks.device) || luks.device === '')
    findings.error([...path, 'device'], ignitionMessages.ErrDiskDeviceRequired);
  else checkDevicePath(luks.device, [...path, 'device'], findings);
  if (luks.keyFile !== undefined)
    checkResource(luks.keyFile, [...path, 'keyFile'], rules, findings, { sourceRequired: false });
  const keySource = luks.keyFile?.source ?? undefined;
  if (
    keySource !== undefined &&
    keySource !== '' &&
    urlProblem(keySource, rules.urlSchemes) !== undefined
  )
    findings.error([...path, 'keys'], ignitionMessages.ErrInvalidLuksKeyFile);
  const clevis = luks.clevis;
  const custom = clevis?.custom;
  const tang = clevis?.tang ?? [];
  if (
    isSet(custom?.pin) &&
    custom.pin !== '' &&
    (tang.length > 0 || clevis?.tpm2 === true || (clevis?.threshold ?? 0) !== 0)
  )
    findings.error([...path, 'clevis'], ignitionMessages.ErrClevisCustomWithOthers);
  if (isSet(custom?.pin) || isSet(custom?.config) || isSet(custom?.needsNetwork)) {
    const customPath = [...path, 'clevis', 'custom'];
    const pin = custom?.pin ?? '';
    if (pin === '') findings.error([...customPath, 'pin'], ignitionMessages.ErrClevisPinRequired);
    else if (!rules.anyClevisPin && !clevisPinsBefore36.includes(pin))
      findings.error([...customPath, 'pin'], ignitionMessages.ErrUnknownClevisPin);
    if ((custom?.config ?? '') === '')
      findings.error([...customPath, 'config'], ignitionMessages.ErrClevisConfigRequired);
  }
  tang.forEach((server, index) => {
    const tangPath = [...path, 'clevis', 'tang', index];
    const scheme = parseUrlLikeGo(server.url ?? '')?.scheme;
    if (scheme !== 'http' && scheme !== 'https')
      findings.error([...tangPath, 'url'], ignitionMessages.ErrInvalidScheme);
    if ((server.thumbprint ?? '') === '')
      findings.error([...tangPath, 'thumbprint'], ignitionMessages.ErrTangThumbprintRequired);
    if (isSet(server.advertisement) && server.advertisement !== '' && !isJson(server.advertisement))
      findings.error([...tangPath, 'advertisement'], ignitionMessages.ErrInvalidTangAdvertisement);
  });
  checkDuplicates(tang, (server) => server.url ?? '', [...path, 'clevis', 'tang'], findings);
  checkDuplicates(luks.openOptions, (option) => option, [...path, 'openOptions'], findings);
  if (luks.cex?.enabled === true) {
    const hasClevis =
      isSet(custom?.pin) ||
      tang.length > 0 ||
      clevis?.tpm2 === true ||
      (clevis?.threshold ?? 0) !== 0;
    if (hasClevis) findings.error([...path, 'cex'], ignitionMessages.ErrCexWithClevis);
    if (keySource !== undefined)
      findings.error([...path, 'cex'], ignitionMessages.ErrCexWithKeyFile);
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
