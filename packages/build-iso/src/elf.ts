import { open } from 'node:fs/promises';
import { type ErrorDetails, HostmirrorError } from '@hostmirror/errors';

/**
 * Just enough of an ELF file to tell whether a program runs on a host: class, byte order,
 * machine, the program interpreter (a dynamic program has one), the shared libraries it needs
 * (DT_NEEDED) and the symbol versions it needs from each (SHT_GNU_verneed). Read with
 * positional reads of the headers and those few sections: the program is never loaded whole.
 * Layouts: System V gABI "ELF header", "Program header", "Dynamic section"; the LSB Core
 * specification "Symbol Versioning" (Elfxx_Verneed, Elfxx_Vernaux).
 */

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const PT_INTERP = 3;
const SHT_DYNAMIC = 6;
const SHT_GNU_VERNEED = 0x6ffffffe;
const DT_NULL = 0;
const DT_NEEDED = 1;
/** A header table or string section larger than this is not a program's: refuse it. */
const MAX_TABLE_BYTES = 16 * 1024 * 1024;

/** e_machine values (gABI) of the architectures OpenShift runs on, in install-config terms. */
const MACHINES: Record<number, string> = {
  62: 'amd64', // EM_X86_64
  183: 'arm64', // EM_AARCH64
  21: 'ppc64le', // EM_PPC64 (little-endian: ppc64le)
  22: 's390x', // EM_S390
};

export interface ElfProgram {
  bits: 32 | 64;
  littleEndian: boolean;
  /** e_machine. */
  machine: number;
  /** install-config architecture name for the machine, when it is one OpenShift runs on. */
  architecture: string | undefined;
  /** PT_INTERP, e.g. `/lib64/ld-linux-x86-64.so.2`; null for a static program. */
  interpreter: string | null;
  /** DT_NEEDED libraries, in order. */
  needed: string[];
  /** Version names needed per library file (`libc.so.6` → [`GLIBC_2.34`, …]). */
  versions: Record<string, string[]>;
}

/** The file is not an ELF program we can read; `offset` is where reading stopped making sense. */
export class ElfError extends HostmirrorError<'NOT_ELF'> {
  static override readonly fixes: Readonly<Record<'NOT_ELF', string>> = {
    NOT_ELF:
      "Give a Linux ELF program for the ISO's architecture (a static docker-registry, e.g. Debian's /usr/bin/docker-registry).",
  };

  declare readonly path: string;
  declare readonly offset: number;
  constructor(message: string, details: ErrorDetails & { path: string; offset: number }) {
    super('NOT_ELF', message, details);
  }
}

interface Section {
  type: number;
  offset: number;
  size: number;
  link: number;
  info: number;
}

