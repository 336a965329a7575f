/**
 * The Ignition embed area's contents (coreos-iso.md §1.2, §1.7–1.8): one xz (check CRC32)
 * newc archive of regular files, `config.ign` mode 0600, parents 0755, mtime 0, as
 * coreos-installer's `Initrd::to_bytes`; an empty set of members is an empty area (all zeros).
 */
import { createCompressor } from '@hostmirror/codecs';
import { type NewcEntryInput, writeNewc } from '@hostmirror/cpio-stream';

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

/** An area of zeros holds nothing. */
export function isEmptyArea(bytes: Uint8Array): boolean {
  return bytes.every((byte) => byte === 0);
}
