/**
 * CoreOS live ISO metadata (docs/coreos-iso.md#ignition-area, docs/coreos-iso.md#coreiso-header,
 * docs/coreos-iso.md#kargs-areas, docs/coreos-iso.md#metadata-files): the Ignition embed area,
 * the kernel-argument areas, features.json and the volume id, found the way coreos-installer finds them.
 */
import {
  DEFAULT_KARGS_END,
  DEFAULT_KARGS_PAD,
  FEATURES_PATH,
  IGNINFO_PATH,
  IGNITION_IMG_PATH,
  INITRD_PATH,
  KARGS_AREA_MAX_SIZE,
  KARGS_PATH,
  KERNEL_PATH,
  LEGACY_KARGS_HEADER_OFFSET,
  LEGACY_KARGS_HEADER_SIZE,
  LEGACY_KARGS_MAGIC,
  LEGACY_KARGS_MAX_AREAS,
  MINISO_PATH,
  ROOTFS_PATH,
} from './coreos-paths.ts';
import { IsoError } from './errors.ts';
import { type IsoEntry, IsoImage } from './image.ts';
import { agreeingKargs, type KargsArea, type KargsAreas, parseKargsArea } from './kargs.ts';

/** Where Ignition is embedded: `length` bytes at byte `offset` of the image. */
export interface IgnitionArea {
  /** The file holding it, as igninfo.json names it (or `images/ignition.img`). */
  file: string;
  offset: number;
  length: number;
}

/** coreos/features.json (kebab-case keys as on disk; every field optional). */
export interface CoreosFeatures {
  'installer-config'?: boolean;
  'installer-config-directives'?: Record<string, boolean>;
  'live-initrd-network'?: boolean;
}

export interface CoreosMetadata {
  volumeId: string;
  ignition: IgnitionArea;
  /** Absent on ISOs without kargs areas (2020-09, s390x 2023-03). */
  kargs?: KargsAreas;
  features: CoreosFeatures;
  /** coreos/miniso.dat present: relocating a file makes `iso extract minimal-iso` refuse the ISO. */
  hasMinisoData: boolean;
  kernel?: IsoEntry;
  initrd?: IsoEntry;
  rootfs?: IsoEntry;
}

function unrecognized(missing: string): IsoError {
  return new IsoError(
    'NOT_COREOS',
    `Unrecognized CoreOS ISO image: ${missing}. Pass a Fedora CoreOS or RHCOS live ISO.`,
  );
}

function badMetadata(path: string, detail: string): IsoError {
  return new IsoError(
    'BAD_METADATA',
    `${path.toLowerCase()} in the ISO is invalid: ${detail}; the ISO is corrupt or not a CoreOS live ISO.`,
  );
}

/** coreos/*.json files are a few hundred bytes; more is not CoreOS metadata. */
const MAX_METADATA_BYTES = 1024 * 1024;

async function readJson(image: IsoImage, entry: IsoEntry, path: string): Promise<unknown> {
  if (entry.size > MAX_METADATA_BYTES)
    throw badMetadata(
      path,
      `it is ${entry.size} bytes, more than the ${MAX_METADATA_BYTES}-byte limit`,
    );
  const text = (await image.readFile(entry)).toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw badMetadata(path, (error as Error).message);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function optionalInteger(value: unknown, path: string, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0)
    throw badMetadata(
      path,
      `"${field}" must be a non-negative integer, not ${JSON.stringify(value)}`,
    );
  return value;
}

