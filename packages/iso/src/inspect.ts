/** `iso inspect`: everything hostmirror knows about a CoreOS live ISO, as plain data. */
import { InitrdError, readInitrd } from '@hostmirror/initrd/archives';
import type { CoreosFeatures } from './coreos.ts';
import type { CoreosIso } from './coreos-iso.ts';
import { isEmptyArea } from './embed-area.ts';
import { IsoError } from './errors.ts';
import type { IsoEntry } from './image.ts';
import { SECTOR_SIZE } from './iso9660.ts';
import { journalPath } from './journal.ts';
import { checkPlacement } from './layout.ts';

export interface IsoReport {
  /**
   * An in-place edit was interrupted (its undo journal is beside the ISO): what it was, and
   * what to run. The rest of the report describes the torn bytes.
   */
  torn?: { command: string; pid: number; started: string; journal: string };
  /** Where the image's structures disagree (volume descriptors, trees, MBR, GPT); empty if none. */
  problems: string[];
  size: number;
  volumeId: string;
  /** Bytes the primary volume descriptor says the volume spans. */
  volumeBytes: number;
  files: { path: string; offset: number; size: number }[];
  boot: { platform: number; bootable: boolean; offset: number; sectors: number }[];
  ignition: {
    file: string;
    offset: number;
    length: number;
    empty: boolean;
    members: { path: string; size: number }[];
  };
  kargs?: {
    current: string;
    default: string;
    size: number;
    origin: string;
    areas: { file: string; offset: number }[];
  };
  features: CoreosFeatures;
  initrd?: {
    offset: number;
    size: number;
    segments: {
      offset: number;
      length: number;
      codec: string;
      entries: number;
      unpacked: number;
    }[];
    /** Why the segments could not be listed (a placeholder initrd, a corrupt one). */
    unreadable?: string;
  };
}

export async function inspectIso(iso: CoreosIso): Promise<IsoReport> {
  const { image, metadata } = iso;
  const files = (await image.entries())
    .filter((entry) => !entry.isDirectory)
    .map((entry) => ({
      path: entry.path,
      offset: (entry.extents[0]?.lba ?? 0) * SECTOR_SIZE,
      size: entry.size,
    }));
  const catalog = await image.bootCatalog();
  const problems = await iso.checkLayout();
  // An area the metadata places over the ISO's own structures is refused by every edit; say so.
  const areas = [
    {
      offset: metadata.ignition.offset,
      length: metadata.ignition.length,
      what: `Ignition area in ${metadata.ignition.file}`,
    },
    ...(metadata.kargs?.areas ?? []).map((area) => ({
      offset: area.offset,
      length: metadata.kargs?.size ?? 0,
      what: `kargs area in ${area.file}`,
    })),
  ];
  await checkPlacement(image, areas).catch((error: unknown) => problems.push(reportable(error)));
  const area = await iso.ignitionAreaBytes();
  // An unreadable area or disagreeing kargs areas are findings of the report, not its end.
  const members = await iso.embeddedMembers().catch((error: unknown) => {
    problems.push(reportable(error));
    return new Map<string, Buffer>();
  });
  const report: IsoReport = {
    problems,
    size: image.size,
    volumeId: metadata.volumeId,
    volumeBytes: image.primary.volumeSpaceSize * SECTOR_SIZE,
    files,
    boot: (catalog?.entries ?? []).map((entry) => ({
      platform: entry.platform,
      bootable: entry.bootable,
      offset: entry.loadLba * SECTOR_SIZE,
      sectors: entry.sectorCount,
    })),
    ignition: {
      ...metadata.ignition,
      empty: isEmptyArea(area),
      members: [...members].map(([path, bytes]) => ({ path, size: bytes.length })),
    },
    features: metadata.features,
  };
  if (iso.torn !== undefined) {
    const { command, pid, started } = iso.torn;
    report.torn = { command, pid, started, journal: journalPath(iso.path) };
  }
  if (metadata.kargs !== undefined)
    report.kargs = {
      current: await iso.currentKargs().then(
        (current) => current ?? metadata.kargs?.default ?? '',
        (error: unknown) => {
          problems.push(reportable(error));
          return '(the kargs areas disagree)';
        },
      ),
      default: metadata.kargs.default,
      size: metadata.kargs.size,
      origin: metadata.kargs.origin,
      areas: metadata.kargs.areas.map(({ file, offset }) => ({ file, offset })),
    };
  if (metadata.initrd !== undefined) report.initrd = await initrdSegments(iso, metadata.initrd);
  return report;
}

function reportable(error: unknown): string {
  if (error instanceof IsoError) return error.message;
  throw error;
}

async function initrdSegments(iso: CoreosIso, initrd: IsoEntry): Promise<IsoReport['initrd']> {
  const summary: NonNullable<IsoReport['initrd']> = {
    offset: (initrd.extents[0]?.lba ?? 0) * SECTOR_SIZE,
    size: initrd.size,
    segments: [],
  };
  try {
    const listing = await readInitrd(iso.image.fileChunks(initrd));
    summary.segments = listing.segments.map((segment) => ({
      offset: segment.offset,
      length: segment.length,
      codec: segment.codec,
      entries: segment.entries.length,
      unpacked: segment.uncompressedLength,
    }));
  } catch (error) {
    if (!(error instanceof InitrdError)) throw error;
    summary.unreadable = error.message;
  }
  return summary;
}
