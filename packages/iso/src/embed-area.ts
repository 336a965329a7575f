/**
 * The Ignition embed area's contents (docs/coreos-iso.md#ignition-area,
 * docs/coreos-iso.md#embed-commands, docs/coreos-iso.md#initrd-format): one xz (check CRC32) newc
 * archive of regular files, `config.ign` mode 0600, parents 0755, mtime 0, as
 * coreos-installer's `Initrd::to_bytes`; an empty set of members is an empty area (all zeros).
 */
import { createCompressor } from '@hostmirror/codecs';
import { type NewcEntry, type NewcEntryInput, writeNewc } from '@hostmirror/cpio-stream';
import { verifyInitrd, walkInitrd } from '@hostmirror/initrd/archives';
import { IsoError } from './errors.ts';

/** The member the live initramfs copies to /usr/lib/ignition/user.ign. */
export const IGNITION_MEMBER = 'config.ign';
/** coreos-installer writes every member `S_IFREG | 0600`, directories 0755, mtime 0. */
export const MEMBER_MODE = 0o600;
const MEMBER_MTIME = 0;

/** The archive bytes for `members` (path → contents); empty for no members. */
export async function encodeEmbedArea(members: ReadonlyMap<string, Uint8Array>): Promise<Buffer> {
  if (members.size === 0) return Buffer.alloc(0);
  const entries: NewcEntryInput[] = [...members].map(([path, data]) => ({
    path,
    type: 'file',
    mode: MEMBER_MODE,
    data,
  }));
  const compressor = await createCompressor('xz');
  const archive = writeNewc(entries, { mtime: MEMBER_MTIME });
  const chunks: Buffer[] = [];
  archive.pipe(compressor);
  archive.on('error', (error) => compressor.destroy(error));
  for await (const chunk of compressor) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Compared against in blocks by `isEmptyArea`. */
const ZEROS = Buffer.alloc(64 * 1024);

/**
 * An area of zeros holds nothing. Compared with a block of zeros in native code (memcmp): a
 * callback per byte runs interpreted in a short-lived `hostmirror iso embed` — 256 KiB took
 * 2.3 ms of CPU that way in a fresh process and 0.2 ms this way (2026-12-06); it was one of the
 * few frames of the verb's own code in its `--cpu-prof` (32 ms self at load average 14).
 */
export function isEmptyArea(bytes: Uint8Array): boolean {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let offset = 0; offset < view.length; offset += ZEROS.length) {
    const end = Math.min(offset + ZEROS.length, view.length);
    if (view.compare(ZEROS, 0, end - offset, offset, end) !== 0) return false;
  }
  return true;
}

async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/**
 * The regular files an area holds, path (no leading `/`) → contents, the last copy winning;
 * read leniently like coreos-installer (any of gzip/xz/zstd/plain, zeros between archives).
 */
export async function decodeEmbedArea(
  bytes: Uint8Array,
  areaOffset: number,
): Promise<Map<string, Buffer>> {
  const members = new Map<string, Buffer>();
  if (isEmptyArea(bytes)) return members;
  const walk = await walkInitrd(once(bytes), {
    collectEntries: false,
    async onEntry(entry: NewcEntry) {
      const path = entry.path.replace(/^\/+/, '');
      if (entry.type === 'file') members.set(path, Buffer.from(await entry.bytes()));
      else members.delete(path);
    },
  });
  const fatal = walk.faults.find((fault) => fault.fatal);
  if (fatal !== undefined)
    throw new IsoError(
      'BAD_EMBED_AREA',
      `The Ignition embed area at byte ${areaOffset} cannot be read (${fatal.message}); run \`iso reset\` to empty it.`,
      { offset: areaOffset + fatal.offset },
    );
  return members;
}

/**
 * Refuse an archive (bytes, or a file path) the kernel would not unpack completely
 * (docs/design.md#byte-formats: every archive is verified with the kernel's rules before it is placed).
 */
export async function checkKernelRules(archive: Uint8Array | string, what: string): Promise<void> {
  if (typeof archive !== 'string' && archive.length === 0) return;
  const report = await verifyInitrd(typeof archive === 'string' ? archive : once(archive));
  const fault = report.faults[0];
  if (fault !== undefined)
    throw new IsoError(
      'BAD_ARCHIVE',
      `${what} breaks the kernel's initramfs rules at byte ${fault.offset}: ${fault.message}`,
    );
}