async function readIgnitionArea(image: IsoImage): Promise<IgnitionArea> {
  const info = await image.findByIdentifier(IGNINFO_PATH);
  let file = 'images/ignition.img';
  let offset: number | undefined;
  let length: number | undefined;
  if (info !== undefined) {
    const json = await readJson(image, info, IGNINFO_PATH);
    if (!isObject(json) || typeof json.file !== 'string')
      throw badMetadata(IGNINFO_PATH, 'it needs a "file" string');
    file = json.file;
    offset = optionalInteger(json.offset, IGNINFO_PATH, 'offset');
    length = optionalInteger(json.length, IGNINFO_PATH, 'length');
  }
  const target = await image.findByIdentifier(info === undefined ? IGNITION_IMG_PATH : file);
  if (target === undefined)
    throw unrecognized(
      info === undefined
        ? 'it has neither coreos/igninfo.json nor images/ignition.img'
        : `coreos/igninfo.json names ${file}, which the ISO does not have`,
    );
  const start = offset ?? 0;
  const size = length ?? target.size - start;
  if (target.extents.length !== 1 || start + size > target.size)
    throw badMetadata(
      IGNINFO_PATH,
      `the area (offset ${start}, length ${size}) does not fit in ${file} (${target.size} bytes)`,
    );
  return { file, offset: IsoImage.offsetOf(target) + start, length: size };
}

function charOption(value: unknown, fallback: string, path: string, field: string): string {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== 'string' || [...value].length !== 1)
    throw badMetadata(path, `"${field}" must be one character, not ${JSON.stringify(value)}`);
  return value;
}

async function kargsFromJson(image: IsoImage, entry: IsoEntry): Promise<KargsAreas> {
  const json = await readJson(image, entry, KARGS_PATH);
  if (
    !isObject(json) ||
    typeof json.default !== 'string' ||
    !Array.isArray(json.files) ||
    typeof json.size !== 'number'
  )
    throw badMetadata(KARGS_PATH, 'it needs "default", "files" and "size"');
  const size = json.size;
  if (!Number.isSafeInteger(size) || size <= 0 || size > KARGS_AREA_MAX_SIZE)
    throw badMetadata(KARGS_PATH, `"size" ${size} is not in 1..${KARGS_AREA_MAX_SIZE}`);
  if (Buffer.byteLength(json.default) > size)
    throw badMetadata(KARGS_PATH, `"default" is longer than "size" ${size}`);
  const areas: KargsArea[] = [];
  for (const [index, file] of json.files.entries()) {
    if (!isObject(file) || typeof file.path !== 'string')
      throw badMetadata(KARGS_PATH, `files[${index}] needs a "path"`);
    const offset = optionalInteger(file.offset, KARGS_PATH, `files[${index}].offset`) ?? 0;
    const target = await image.findByIdentifier(file.path);
    if (target === undefined)
      throw badMetadata(KARGS_PATH, `files[${index}] names ${file.path}, which the ISO lacks`);
    if (offset + size > target.size)
      throw badMetadata(
        KARGS_PATH,
        `files[${index}] area (offset ${offset}, size ${size}) runs past the end of ${file.path} (${target.size} bytes)`,
      );
    areas.push({
      file: file.path,
      offset: IsoImage.offsetOf(target) + offset,
      pad: charOption(file.pad, DEFAULT_KARGS_PAD, KARGS_PATH, `files[${index}].pad`),
      end: charOption(file.end, DEFAULT_KARGS_END, KARGS_PATH, `files[${index}].end`),
    });
  }
  // coreos-installer lists the areas by offset, not in kargs.json order: `regions.sort_unstable_by_key(
  // |r| r.offset)` in KargEmbedAreas::for_iso (coreos/coreos-installer src/live/embed.rs at bee4500),
  // so the first area (whose kargs a mismatch is measured against) is the lowest. The legacy header
  // keeps its own order (for_file_via_system_area does not sort).
  areas.sort((a, b) => a.offset - b.offset);
  return { default: json.default, size, areas, origin: 'kargs.json' };
}

