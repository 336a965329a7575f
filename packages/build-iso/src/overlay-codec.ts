import type { Codec } from '@hostmirror/codecs';
import { BuildIsoError } from './errors.ts';

/**
 * Which codec the initrd overlay may use: the ISO's kernel must unpack it, and a kernel that
 * cannot prints "Initramfs unpacking failed" and boots on without our files (init/initramfs.c
 * `unpack_to_rootfs`). What can be known from the image alone:
 * - the kernel's release, from the x86 boot header: `kernel_version` at 0x20E points (less
 *   0x200) at a NUL-terminated string like `5.14.0-427.el9.x86_64 (mockbuild@…) #1 SMP …`
 *   (Linux Documentation/arch/x86/boot.rst, "kernel_version"; protocol 2.00+);
 * - codecs the kernel is proven to unpack: those of the ISO's own initrd segments (it boots
 *   them), and xz, because coreos-installer writes the embedded Ignition config as an xz (CRC32)
 *   cpio into `images/ignition.img`, which the boot loader hands the kernel as an initrd
 *   (coreos/coreos-installer src/io/initrd.rs at 0918230a, `make_initrd`).
 * Which CONFIG_RD_* options a kernel was built with is not in the image (without IKCONFIG).
 * So: gzip by default (every distribution kernel has CONFIG_RD_GZIP; openshift/installer's own
 * agent archive appended to the initrd is gzip, pkg/asset/agent/image/cpio.go); xz where proven;
 * zstd only where proven and the kernel is 5.9 or later (zstd initramfs arrived in Linux 5.9:
 * torvalds/linux 48f7ddf785af "init: add support for zstd compressed kernel"); refused otherwise.
 */

/** x86 boot protocol: `HdrS` at 0x202, the protocol version at 0x206, `kernel_version` at 0x20E. */
const X86_HEADER_MAGIC = { offset: 0x202, text: 'HdrS' };
const X86_PROTOCOL_OFFSET = 0x206;
const X86_KERNEL_VERSION_OFFSET = 0x20e;
const X86_KERNEL_VERSION_BASE = 0x200;
/** The longest kernel version string we read. */
export const KERNEL_VERSION_MAX_BYTES = 256;

export const DEFAULT_KERNEL_CODEC: Codec = 'gzip';
const ZSTD_MINIMUM: readonly [number, number] = [5, 9];

/**
 * Where the kernel version string starts in the bzImage, from its first 0x210 bytes; undefined
 * for a kernel without an x86 boot header (arm64 Image, s390x) or one that sets no string.
 */
export function kernelVersionOffset(head: Buffer): number | undefined {
  if (head.length < X86_KERNEL_VERSION_OFFSET + 2) return undefined;
  const magic = head.toString(
    'latin1',
    X86_HEADER_MAGIC.offset,
    X86_HEADER_MAGIC.offset + X86_HEADER_MAGIC.text.length,
  );
  if (magic !== X86_HEADER_MAGIC.text) return undefined;
  if (head.readUInt16LE(X86_PROTOCOL_OFFSET) < 0x200) return undefined;
  const pointer = head.readUInt16LE(X86_KERNEL_VERSION_OFFSET);
  return pointer === 0 ? undefined : pointer + X86_KERNEL_VERSION_BASE;
}

/** The release (`6.1.0-28-amd64`) from the kernel version string's bytes, or undefined. */
export function kernelReleaseOf(bytes: Buffer): string | undefined {
  const end = bytes.indexOf(0);
  const text = bytes.toString('latin1', 0, end < 0 ? bytes.length : end);
  const release = /^(\d+\.\d+[^\s]*)/.exec(text)?.[1];
  return release;
}

function majorMinor(release: string): [number, number] {
  const [major, minor] = release.split(/[.-]/).map((part) => Number.parseInt(part, 10));
  return [major ?? 0, minor ?? 0];
}

function atLeast(release: string, minimum: readonly [number, number]): boolean {
  const [major, minor] = majorMinor(release);
  return major > minimum[0] || (major === minimum[0] && minor >= minimum[1]);
}

export interface KernelCodecFacts {
  /** The kernel's release, or null when the image does not say. */
  release: string | null;
  /** Codecs of the ISO's own initrd segments. */
  initrdCodecs: readonly Codec[];
  /** The ISO has an Ignition embed area (coreos-installer writes xz into it). */
  embedArea: boolean;
}

export interface CodecDecision {
  codec: Codec;
  /** Why this codec: the default, or the proof that the kernel unpacks it. */
  reason: string;
}

/** The overlay codec for `requested` (default gzip), or CODEC_UNSUPPORTED_BY_KERNEL with the reason. */
export function chooseOverlayCodec(
  requested: Codec | undefined,
  facts: KernelCodecFacts,
  iso: string,
): CodecDecision {
  const kernel =
    facts.release === null ? 'its kernel (release not readable)' : `Linux ${facts.release}`;
  const own =
    facts.initrdCodecs.length === 0 ? 'none' : [...new Set(facts.initrdCodecs)].join(', ');
  const codec = requested ?? DEFAULT_KERNEL_CODEC;
  const refuse = (why: string): never => {
    throw new BuildIsoError(
      'CODEC_UNSUPPORTED_BY_KERNEL',
      `--compress ${codec} refused for ${iso}: ${why} A kernel that cannot unpack the overlay boots on without the registry program. Leave --compress out (gzip, which every kernel unpacks).`,
    );
  };
  switch (codec) {
    case 'gzip':
      return {
        codec,
        reason:
          requested === undefined
            ? `default: every distribution kernel unpacks gzip initramfs (CONFIG_RD_GZIP); ${kernel}, its own initrd: ${own}`
            : `asked; every distribution kernel unpacks gzip initramfs (${kernel})`,
      };
    case 'none':
      return { codec, reason: 'asked: an uncompressed newc archive needs no decompressor' };
    case 'xz':
      if (facts.initrdCodecs.includes('xz'))
        return { codec, reason: `asked; ${kernel} unpacks the ISO's own xz initrd segments` };
      if (facts.embedArea)
        return {
          codec,
          reason: `asked; ${kernel} unpacks the xz (CRC32) archive coreos-installer embeds in images/ignition.img`,
        };
      return refuse(
        `nothing in the ISO shows that ${kernel} unpacks xz (its own initrd: ${own}; no Ignition embed area).`,
      );
    case 'zstd':
      if (facts.release !== null && !atLeast(facts.release, ZSTD_MINIMUM))
        return refuse(
          `${kernel} cannot unpack a zstd initramfs: zstd arrived in Linux ${ZSTD_MINIMUM.join('.')}.`,
        );
      if (facts.release === null)
        return refuse(
          `the kernel's release cannot be read from the image, so zstd support (Linux ${ZSTD_MINIMUM.join('.')}+ with CONFIG_RD_ZSTD) cannot be shown.`,
        );
      if (!facts.initrdCodecs.includes('zstd'))
        return refuse(
          `${kernel} is new enough, but whether it was built with CONFIG_RD_ZSTD is not in the image, and the ISO's own initrd (${own}) does not show it.`,
        );
      return { codec, reason: `asked; ${kernel} unpacks the ISO's own zstd initrd segments` };
  }
}
