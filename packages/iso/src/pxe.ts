/**
 * PXE artifacts from a CoreOS live ISO (docs/installer.md#pxe-artifacts, docs/coreos-iso.md#pxe): the kernel, the
 * initrd with our archives appended (original bytes, zeros to 4, each archive padded to 4),
 * the rootfs, and an iPXE script whose kargs are kargs.json's default minus `coreos.liveiso=`
 * (a PXE boot has no ISO to mount) plus ours. Every file is streamed and written atomically.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
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

/** The files `writePxeArtifacts` writes. */
export type PxeFileKind = 'kernel' | 'initrd' | 'rootfs' | 'script';

export interface PxeOptions {
  outputDir: string;
  /** File name prefix: `<prefix>-vmlinuz`, `-initrd.img`, `-rootfs.img`, `.ipxe`. */
  prefix?: string;
  /** Archives appended to the initrd, in order: files (paths) or bytes. */
  archives?: (string | Uint8Array)[];
  /** Also append the ISO's embedded Ignition archive, before `archives` (default true). */
  includeEmbeddedIgnition?: boolean;
  /**
   * The kargs to start from instead of the ISO's current ones (an edited ISO's, known to the
   * caller); `coreos.liveiso=` is dropped from them either way.
   */
  kargs?: string;
  kargsAppend?: string[];
  /** Where the files will be served; default: relative to the script. */
  baseUrl?: string;
  /** Write the iPXE script (default true). */
  script?: boolean;
  overwrite?: boolean;
  /** Every chunk written to each file, in order (hash taps: no second read of the outputs). */
  onChunk?: (file: PxeFileKind, chunk: Uint8Array) => void;
}

export interface PxeArtifacts {
  kernel: string;
  initrd: string;
  rootfs: string;
  /** Undefined when no script was asked for. */
  script: string | undefined;
  /** The kernel arguments of a PXE boot, as the script passes them (with `coreos.live.rootfs_url`). */
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

/** The kargs a PXE boot of this ISO needs: `base` minus coreos.liveiso=, the rootfs URL, `extra`. */
export function pxeKargs(base: string, extra: string[], rootfsUrl?: string): string {
  const kargs = [withoutKarg(base, LIVE_ISO_KARG)];
  if (rootfsUrl !== undefined) kargs.push(`${ROOTFS_URL_KARG}=${rootfsUrl}`);
  kargs.push(...extra);
  return kargs.filter((karg) => karg !== '').join(' ');
}

/** The paths `writePxeArtifacts` writes for `prefix` in `outputDir`. */
export function pxeArtifactPaths(outputDir: string, prefix = DEFAULT_PXE_PREFIX) {
  return {
    kernel: join(outputDir, `${prefix}-vmlinuz`),
    initrd: join(outputDir, `${prefix}-initrd.img`),
    rootfs: join(outputDir, `${prefix}-rootfs.img`),
    script: join(outputDir, `${prefix}.ipxe`),
  };
}

export const DEFAULT_PXE_PREFIX = 'hostmirror';

/**
 * Write the PXE files of `iso`: the kernel and rootfs as in the ISO; the initrd as the ISO's,
 * then the embedded Ignition archive (unless left out), then `archives`, each 4-aligned (what
 * openshift/installer `pkg/asset/agent/image/agentpxefiles.go` does); and an iPXE script whose
 * kargs are the ISO's current ones (or `kargs`) minus `coreos.liveiso=`, the rootfs URL, then
 * `kargsAppend`. The ISO's current kargs are those of its kargs areas (what it boots with),
 * falling back to kargs.json's default.
 */
export async function writePxeArtifacts(
  iso: CoreosIso,
  options: PxeOptions,
): Promise<PxeArtifacts> {
  const { metadata, image } = iso;
  const kernel = requireFile(iso, metadata.kernel, 'images/pxeboot/vmlinuz');
  const initrd = requireFile(iso, metadata.initrd, 'images/pxeboot/initrd.img');
  const rootfs = requireFile(iso, metadata.rootfs, 'images/pxeboot/rootfs.img');
  const paths = pxeArtifactPaths(options.outputDir, options.prefix);
  const atomic = { overwrite: options.overwrite ?? false };
  const appended: { bytes?: Uint8Array; file?: string; size: number }[] = [];
  if (options.includeEmbeddedIgnition ?? true) {
    const archive = await iso.embeddedArchive();
    if (archive.length > 0) appended.push({ bytes: archive, size: archive.length });
  }
  for (const archive of options.archives ?? []) {
    if (typeof archive === 'string')
      appended.push({ file: archive, size: (await stat(archive)).size });
    else if (archive.length > 0) appended.push({ bytes: archive, size: archive.length });
  }
  const archiveOffsets: number[] = [];
  let offset = initrd.size + padding(initrd.size);
  for (const archive of appended) {
    archiveOffsets.push(offset);
    offset += archive.size + padding(archive.size);
  }
  async function* initrdBytes(): AsyncGenerator<Uint8Array> {
    yield* image.fileChunks(initrd);
    yield Buffer.alloc(padding(initrd.size));
    for (const archive of appended) {
      if (archive.bytes !== undefined) yield archive.bytes;
      else if (archive.file !== undefined)
        yield* createReadStream(archive.file, { highWaterMark: 1024 * 1024 });
      yield Buffer.alloc(padding(archive.size));
    }
  }
  const tap = options.onChunk;
  async function* tapped(file: PxeFileKind, chunks: AsyncIterable<Uint8Array>) {
    for await (const chunk of chunks) {
      if (chunk.length === 0) continue;
      tap?.(file, chunk);
      yield chunk;
    }
  }
  const write = (file: PxeFileKind, path: string, chunks: AsyncIterable<Uint8Array>) =>
    writeStreamAtomic(path, Readable.from(tapped(file, chunks)), atomic);
  await write('kernel', paths.kernel, image.fileChunks(kernel));
  await write('initrd', paths.initrd, initrdBytes());
  await write('rootfs', paths.rootfs, image.fileChunks(rootfs));
  const base = options.baseUrl === undefined ? '' : `${options.baseUrl.replace(/\/+$/, '')}/`;
  const start = options.kargs ?? (await iso.currentKargs()) ?? metadata.kargs?.default ?? '';
  const kargs = pxeKargs(start, options.kargsAppend ?? [], `${base}${basename(paths.rootfs)}`);
  let script: string | undefined;
  if (options.script ?? true) {
    const text = [
      '#!ipxe',
      `initrd --name initrd ${base}${basename(paths.initrd)}`,
      `kernel ${base}${basename(paths.kernel)} initrd=initrd ${kargs}`,
      'boot',
      '',
    ].join('\n');
    tap?.('script', Buffer.from(text));
    await writeFileAtomic(paths.script, text, atomic);
    script = paths.script;
  }
  return { ...paths, script, kargs, archiveOffsets };
}
