/**
 * newc ("new ASCII") cpio constants. Sources: the kernel's `Documentation/driver-api/early-userspace/
 * buffer-format.rst` and `init/initramfs.c`; coreos-installer `src/io/initrd.rs`
 * (docs/coreos-iso.md#initrd-format, docs/coreos-iso.md#kernel-initramfs-rules).
 */

/** Magic of the newc format (no checksum). */
export const NEWC_MAGIC = '070701';
/** Magic of the "crc" variant: same layout, `check` holds the sum of the data bytes. */
export const NEWC_CRC_MAGIC = '070702';
/** Magic of the old portable ASCII format, which the kernel refuses ("use -H newc"). */
export const ODC_MAGIC = '070707';

/** Header length: the 6-byte magic plus 13 fields of 8 hex digits. */
export const NEWC_HEADER_SIZE = 110;
/** Number of 8-digit hex fields after the magic. */
export const NEWC_FIELD_COUNT = 13;
/** Width of one hex field. */
export const NEWC_FIELD_WIDTH = 8;
/** Header, name and data are each padded to this boundary. */
export const NEWC_ALIGNMENT = 4;
/** The largest value a field can hold: 8 hex digits. Sizes above this are an error, never clamped. */
export const NEWC_FIELD_MAX = 0xffff_ffff;
/** Name of the end-of-archive marker entry. */
export const TRAILER_NAME = 'TRAILER!!!';
/**
 * The kernel skips an entry whose `namesize` exceeds PATH_MAX and refuses symlink targets longer
 * than PATH_MAX (`init/initramfs.c`, `do_header`).
 */
export const PATH_MAX = 4096;

/** File type bits of `st_mode` (`<sys/stat.h>`). */
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;
/** Permission bits, including setuid, setgid and sticky. */
export const PERMISSION_BITS = 0o7777;

/** Default permissions when an input entry gives none. */
export const DEFAULT_FILE_MODE = 0o644;
export const DEFAULT_DIRECTORY_MODE = 0o755;
export const DEFAULT_SYMLINK_MODE = 0o777;

/** Field order inside the header, after the magic. */
export const NEWC_FIELDS = [
  'ino',
  'mode',
  'uid',
  'gid',
  'nlink',
  'mtime',
  'filesize',
  'devMajor',
  'devMinor',
  'rdevMajor',
  'rdevMinor',
  'namesize',
  'check',
] as const;
export type NewcFieldName = (typeof NEWC_FIELDS)[number];

/** Round `value` up to the next multiple of NEWC_ALIGNMENT. */
export function align4(value: number): number {
  return (value + NEWC_ALIGNMENT - 1) & ~(NEWC_ALIGNMENT - 1);
}

/** Zero bytes needed after `length` bytes to reach the next multiple of NEWC_ALIGNMENT. */
export function padLength(length: number): number {
  return (NEWC_ALIGNMENT - (length % NEWC_ALIGNMENT)) % NEWC_ALIGNMENT;
}
