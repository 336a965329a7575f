/**
 * A small reproducible ustar writer for the demo's generated inputs (POSIX.1-1988 ustar,
 * pax(1) "ustar Interchange Format"): regular files and directories, names up to 255 bytes
 * through the `prefix` field, mtime from the caller, owner 0:0. Enough for an oc-mirror v2
 * archive (`docker/registry/v2/...`) and for image layers; not a general tar library.
 */

/** A tar block (ustar header and data padding unit). */
export const TAR_BLOCK = 512;
/** `name` holds 100 bytes and `prefix` 155 (ustar header layout). */
const NAME_FIELD = 100;
const PREFIX_FIELD = 155;
/** Two zero blocks end an archive. */
const END_BLOCKS = 2;

export interface TarMember {
  path: string;
  /** Omitted for a directory. */
  data?: Uint8Array;
  mode?: number;
}

function octal(value: number, width: number): string {
  // Numeric fields are zero-padded octal followed by a NUL.
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** Split a path into ustar `prefix` and `name` at a slash so that both fit. */
function splitName(path: string): { prefix: string; name: string } {
  if (Buffer.byteLength(path) <= NAME_FIELD) return { prefix: '', name: path };
  for (let cut = path.indexOf('/'); cut !== -1; cut = path.indexOf('/', cut + 1)) {
    const prefix = path.slice(0, cut);
    const name = path.slice(cut + 1);
    if (Buffer.byteLength(prefix) <= PREFIX_FIELD && Buffer.byteLength(name) <= NAME_FIELD)
      return { prefix, name };
  }
  throw new Error(`internal: tar path too long for ustar: ${path}`);
}

function header(member: TarMember, mtime: number): Buffer {
  const block = Buffer.alloc(TAR_BLOCK);
  const directory = member.data === undefined;
  const path = directory && !member.path.endsWith('/') ? `${member.path}/` : member.path;
  const { prefix, name } = splitName(path);
  block.write(name, 0, 'utf8');
  block.write(octal(member.mode ?? (directory ? 0o755 : 0o644), 8), 100, 'ascii');
  block.write(octal(0, 8), 108, 'ascii');
  block.write(octal(0, 8), 116, 'ascii');
  block.write(octal(member.data?.length ?? 0, 12), 124, 'ascii');
  block.write(octal(mtime, 12), 136, 'ascii');
  block.write(' '.repeat(8), 148, 'ascii');
  block.write(directory ? '5' : '0', 156, 'ascii');
  block.write('ustar\u000000', 257, 'ascii');
  block.write('root', 265, 'ascii');
  block.write('root', 297, 'ascii');
  block.write(prefix, 345, 'utf8');
  let sum = 0;
  for (const byte of block) sum += byte;
  // The checksum field: six octal digits, NUL, space.
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return block;
}

/** The whole archive as one buffer (the demo's members are a few KiB). */
export function tarArchive(members: readonly TarMember[], mtime: number): Buffer {
  const parts: Buffer[] = [];
  for (const member of members) {
    parts.push(header(member, mtime));
    if (member.data !== undefined && member.data.length > 0) {
      parts.push(Buffer.from(member.data));
      const pad = (TAR_BLOCK - (member.data.length % TAR_BLOCK)) % TAR_BLOCK;
      parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(END_BLOCKS * TAR_BLOCK));
  return Buffer.concat(parts);
}
