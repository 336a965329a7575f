/**
 * `hostmirror initrd build | append | ls | verify` (docs/design.md#command). Parses options and calls
 * `@hostmirror/initrd`; nothing else.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CODECS } from '@hostmirror/codecs';
import type { NewcEntryInfo } from '@hostmirror/cpio-stream';
import {
  appendArchive,
  buildOverlayFile,
  DEFAULT_OVERLAY_CODEC,
  type InitrdFault,
  type InitrdSegment,
  verifyInitrd,
  walkInitrd,
} from '@hostmirror/initrd';
import {
  type Command,
  type CommandContext,
  choice,
  flag,
  optionalString,
  requireString,
  UsageError,
} from '../command.ts';

const outputOptions = {
  output: {
    type: 'string',
    short: 'o',
    description:
      'the file to write (whole or not at all), or - for stdout (written and verified first, then streamed)',
    value: 'OUT',
  },
  force: { type: 'boolean', short: 'f', description: 'replace an existing output' },
} as const;

function positional(context: CommandContext, index: number): string {
  return resolve(context.io.cwd, context.positionals[index] as string);
}

/**
 * Write the output with `write(path)`: to `-o FILE`, or with `-o -` to a temporary file that
 * is verified like any output and then streamed to stdout (refused on a terminal). Returns
 * what `write` returned and whether stdout carried the bytes (then the summary is left out).
 */
export async function withOutput<T>(
  context: CommandContext,
  write: (path: string) => Promise<T>,
): Promise<{ result: T; streamed: boolean }> {
  const output = requireString(context.values, 'output');
  if (output !== '-')
    return { result: await write(resolve(context.io.cwd, output)), streamed: false };
  if ((context.io.stdout as { isTTY?: boolean }).isTTY === true)
    throw new UsageError(
      'Refusing to write an archive to a terminal; redirect stdout or give -o FILE.',
    );
  if (flag(context.values, 'json'))
    throw new UsageError('-o - and --json both write stdout; give -o FILE with --json.');
  const folder = await mkdtemp(join(tmpdir(), 'hostmirror-initrd-'));
  try {
    const path = join(folder, 'output');
    const result = await write(path);
    await pipeline(createReadStream(path), context.io.stdout, { end: false });
    return { result, streamed: true };
  } finally {
    await rm(folder, { recursive: true, force: true });
  }
}

const TYPE_LETTERS: Record<NewcEntryInfo['type'], string> = {
  file: '-',
  directory: 'd',
  symlink: 'l',
  'char-device': 'c',
  'block-device': 'b',
  fifo: 'p',
  socket: 's',
  unknown: '?',
};

/** `rwxr-xr-x` with setuid/setgid/sticky shown as `ls` does. */
function permissions(mode: number): string {
  const triplets = [6, 3, 0].map((shift) => {
    const bits = (mode >> shift) & 7;
    return `${bits & 4 ? 'r' : '-'}${bits & 2 ? 'w' : '-'}${bits & 1 ? 'x' : '-'}`;
  });
  const special = [
    [0o4000, 0, 's'],
    [0o2000, 1, 's'],
    [0o1000, 2, 't'],
  ] as const;
  for (const [bit, index, letter] of special) {
    if (!(mode & bit)) continue;
    const triplet = triplets[index] as string;
    const executable = triplet[2] !== '-';
    triplets[index] = triplet.slice(0, 2) + (executable ? letter : letter.toUpperCase());
  }
  return triplets.join('');
}

function entryLine(entry: NewcEntryInfo): string {
  const link = entry.target === undefined ? '' : ` -> ${entry.target}`;
  return `  ${TYPE_LETTERS[entry.type]}${permissions(entry.mode)} ${String(entry.uid).padStart(5)} ${String(entry.gid).padStart(5)} ${String(entry.size).padStart(10)} ${entry.path}${link}`;
}

function segmentLine(segment: InitrdSegment): string {
  const extra = [
    segment.xzCheck === undefined ? '' : `check ${segment.xzCheck}`,
    segment.zstdWindowSize === undefined ? '' : `window ${segment.zstdWindowSize}`,
    segment.trailer ? '' : 'no trailer',
  ].filter((part) => part !== '');
  return (
    `segment ${segment.index} at byte ${segment.offset}: ${segment.codec}, ${segment.length} bytes` +
    (segment.codec === 'none' ? '' : ` (${segment.uncompressedLength} uncompressed)`) +
    `, ${segment.entries.length} entries${extra.length > 0 ? `, ${extra.join(', ')}` : ''}`
  );
}

function faultLine(fault: InitrdFault): string {
  const inner =
    fault.decompressedOffset === undefined
      ? ''
      : ` (decompressed byte ${fault.decompressedOffset})`;
  return `byte ${fault.offset}${inner}: ${fault.code}: ${fault.message}`;
}