/** Read the ELF facts of the program at `path`. */
export async function readElfProgram(path: string): Promise<ElfProgram> {
  const file = await open(path, 'r');
  try {
    const { size: fileSize } = await file.stat();
    const read = async (offset: number, length: number, what: string): Promise<Buffer> => {
      if (length > MAX_TABLE_BYTES || offset < 0 || offset + length > fileSize)
        throw new ElfError(
          `${path}: the ${what} (${length} bytes at byte ${offset}) lies outside the ${fileSize}-byte file; it is not a whole ELF program.`,
          { path, offset },
        );
      const buffer = Buffer.alloc(length);
      const { bytesRead } = await file.read(buffer, 0, length, offset);
      return buffer.subarray(0, bytesRead);
    };
    const ident = await read(0, Math.min(64, fileSize), 'ELF header');
    if (ident.length < 52 || !ident.subarray(0, 4).equals(ELF_MAGIC))
      throw new ElfError(
        `${path} is not an ELF program (it starts with ${JSON.stringify(ident.subarray(0, 4).toString('latin1'))}, not "\\x7fELF"): a script or another file cannot be run as the registry.`,
        { path, offset: 0 },
      );
    const bits = ident[4] === 2 ? 64 : ident[4] === 1 ? 32 : undefined;
    const littleEndian = ident[5] === 1 ? true : ident[5] === 2 ? false : undefined;
    if (bits === undefined || littleEndian === undefined)
      throw new ElfError(
        `${path}: ELF class ${ident[4]} / data ${ident[5]} is not one the gABI defines.`,
        { path, offset: 4 },
      );
    const u16 = (b: Buffer, at: number) => (littleEndian ? b.readUInt16LE(at) : b.readUInt16BE(at));
    const u32 = (b: Buffer, at: number) => (littleEndian ? b.readUInt32LE(at) : b.readUInt32BE(at));
    const word = (b: Buffer, at: number) =>
      bits === 64
        ? Number(littleEndian ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at))
        : u32(b, at);
    const machine = u16(ident, 18);
    const header =
      bits === 64
        ? {
            phoff: word(ident, 0x20),
            shoff: word(ident, 0x28),
            phentsize: u16(ident, 0x36),
            phnum: u16(ident, 0x38),
            shentsize: u16(ident, 0x3a),
            shnum: u16(ident, 0x3c),
          }
        : {
            phoff: u32(ident, 0x1c),
            shoff: u32(ident, 0x20),
            phentsize: u16(ident, 0x2a),
            phnum: u16(ident, 0x2c),
            shentsize: u16(ident, 0x2e),
            shnum: u16(ident, 0x30),
          };
    let interpreter: string | null = null;
    const programHeaders = await read(
      header.phoff,
      header.phentsize * header.phnum,
      'program header table',
    );
    for (let index = 0; index < header.phnum; index++) {
      const at = index * header.phentsize;
      if (u32(programHeaders, at) !== PT_INTERP) continue;
      const offset = bits === 64 ? word(programHeaders, at + 8) : u32(programHeaders, at + 4);
      const size = bits === 64 ? word(programHeaders, at + 32) : u32(programHeaders, at + 16);
      interpreter = (await read(offset, size, 'program interpreter'))
        .toString('latin1')
        .replace(/\0+$/, '');
    }
    const sections: Section[] = [];
    if (header.shoff !== 0 && header.shnum > 0) {
      const table = await read(
        header.shoff,
        header.shentsize * header.shnum,
        'section header table',
      );
      for (let index = 0; index < header.shnum; index++) {
        const at = index * header.shentsize;
        sections.push(
          bits === 64
            ? {
                type: u32(table, at + 4),
                offset: word(table, at + 24),
                size: word(table, at + 32),
                link: u32(table, at + 40),
                info: u32(table, at + 44),
              }
            : {
                type: u32(table, at + 4),
                offset: u32(table, at + 16),
                size: u32(table, at + 20),
                link: u32(table, at + 24),
                info: u32(table, at + 28),
              },
        );
      }
    }
    const strings = async (index: number): Promise<(at: number) => string> => {
      const section = sections[index];
      if (section === undefined) return () => '';
      const bytes = await read(section.offset, section.size, 'string table');
      return (at: number) => {
        const end = bytes.indexOf(0, at);
        return bytes.toString('latin1', at, end < 0 ? bytes.length : end);
      };
    };
    const needed: string[] = [];
    const versions: Record<string, string[]> = {};
    for (const section of sections) {
      if (section.type === SHT_DYNAMIC) {
        const name = await strings(section.link);
        const bytes = await read(section.offset, section.size, 'dynamic section');
        const entry = bits === 64 ? 16 : 8;
        for (let at = 0; at + entry <= bytes.length; at += entry) {
          const tag = word(bytes, at);
          if (tag === DT_NULL) break;
          if (tag === DT_NEEDED) needed.push(name(word(bytes, at + entry / 2)));
        }
      } else if (section.type === SHT_GNU_VERNEED) {
        const name = await strings(section.link);
        const bytes = await read(section.offset, section.size, 'version needs section');
        let at = 0;
        for (let count = 0; count < section.info && at + 16 <= bytes.length; count++) {
          // Elfxx_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32.
          const library = name(u32(bytes, at + 4));
          const list = versions[library] ?? [];
          let aux = at + u32(bytes, at + 8);
          for (let n = 0; n < u16(bytes, at + 2) && aux + 16 <= bytes.length; n++) {
            // Elfxx_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
            list.push(name(u32(bytes, aux + 8)));
            const next = u32(bytes, aux + 12);
            if (next === 0) break;
            aux += next;
          }
          versions[library] = list;
          const next = u32(bytes, at + 12);
          if (next === 0) break;
          at += next;
        }
      }
    }
    return {
      bits,
      littleEndian,
      machine,
      architecture: MACHINES[machine],
      interpreter,
      needed,
      versions,
    };
  } finally {
    await file.close();
  }
}

/** `2.34` → [2, 34], for comparing symbol versions. */
export function versionNumbers(text: string): number[] {
  return text.split('.').map((part) => Number.parseInt(part, 10) || 0);
}

export function compareVersions(a: string, b: string): number {
  const x = versionNumbers(a);
  const y = versionNumbers(b);
  for (let index = 0; index < Math.max(x.length, y.length); index++) {
    const difference = (x[index] ?? 0) - (y[index] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}
