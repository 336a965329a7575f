/**
 * PXE artifacts from a CoreOS live ISO (docs/installer.md#pxe-artifacts, docs/coreos-iso.md#pxe): the kernel, the
 * initrd with our archives appended (original bytes, zeros to 4, each archive padded to 4),
 * the rootfs, and an iPXE script whose kargs are kargs.json's default minus `coreos.liveiso=`
 * (a PXE boot has no ISO to mount) plus ours. Every file is streamed and written atomically.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { writeFileAtomic, writeStreamAtomic } from '@hostmirror/atomic-file';
import type { CoreosIso } from './coreos-iso.ts';
import { LIVE_ISO_KARG } from './coreos-paths.ts';
import { IsoError } from './errors.ts';
import type { IsoEntry } from './image.ts';
import { withoutKarg } from './kargs.ts';

/** Newc archives start 4-aligned from the start of the initrd (docs/coreos-iso.md#kernel-initramfs-rules). */
const ARCHIVE_ALIGNMENT = 4;
/** Live PXE boots fetch the rootfs from this karg (fedora-coreos-docs live-reference). */
const ROOTFS_URL_KARG = 'coreos.live.rootfs_url';

export interface PxeOptions {
  outputDir: string;
  /** File name prefix: `<prefix>-vmlinuz`, `-initrd.img`, `-rootfs.img`, `.ipxe`. */
  prefix?: string;
  /** Archives appended to the initrd, in order. */
  archives?: string[];
  /** Also append the ISO's embedded Ignition archive (default true). */
  includeEmbeddedIgnition?: boolean;
  kargsAppend?: string[];
  /** Where the files will be served; default: relative to the script. */
  baseUrl?: string;
  overwrite?: boolean;
}

export interface PxeArtifacts {
  kernel: string;
  initrd: string;
  rootfs: string;
  script: string;
  kargs: string;
  /** Byte offsets of the appended archives inside the initrd. */
  archiveOffsets: number[];
}

const padding = (length: number) =>
  (ARCHIVE_ALIGNMENT - (length % ARCHIVE_ALIGNMENT)) % ARCHIVE_ALIGNMENT;

function requireFile(iso: CoreosIso, entry: IsoEntry | undefined, name: string): IsoEntry {
  if (entry === undefined)
    throw new IsoError(
      'NOT_COREOS',
      `Unrecognized CoreOS ISO image ${iso.path}: it has no ${name}, so it cannot give PXE artifacts; pass a Fedora CoreOS or RHCOS live ISO.`,
    );
  return entry;
}

/** The kargs a PXE boot of this ISO needs: default minus coreos.liveiso=, plus `extra`. */
export function pxeKargs(defaults: string, extra: string[], rootfsUrl?: string): string {
  const kargs = [withoutKarg(defaults, LIVE_ISO_KARG)];
  if (rootfsUrl !== undefined) kargs.push(`${ROOTFS_URL_KARG}=${rootfsUrl}`);
  kargs.push(...extra);
  return kargs.filter((karg) => karg !== '').join(' ');
}

export async function writePxeArtifacts(
  iso: CoreosIso,
  options: PxeOptions,
): Promise<PxeArtifacts> {
  const { metadata, image } = iso;
  const kernel = requireFile(iso, metadata.kernel, 'images/pxeboot/vmlinuz');
  const initrd = requireFile(iso, metadata.initrd, 'images/pxeboot/initrd.img');
  const rootfs = requireFile(iso, metadata.rootfs, 'images/pxeboot/rootfs.img');
  const prefix = options.prefix ?? 'hostmirror';
  const names = {
    kernel: `${prefix}-vmlinuz`,
    initrd: `${prefix}-initrd.img`,
    rootfs: `${prefix}-rootfs.img`,
    script: `${prefix}.ipxe`,
  };
  const path = (name: string) => join(options.outputDir, name);
  const atomic = { overwrite: options.overwrite ?? false };
  const appended: { bytes?: Buffer; file?: string; size: number }[] = [];
  if (options.includeEmbeddedIgnition ?? true) {
    const archive = await iso.embeddedArchive();
    if (archive.length > 0) appended.push({ bytes: archive, size: archive.length });
  }
  for (const file of options.archives ?? []) appended.push({ file, size: (await stat(file)).size });
  const archiveOffsets: number[] = [];
  let offset = initrd.size + padding(initrd.size);
  for (const archive of appended) {
    archiveOffsets.push(offset);
    offset += archive.size + padding(archive.size);
  }
  async function* initrdBytes(): AsyncGenerator<Buffer> {
    yield* image.fileChunks(initrd);
    yield Buffer.alloc(padding(initrd.size));
    for (const archive of appended) {
      if (archive.bytes !== undefined) yield archive.bytes;
      else if (archive.file !== undefined) yield* createReadStream(archive.file);
      yield Buffer.alloc(padding(archive.size));
    }
  }
  await writeStreamAtomic(path(names.kernel), Readable.from(image.fileChunks(kernel)), atomic);
  await writeStreamAtomic(path(names.initrd), Readable.from(initrdBytes()), atomic);
  await writeStreamAtomic(path(names.rootfs), Readable.from(image.fileChunks(rootfs)), atomic);
  const base = options.baseUrl === undefined ? '' : `${options.baseUrl.replace(/\/+$/, '')}/`;
  const defaults = metadata.kargs?.default ?? '';
  const kargs = pxeKargs(defaults, options.kargsAppend ?? [], `${base}${names.rootfs}`);
  const script = [
    '#!ipxe',
    `initrd --name initrd ${base}${names.initrd}`,
    `kernel ${base}${names.kernel} initrd=initrd ${kargs}`,
    'boot',
    '',
  ].join('\n');
  await writeFileAtomic(path(names.script), script, atomic);
  return {
    kernel: path(names.kernel),
    initrd: path(names.initrd),
    rootfs: path(names.rootfs),
    script: path(names.script),
    kargs,
    archiveOffsets,
  };
}
