/**
 * Measure initrd files for the budget with `@hostmirror/initrd`'s reader: the bytes the boot
 * loader loads (the file size) and what the unpacked files spend in a tmpfs.
 */
import { stat } from 'node:fs/promises';
import { type InitrdListing, readInitrd } from '@hostmirror/initrd';
import type { BudgetInputs, InitrdFootprint } from './budget.ts';
import { tmpfsPageBytes } from './constants.ts';
import { BudgetInputError } from './errors.ts';

/**
 * Symlink targets shorter than this are kept in the inode, longer ones take a page
 * (Linux `mm/shmem.c`, `SHORT_SYMLINK_LEN`).
 */
const shmemShortSymlinkBytes = 128;

/** A file's cost in a tmpfs: its size rounded up to whole pages. */
export function tmpfsFileBytes(size: number): number {
  return Math.ceil(size / tmpfsPageBytes) * tmpfsPageBytes;
}

function normalise(path: string): string {
  return path.replace(/^(\.\/|\/)+/, '');
}

/**
 * What the listed segments leave in a tmpfs once unpacked, in order with the kernel's
 * last-wins rule (a later entry for a path replaces the earlier one): regular files by pages,
 * long symlinks one page each, folders and other entries nothing.
 */
export function unpackedTmpfsBytes(listing: Pick<InitrdListing, 'segments'>): number {
  const cost = new Map<string, number>();
  for (const segment of listing.segments)
    for (const entry of segment.entries) {
      const path = normalise(entry.path);
      if (entry.type === 'file') cost.set(path, tmpfsFileBytes(entry.size));
      else if (entry.type === 'symlink')
        cost.set(path, entry.size >= shmemShortSymlinkBytes ? tmpfsPageBytes : 0);
      else cost.set(path, 0);
    }
  let total = 0;
  for (const bytes of cost.values()) total += bytes;
  return total;
}

/**
 * Measure an initrd given as bytes (an ISO extent, a download): `fileBytes` is its length as
 * the boot loader loads it. For a file on disk use `measureInitrdFile`.
 */
export async function measureInitrdSource(
  source: AsyncIterable<Uint8Array>,
  name: string,
  fileBytes: number,
): Promise<InitrdFootprint> {
  const listing = await readInitrd(source);
  return { name, fileBytes, unpackedBytes: unpackedTmpfsBytes(listing) };
}

/** Read an initrd file (any number of segments) and return its budget footprint. */
export async function measureInitrdFile(path: string, name = path): Promise<InitrdFootprint> {
  // readInitrd throws unless it read to the end, so the bytes it read are the file size.
  const listing = await readInitrd(path);
  return { name, fileBytes: listing.size, unpackedBytes: unpackedTmpfsBytes(listing) };
}

/**
 * The one rule for the live rootfs (`images/pxeboot/rootfs.img`), used by `hostmirror budget
 * --rootfs` and by build-iso for its PXE budget. CoreOS's rootfs.img is an uncompressed newc
 * cpio holding `root.squashfs` (plus `etc/coreos-live-rootfs` and the `*.osmet` files;
 * docs/coreos-iso.md#pxe). PXE passes it as a second initrd (or fetches it with
 * `coreos.live.rootfs_url`), and the kernel unpacks its members into the initramfs tmpfs
 * where `root.squashfs` stays mounted (docs/coreos-iso.md#live-memory; coreos/fedora-coreos-config
 * overlay.d/05core/usr/lib/dracut/modules.d/35coreos-live/live-generator at 1f131344: PXE's
 * sysroot.mount is `What=/root.squashfs`, "the rootfs is already unpacked into the initrd";
 * coreos-livepxe-rootfs.sh at 14a62d1f: a fetched rootfs is the same cpio, `bsdtar -xf - -C /`
 * into the initramfs). What the host keeps is
 * the members' tmpfs pages (`unpackedBytes`, the same last-wins page rule as every initrd),
 * and while unpacking also the file as loaded (`fileBytes`). `coreos.liveiso.fromram` copies the
 * file whole instead; `computeBudget` counts `fileBytes` for it. A rootfs that is not a newc
 * cpio cannot be unpacked by the kernel at all, and is refused naming it.
 */