/** The legacy `coreKarg` header in the system area (only consulted without kargs.json). */
async function kargsFromLegacyHeader(image: IsoImage): Promise<KargsAreas | undefined> {
  if (image.size < LEGACY_KARGS_HEADER_OFFSET + LEGACY_KARGS_HEADER_SIZE) return undefined;
  const header = await image.source.read(LEGACY_KARGS_HEADER_OFFSET, LEGACY_KARGS_HEADER_SIZE);
  if (header.toString('latin1', 0, 8) !== LEGACY_KARGS_MAGIC) return undefined;
  const size = Number(header.readBigUInt64LE(8));
  const defaultOffset = Number(header.readBigUInt64LE(16));
  const where = `the coreKarg header at byte ${LEGACY_KARGS_HEADER_OFFSET}`;
  if (size <= 0 || size > KARGS_AREA_MAX_SIZE || defaultOffset + size > image.size)
    throw badMetadata(
      where,
      `its area length ${size} or default offset ${defaultOffset} is out of range`,
    );
  const areas: KargsArea[] = [];
  for (let index = 0; index < LEGACY_KARGS_MAX_AREAS; index++) {
    const offset = Number(header.readBigUInt64LE(24 + 8 * index));
    if (offset === 0) break;
    if (offset + size > image.size)
      throw badMetadata(where, `area ${index} at byte ${offset} runs past the end of the image`);
    areas.push({ file: '(system area)', offset, pad: DEFAULT_KARGS_PAD, end: DEFAULT_KARGS_END });
  }
  const defaultBytes = await image.source.read(defaultOffset, size);
  const defaults = parseKargsArea(defaultBytes, DEFAULT_KARGS_PAD, DEFAULT_KARGS_END);
  return { default: defaults, size, areas, origin: 'coreKarg header' };
}

/** Read every piece of CoreOS metadata; refuse an ISO that is not a CoreOS live ISO. */
export async function readCoreosMetadata(image: IsoImage): Promise<CoreosMetadata> {
  const ignition = await readIgnitionArea(image);
  const kargsEntry = await image.findByIdentifier(KARGS_PATH);
  const kargs =
    kargsEntry !== undefined
      ? await kargsFromJson(image, kargsEntry)
      : await kargsFromLegacyHeader(image);
  const featuresEntry = await image.findByIdentifier(FEATURES_PATH);
  let features: CoreosFeatures = {};
  if (featuresEntry !== undefined) {
    const json = await readJson(image, featuresEntry, FEATURES_PATH);
    if (!isObject(json)) throw badMetadata(FEATURES_PATH, 'it must be a JSON object');
    features = json as CoreosFeatures;
  }
  const metadata: CoreosMetadata = {
    volumeId: image.volumeId,
    ignition,
    features,
    hasMinisoData: (await image.findByIdentifier(MINISO_PATH)) !== undefined,
  };
  if (kargs !== undefined && kargs.areas.length > 0) metadata.kargs = kargs;
  const kernel = await image.findByIdentifier(KERNEL_PATH);
  const initrd = await image.findByIdentifier(INITRD_PATH);
  const rootfs = await image.findByIdentifier(ROOTFS_PATH);
  if (kernel !== undefined) metadata.kernel = kernel;
  if (initrd !== undefined) metadata.initrd = initrd;
  if (rootfs !== undefined) metadata.rootfs = rootfs;
  return metadata;
}

/** The kargs the ISO boots with now (every area must agree). */
export async function readCurrentKargs(image: IsoImage, kargs: KargsAreas): Promise<string> {
  const contents = await Promise.all(
    kargs.areas.map((area) => image.source.read(area.offset, kargs.size)),
  );
  return agreeingKargs(kargs.areas, contents);
}

/** Refuse an operation on an ISO without kargs areas, in coreos-installer's words. */
export function requireKargs(metadata: CoreosMetadata): KargsAreas {
  if (metadata.kargs === undefined)
    throw new IsoError(
      'NO_KARGS_AREA',
      'This OS image does not support customizing live kernel arguments (no coreos/kargs.json and no coreKarg header).',
    );
  return metadata.kargs;
}