const build: Command = {
  name: 'build',
  summary: 'Compose an overlay archive from a YAML spec (files, directories, symlinks).',
  usage:
    'hostmirror initrd build SPEC.yaml -o OUT [--compress gzip|xz|zstd|none] [--level N] [-f] [--json]',
  options: {
    ...outputOptions,
    compress: {
      type: 'string',
      description: 'the codec of the archive (the kernel that unpacks it must have it)',
      value: 'CODEC',
      default: DEFAULT_OVERLAY_CODEC,
      choices: CODECS,
    },
    level: {
      type: 'string',
      description: 'compression level: gzip 1-9 (6), xz 0-9 (6), zstd 1-22 (3)',
      value: 'N',
    },
  },
  environment: {
    SOURCE_DATE_EPOCH:
      'the mtime of entries whose spec gives none (default 0), for the same bytes every run',
  },
  positionals: [1, 1],
  async run(context) {
    const options: Parameters<typeof buildOverlayFile>[2] = {
      overwrite: flag(context.values, 'force'),
    };
    if (context.values.compress !== undefined)
      options.compress = choice(context.values, 'compress', CODECS, DEFAULT_OVERLAY_CODEC);
    const level = optionalString(context.values, 'level');
    if (level !== undefined) {
      if (!/^\d+$/.test(level))
        throw new UsageError(`--level must be a whole number; got ${level}.`);
      options.level = Number(level);
    }
    let reported = 0;
    options.onProgress = ({ done, total }) => {
      if (reported === 0) context.progress.start('Building overlay', total);
      context.progress.advance(done - reported);
      reported = done;
    };
    const { result, streamed } = await withOutput(context, (out) =>
      buildOverlayFile(positional(context, 0), out, options),
    );
    context.progress.done();
    if (streamed) return 0;
    if (flag(context.values, 'json')) {
      context.printJson({
        path: result.path,
        codec: result.codec,
        size: result.size,
        entries: result.entries,
        ok: result.report.ok,
      });
    } else {
      context.print(
        `Wrote ${result.path}: ${result.codec}, ${result.size} bytes, ${result.entries} entries; kernel rules hold.`,
      );
    }
    return 0;
  },
};

const append: Command = {
  name: 'append',
  summary: 'Append an archive to an initrd: original bytes, zeros to a multiple of 4, the archive.',
  usage: 'hostmirror initrd append BASE --archive A -o OUT [-f] [--json]',
  options: {
    ...outputOptions,
    archive: { type: 'string', description: 'the archive to append', value: 'A' },
  },
  positionals: [1, 1],
  async run(context) {
    const archive = resolve(context.io.cwd, requireString(context.values, 'archive'));
    const { result, streamed } = await withOutput(context, (out) =>
      appendArchive(positional(context, 0), archive, out, {
        overwrite: flag(context.values, 'force'),
      }),
    );
    if (streamed) return 0;
    if (flag(context.values, 'json')) {
      const { report, ...summary } = result;
      context.printJson({ ...summary, ok: report.ok, segments: report.segments.length });
    } else {
      context.print(
        `Wrote ${result.path}: ${result.baseSize} bytes of the base, ${result.padding} bytes of padding, the archive at byte ${result.archiveOffset}; ${result.size} bytes, kernel rules hold.`,
      );
    }
    return 0;
  },
};

const ls: Command = {
  name: 'ls',
  summary: 'List every segment of an initrd (offset, codec, entries), like lsinitrd.',
  usage: 'hostmirror initrd ls FILE [--json]',
  options: {},
  positionals: [1, 1],
  async run(context) {
    const walk = await walkInitrd(positional(context, 0));
    if (flag(context.values, 'json')) context.printJson(walk);
    else {
      for (const segment of walk.segments) {
        context.print(segmentLine(segment));
        for (const entry of segment.entries) context.print(entryLine(entry));
      }
      for (const fault of walk.faults) context.io.stderr.write(`hostmirror: ${faultLine(fault)}\n`);
    }
    return walk.faults.some((fault) => fault.fatal) ? 1 : 0;
  },
};

const verify: Command = {
  name: 'verify',
  summary:
    "Check an initrd against the kernel's initramfs rules; exit 1 with the offset of any fault.",
  usage: 'hostmirror initrd verify FILE [--json]',
  options: {},
  positionals: [1, 1],
  async run(context) {
    const report = await verifyInitrd(positional(context, 0));
    if (flag(context.values, 'json')) context.printJson(report);
    else if (report.ok) {
      const entries = report.segments.reduce((sum, segment) => sum + segment.entries.length, 0);
      context.print(
        `OK: ${report.segments.length} segments, ${entries} entries, ${report.size} bytes; kernel rules hold.`,
      );
    } else {
      for (const fault of report.faults) context.print(faultLine(fault));
    }
    return report.ok ? 0 : 1;
  },
};

export const commands: Record<string, Command> = { build, append, ls, verify };