export async function measureRootfs(
  source: string | AsyncIterable<Uint8Array>,
  name: string,
  fileBytes?: number,
): Promise<InitrdFootprint> {
  const where = typeof source === 'string' ? source : name;
  return measured('rootfs', where, async () => {
    const listing = await readInitrd(source);
    return {
      name,
      fileBytes: fileBytes ?? listing.size,
      unpackedBytes: unpackedTmpfsBytes(listing),
    };
  });
}

/** The budget inputs that come from files rather than from options. */
export type MeasuredInputs = Pick<
  BudgetInputs,
  'baseInitrd' | 'rootfs' | 'archives' | 'ignitionArchiveBytes' | 'embedAreaBytes'
>;

export interface InputFiles {
  /** The live initrd (`images/pxeboot/initrd.img`). */
  initrd?: string | undefined;
  /** The live rootfs image (`images/pxeboot/rootfs.img`). */
  rootfs?: string | undefined;
  /** Our archives. */
  archives?: readonly string[];
  /** The Ignition archive to embed: only its size matters. */
  ignitionArchive?: string | undefined;
}

/**
 * Name the file and its role in any failure to read or measure it: a missing file, a folder,
 * or bytes that are no initrd would otherwise surface as a bare `ENOENT` or a magic-number
 * complaint that does not say which of several inputs it is about.
 */
async function measured<T>(role: string, path: string, measure: () => Promise<T>): Promise<T> {
  try {
    return await measure();
  } catch (error) {
    const cause = error as NodeJS.ErrnoException;
    const detail =
      typeof cause.syscall === 'string'
        ? `cannot be read (${cause.code ?? cause.message})`
        : `is not an initrd the kernel unpacks: ${cause.message.replace(/\.$/, '')}`;
    const fix =
      role === 'rootfs'
        ? 'give the live rootfs image of a CoreOS live ISO (images/pxeboot/rootfs.img, a newc cpio holding root.squashfs), as PXE loads it or fetches it with coreos.live.rootfs_url'
        : 'give the path of a cpio archive (plain or gzip/xz/zstd)';
    throw new BudgetInputError('BAD_INPUT', `The ${role} ${path} ${detail}; ${fix}.`, {
      path,
      cause: error,
      fix: `${fix.charAt(0).toUpperCase()}${fix.slice(1)}.`,
    });
  }
}

/** Measure every given file; fields for files not given stay undefined. */
export async function measureInputFiles(files: InputFiles): Promise<MeasuredInputs> {
  const [baseInitrd, rootfs, archives, ignition] = await Promise.all([
    files.initrd === undefined
      ? undefined
      : measured('base initrd', files.initrd, () => measureInitrdFile(files.initrd as string)),
    files.rootfs === undefined ? undefined : measureRootfs(files.rootfs, files.rootfs),
    Promise.all(
      (files.archives ?? []).map((archive) =>
        measured('archive', archive, () => measureInitrdFile(archive)),
      ),
    ),
    files.ignitionArchive === undefined
      ? undefined
      : measured('Ignition archive', files.ignitionArchive, () =>
          stat(files.ignitionArchive as string),
        ),
  ]);
  const measuredInputs: MeasuredInputs = {};
  if (baseInitrd !== undefined) measuredInputs.baseInitrd = baseInitrd;
  if (rootfs !== undefined) measuredInputs.rootfs = rootfs;
  if (archives.length > 0) measuredInputs.archives = archives;
  if (ignition !== undefined) measuredInputs.ignitionArchiveBytes = ignition.size;
  return measuredInputs;
}
