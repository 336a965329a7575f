/**
 * `hostmirror iso …` (docs/design.md#command): inspect a CoreOS live ISO, embed Ignition and kargs,
 * show or reset them, extend the initrd, write PXE artifacts. Logic lives in `@hostmirror/iso`;
 * this file parses options and picks the output: `-o FILE`, `-o -` (stdout) or `--in-place`.
 */
import { basename, resolve } from 'node:path';
import type { Writable } from 'node:stream';
import {
  CoreosIso,
  DEFAULT_LOCK_WAIT_SECONDS,
  type IsoEdit,
  IsoError,
  type IsoOutput,
  type IsoReport,
  inspectIso,
  journalPath,
  readCurrentKargs,
  readJournal,
  requireKargs,
  writePxeArtifacts,
} from '@hostmirror/iso/core';
import {
  type Command,
  type CommandContext,
  flag,
  type OptionDeclaration,
  type OptionSpec,
  optionalString,
  readInput,
  requireString,
  stringList,
  UsageError,
} from '../command.ts';
import { customizeOptions, printNotes, readCustomization } from './customize-options.ts';

const outputOptions = {
  output: {
    type: 'string',
    short: 'o',
    description: 'write the edited ISO to OUT, or to stdout with - (refused on a terminal)',
    value: 'OUT',
  },
  'in-place': {
    type: 'boolean',
    description: 'edit the ISO itself (locked, journaled: an interrupted edit is rolled back)',
  },
  'lock-wait': {
    type: 'string',
    description: 'seconds to wait for another editor of the same ISO (0: refuse at once)',
    value: 'SECONDS',
    default: String(DEFAULT_LOCK_WAIT_SECONDS),
  },
  force: { type: 'boolean', short: 'f', description: 'replace existing outputs' },
} as const;
const outputUsage = '(-o OUT | -o - | --in-place [--lock-wait SECONDS]) [-f]';

/** The kernel-argument edits (`KargsEdits` of @hostmirror/iso), each a repeatable option. */
const KARGS_EDITS = {
  append: { short: 'a', description: 'a kernel argument to append', value: 'KARG' },
  delete: { short: 'd', description: 'a kernel argument to delete', value: 'KARG' },
  replace: { short: 'r', description: "replace a kernel argument's value", value: 'KARG=OLD=NEW' },
} as const;
type KargsEditName = keyof typeof KARGS_EDITS;
const KARGS_EDIT_NAMES = Object.keys(KARGS_EDITS) as KargsEditName[];

/**
 * The three edits as options: `--kargs-append`… (`iso embed`), `--append`… (`iso kargs`), and
 * with coreos-installer's `-a`/`-d`/`-r` (`iso kargs modify`).
 */
function kargsEditOptions(prefix: '' | 'kargs-', shorts: boolean): OptionSpec {
  return Object.fromEntries(
    KARGS_EDIT_NAMES.map((name) => {
      const { short, ...declared } = KARGS_EDITS[name];
      const option: OptionDeclaration = { type: 'string', multiple: true, ...declared };
      return [`${prefix}${name}`, shorts ? { ...option, short } : option];
    }),
  );
}

/** The edits given through `kargsEditOptions(prefix, …)`, and whether there is any. */
function kargsEditsGiven(
  context: CommandContext,
  prefix: '' | 'kargs-',
): { edits: Record<KargsEditName, string[]>; any: boolean } {
  const edits = {
    append: stringList(context.values, `${prefix}append`),
    delete: stringList(context.values, `${prefix}delete`),
    replace: stringList(context.values, `${prefix}replace`),
  };
  return { edits, any: Object.values(edits).some((list) => list.length > 0) };
}

/** Seconds an in-place edit waits for another editor of the same ISO (`--lock-wait`). */
function lockWait(context: CommandContext): number {
  const text = optionalString(context.values, 'lock-wait');
  if (text === undefined) return DEFAULT_LOCK_WAIT_SECONDS;
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || !Number.isFinite(seconds))
    throw new UsageError(
      `--lock-wait takes a number of seconds (0 refuses at once), not '${text}'.`,
    );
  return seconds;
}

/** Where the edited ISO goes; `-o -` is refused on a terminal (binary on a TTY). */
function outputOf(context: CommandContext): IsoOutput {
  const output = optionalString(context.values, 'output');
  const inPlace = flag(context.values, 'in-place');
  if ((output === undefined) === !inPlace)
    throw new UsageError('Give exactly one of -o OUT, -o - or --in-place.');
  if (inPlace) return { kind: 'in-place' };
  if (output === '-') {
    const stdout = context.io.stdout as NodeJS.WritableStream & { isTTY?: boolean };
    if (stdout.isTTY)
      throw new IsoError(
        'TTY_OUTPUT',
        'Refusing to write an ISO image to a terminal; redirect stdout.',
      );
    return {
      kind: 'stream',
      stream: context.io.stdout as Writable,
    };
  }
  return {
    kind: 'file',
    path: resolve(context.io.cwd, output as string),
    overwrite: flag(context.values, 'force'),
  };
}

/**
 * Open the ISO named on the command line. An in-place edit (`verb` given) locks it first, so
 * it is planned and written under one lock, and rolls back an interrupted earlier edit.
 */
async function withIso<T>(
  context: CommandContext,
  work: (iso: CoreosIso) => Promise<T>,
  verb?: string,
): Promise<T> {
  const path = resolve(context.io.cwd, context.positionals[0] as string);
  const inPlace = verb !== undefined && flag(context.values, 'in-place');
  const iso = await CoreosIso.open(
    path,
    inPlace ? { lock: { waitSeconds: lockWait(context), command: `iso ${verb}` } } : {},
  );
  if (iso.recovered !== undefined)
    context.io.stderr.write(
      `note: rolled back the interrupted \`hostmirror ${iso.recovered.command}\` of ${iso.recovered.started} before this edit.\n`,
    );
  try {
    return await work(iso);
  } finally {
    await iso.close();
  }
}

async function writeEdit(context: CommandContext, iso: CoreosIso, edit: IsoEdit, step: string) {
  const output = outputOf(context);
  const total =
    edit.size - edit.originalSize + edit.patches.reduce((n, p) => n + p.bytes.length, 0);
  context.progress.start(step, output.kind === 'in-place' ? total : edit.size);
  let reported = 0;
  await iso.write(edit, output, {
    command: `iso ${step}`,
    onProgress: (written) => {
      context.progress.advance(written - reported);
      reported = written;
    },
  });
  context.progress.done();
  return output;
}

function describeOutput(output: IsoOutput, iso: CoreosIso): string {
  if (output.kind === 'file') return output.path;
  return output.kind === 'in-place' ? `${iso.path} (in place)` : 'stdout';
}

function formatReport(report: IsoReport): string {
  const lines: string[] = [];
  if (report.torn !== undefined)
    lines.push(
      `TORN:           \`hostmirror ${report.torn.command}\` (pid ${report.torn.pid}, ${report.torn.started}) was interrupted; run \`hostmirror iso repair\` or the same command again (journal ${report.torn.journal})`,
    );
  lines.push(
    report.problems.length === 0
      ? 'Consistency:    volume descriptors, primary and Joliet trees, MBR and GPT agree'
      : `INCONSISTENT:   ${report.problems.join('\n                ')}`,
  );
  lines.push(
    `Volume id:      ${report.volumeId}`,
    `Size:           ${report.size} bytes (volume ${report.volumeBytes})`,
    `Ignition area:  ${report.ignition.file}, byte ${report.ignition.offset}, ${report.ignition.length} bytes, ${report.ignition.empty ? 'empty' : `holds ${report.ignition.members.map((m) => `${m.path} (${m.size} B)`).join(', ')}`}`,
  );
  if (report.kargs === undefined) lines.push('Kargs:          no kargs areas');
  else {
    lines.push(`Kargs:          ${report.kargs.current}`);
    lines.push(`Default kargs:  ${report.kargs.default}`);
    for (const area of report.kargs.areas)
      lines.push(`Kargs area:     ${area.file}, byte ${area.offset}, ${report.kargs.size} bytes`);
  }
  if (report.initrd !== undefined) {
    lines.push(`Initrd:         byte ${report.initrd.offset}, ${report.initrd.size} bytes`);
    if (report.initrd.unreadable !== undefined)
      lines.push(`  (segments unreadable: ${report.initrd.unreadable})`);
    for (const segment of report.initrd.segments)
      lines.push(
        `  segment at ${segment.offset}: ${segment.codec}, ${segment.length} bytes, ${segment.entries} entries, ${segment.unpacked} unpacked`,
      );
  }
  for (const entry of report.boot)
    lines.push(`Boot entry:     platform 0x${entry.platform.toString(16)}, byte ${entry.offset}`);
  lines.push('Files:');
  for (const file of report.files)
    lines.push(
      `  ${String(file.offset).padStart(12)} ${String(file.size).padStart(12)}  ${file.path}`,
    );
  return lines.join('\n');
}

const inspect: Command = {
  name: 'inspect',
  summary:
    'Volume id, files, embed areas (byte offset, length), kargs, initrd segments; exit 1 if torn or inconsistent',
  usage: 'hostmirror iso inspect ISO [--json]',
  options: {},
  positionals: [1, 1],
  run: async (context) => {
    const path = resolve(context.io.cwd, context.positionals[0] as string);
    let report: IsoReport;
    try {
      const iso = await CoreosIso.open(path, { allowTorn: true });
      try {
        report = await inspectIso(iso);
      } finally {
        await iso.close();
      }
    } catch (error) {
      // A torn ISO may not even parse: say it is torn before why it cannot be read.
      const journal = await readJournal(path, { cleanup: false }).catch(() => undefined);
      if (journal === undefined || !(error instanceof Error)) throw error;
      throw new IsoError(
        'ISO_TORN',
        `${path} is torn: \`hostmirror ${journal.command}\` (${journal.started}) was interrupted (journal ${journalPath(path)}), and it cannot be read (${error.message}). Run \`hostmirror iso repair ${path}\`.`,
      );
    }
    if (flag(context.values, 'json')) context.printJson(report);
    else context.print(formatReport(report));
    return report.torn === undefined && report.problems.length === 0 ? 0 : 1;
  },
};

const repair: Command = {
  name: 'repair',
  summary: 'Roll back an in-place edit that was interrupted (its journal), then check the ISO',
  usage: 'hostmirror iso repair ISO [--lock-wait SECONDS]',
  options: { 'lock-wait': outputOptions['lock-wait'] },
  positionals: [1, 1],
  run: async (context) => {
    const path = resolve(context.io.cwd, context.positionals[0] as string);
    const { rolledBack, problems } = await CoreosIso.repair(path, {
      waitSeconds: lockWait(context),
    });
    if (flag(context.values, 'json'))
      context.printJson({ rolledBack: rolledBack ?? null, problems });
    else {
      context.print(
        rolledBack === undefined
          ? `${path}: no interrupted edit to roll back.`
          : `${path}: rolled back the interrupted \`hostmirror ${rolledBack.command}\` of ${rolledBack.started}; the ISO is as it was before it. Run that command again to make the edit.`,
      );
      for (const problem of problems) context.print(`INCONSISTENT: ${problem}`);
      if (problems.length > 0)
        context.print(
          'These disagreements were not made by an interrupted hostmirror edit (no journal covers them); rebuild the ISO or start from a fresh copy.',
        );
    }
    return problems.length === 0 ? 0 : 1;
  },
};

const embed: Command = {
  name: 'embed',
  summary: 'Embed an Ignition config (and append kargs) into the ISO',
  usage: `hostmirror iso embed ISO --ignition F [--kargs-append K]... [--kargs-delete K]... [--kargs-replace K=OLD=NEW]... ${outputUsage}`,
  options: {
    ignition: {
      type: 'string',
      short: 'i',
      description: 'the Ignition config to embed; - reads it from stdin',
      value: 'CONFIG.ign',
    },
    ...kargsEditOptions('kargs-', false),
    ...outputOptions,
  },
  positionals: [1, 1],
  run: (context) =>
    withIso(
      context,
      async (iso) => {
        const { values } = context;
        const config = await readInput(context, requireString(values, 'ignition'));
        const edits = [await iso.planEmbedIgnition(config, { force: flag(values, 'force') })];
        const kargsEdits = kargsEditsGiven(context, 'kargs-');
        if (kargsEdits.any) edits.push(await iso.planKargs(kargsEdits.edits));
        const output = await writeEdit(context, iso, iso.combine(...edits), 'embed');
        if (output.kind !== 'stream') {
          const summary = { output: describeOutput(output, iso), ignitionBytes: config.length };
          if (flag(values, 'json')) context.printJson(summary);
          else context.note(`Embedded ${config.length} bytes of Ignition in ${summary.output}`);
        }
        return 0;
      },
      'embed',
    ),
};

const showIgnition: Command = {
  name: 'show-ignition',
  summary: 'Print the embedded Ignition config',
  usage: 'hostmirror iso show-ignition ISO',
  options: {},
  positionals: [1, 1],
  run: (context) =>
    withIso(context, async (iso) => {
      context.io.stdout.write(await iso.requireEmbeddedIgnition());
      return 0;
    }),
};

const reset: Command = {
  name: 'reset',
  summary: 'Remove the embedded Ignition and restore the default kargs (pristine bytes)',
  usage: `hostmirror iso reset ISO ${outputUsage}`,
  options: { ...outputOptions },
  positionals: [1, 1],
  run: (context) =>
    withIso(
      context,
      async (iso) => {
        const output = await writeEdit(context, iso, await iso.planReset(), 'reset');
        if (output.kind !== 'stream' && !flag(context.values, 'json'))
          context.note(`Reset ${describeOutput(output, iso)}`);
        return 0;
      },
      'reset',
    ),
};

const appendInitrd: Command = {
  name: 'append-initrd',
  summary: 'Append archives to images/pxeboot/initrd.img inside the ISO, without a rebuild',
  usage: `hostmirror iso append-initrd ISO --archive A [--archive A]... ${outputUsage}`,
  options: {
    archive: {
      type: 'string',
      multiple: true,
      description: 'an archive to append to images/pxeboot/initrd.img',
      value: 'A',
    },
    ...outputOptions,
  },
  positionals: [1, 1],
  run: (context) =>
    withIso(
      context,
      async (iso) => {
        const archives = stringList(context.values, 'archive').map((path) =>
          resolve(context.io.cwd, path),
        );
        if (archives.length === 0) throw new UsageError('--archive is required.');
        const { edit, relocation, appended } = await iso.planAppendInitrd(archives, {
          skipIfAppended: true,
        });
        if (!appended)
          context.note(
            'initrd.img already ends with exactly these archives (an earlier run appended them): nothing appended again.',
          );
        const output = await writeEdit(context, iso, edit, 'append-initrd');
        if (iso.metadata.hasMinisoData)
          context.io.stderr.write(
            'note: coreos/miniso.dat describes the original layout, so `coreos-installer iso extract minimal-iso` will refuse this ISO.\n',
          );
        if (output.kind === 'stream') return 0;
        const summary = {
          output: describeOutput(output, iso),
          initrdOffset: relocation.newExtent.lba * 2048,
          initrdSize: relocation.newExtent.length,
          archiveOffsets: relocation.archiveOffsets,
          isoSize: edit.size,
        };
        if (flag(context.values, 'json')) context.printJson(summary);
        else
          context.note(
            `initrd.img is now ${summary.initrdSize} bytes at byte ${summary.initrdOffset}; ISO ${summary.isoSize} bytes: ${summary.output}`,
          );
        return 0;
      },
      'append-initrd',
    ),
};

const pxe: Command = {
  name: 'pxe',
  summary: 'Write PXE artifacts: kernel, initrd with archives appended, rootfs, iPXE script',
  usage:
    'hostmirror iso pxe ISO --output-dir DIR [--archive A]... [--kargs-append K]... [--base-url URL] [--prefix P] [-f]',
  options: {
    'output-dir': {
      type: 'string',
      description: 'the folder to write the PXE files into',
      value: 'DIR',
    },
    archive: {
      type: 'string',
      multiple: true,
      description: 'an archive to append to the initrd',
      value: 'A',
    },
    'kargs-append': {
      type: 'string',
      multiple: true,
      description: 'a kernel argument to append',
      value: 'KARG',
    },
    'base-url': {
      type: 'string',
      description: 'absolute URL the files will be served from: also writes an iPXE script',
      value: 'URL',
    },
    prefix: {
      type: 'string',
      description: 'the file name prefix of the PXE files',
      value: 'P',
      default: 'hostmirror',
    },
    force: { type: 'boolean', short: 'f', description: 'replace existing outputs' },
  },
  positionals: [1, 1],
  run: (context) =>
    withIso(context, async (iso) => {
      const { values } = context;
      const options: Parameters<typeof writePxeArtifacts>[1] = {
        outputDir: resolve(context.io.cwd, requireString(values, 'output-dir')),
        archives: stringList(values, 'archive').map((path) => resolve(context.io.cwd, path)),
        kargsAppend: stringList(values, 'kargs-append'),
        overwrite: flag(values, 'force'),
      };
      const baseUrl = optionalString(values, 'base-url');
      const prefix = optionalString(values, 'prefix');
      if (baseUrl !== undefined) options.baseUrl = baseUrl;
      if (prefix !== undefined) options.prefix = prefix;
      const artifacts = await writePxeArtifacts(iso, options);
      if (flag(values, 'json')) context.printJson(artifacts);
      else
        context.print(
          [artifacts.kernel, artifacts.initrd, artifacts.rootfs, artifacts.script].join('\n'),
        );
      return 0;
    }),
};

const kargs: Command = {
  name: 'kargs',
  summary: 'Show the live kernel arguments, or append/delete/replace/reset them',
  usage: `hostmirror iso kargs ISO [--default] | [--append K]... [--delete K]... [--replace K=OLD=NEW]... [--reset] ${outputUsage}`,
  options: {
    default: {
      type: 'boolean',
      description: 'show the default kargs (as built) instead of the current ones',
    },
    ...kargsEditOptions('', false),
    reset: { type: 'boolean', description: 'restore the default kargs' },
    ...outputOptions,
  },
  positionals: [1, 1],
  run: (context) =>
    withIso(
      context,
      async (iso) => {
        const { values } = context;
        const { edits, any: editing } = kargsEditsGiven(context, '');
        if (editing && flag(values, 'reset'))
          throw new UsageError('--reset cannot be combined with --append, --delete or --replace.');
        if (!editing && !flag(values, 'reset')) {
          const areas = requireKargs(iso.metadata);
          const shown = flag(values, 'default')
            ? areas.default
            : await readCurrentKargs(iso.image, areas);
          if (flag(values, 'json')) context.printJson({ kargs: shown });
          else context.print(shown);
          return 0;
        }
        const edit = flag(values, 'reset')
          ? await iso.planKargsReset()
          : await iso.planKargs(edits);
        await writeEdit(context, iso, edit, 'kargs');
        return 0;
      },
      'kargs',
    ),
};

/**
 * coreos-installer's names for the same edits (coreos/coreos-installer docs/cmd/iso.md:
 * `iso ignition embed|show|remove`, `iso kargs show|modify|reset`, `iso extract pxe`), with its
 * defaults: without `-o` an edit is made in place, `iso ignition embed` reads the config from
 * stdin without `-i`, `iso extract pxe` writes into the current folder, files named after the ISO.
 */
function inPlaceUnlessOutput(context: CommandContext, extra: CommandContext['values'] = {}) {
  const values = { ...context.values, ...extra };
  if (values.output === undefined) values['in-place'] = true;
  return { ...context, values };
}

const aliasOutput = {
  output: {
    type: 'string',
    short: 'o',
    description: 'write the edited ISO to OUT (- for stdout) instead of editing the ISO in place',
    value: 'OUT',
  },
  'lock-wait': outputOptions['lock-wait'],
} as const;

const ignitionEmbedAlias: Command = {
  name: 'ignition embed',
  summary:
    'Embed an Ignition config in the ISO, in place unless -o (coreos-installer iso ignition embed)',
  usage: 'hostmirror iso ignition embed ISO [-i CONFIG.ign] [-o OUT] [-f]',
  options: {
    ignition: {
      type: 'string',
      short: 'i',
      description: 'the Ignition config to embed',
      value: 'CONFIG.ign',
      default: 'stdin',
    },
    force: {
      type: 'boolean',
      short: 'f',
      description: 'replace an embedded config (and an existing -o)',
    },
    ...aliasOutput,
  },
  positionals: [1, 1],
  run: (context) =>
    embed.run(
      inPlaceUnlessOutput(context, { ignition: optionalString(context.values, 'ignition') ?? '-' }),
    ),
};

const ignitionShowAlias: Command = {
  ...showIgnition,
  name: 'ignition show',
  summary: 'Print the embedded Ignition config (coreos-installer iso ignition show)',
  usage: 'hostmirror iso ignition show ISO',
};

const ignitionRemoveAlias: Command = {
  name: 'ignition remove',
  summary:
    'Remove the embedded Ignition config only, kargs kept; in place unless -o (coreos-installer iso ignition remove)',
  usage: 'hostmirror iso ignition remove ISO [-o OUT] [-f]',
  options: {
    ...aliasOutput,
    force: { type: 'boolean', short: 'f', description: 'replace an existing -o' },
  },
  positionals: [1, 1],
  run: (context) => {
    const edited = inPlaceUnlessOutput(context);
    return withIso(
      edited,
      async (iso) => {
        await writeEdit(edited, iso, await iso.planRemoveIgnition(), 'ignition remove');
        return 0;
      },
      'ignition remove',
    );
  },
};

const kargsShowAlias: Command = {
  name: 'kargs show',
  summary: 'Print the live kernel arguments (coreos-installer iso kargs show)',
  usage: 'hostmirror iso kargs show ISO [-d]',
  options: {
    default: {
      type: 'boolean',
      short: 'd',
      description: 'the default kargs (as built) instead of the current ones',
    },
  },
  positionals: [1, 1],
  run: (context) => kargs.run(context),
};

const kargsModifyAlias: Command = {
  name: 'kargs modify',
  summary:
    'Append, delete or replace kernel arguments, in place unless -o (coreos-installer iso kargs modify)',
  usage: 'hostmirror iso kargs modify ISO [-a K]... [-d K]... [-r K=OLD=NEW]... [-o OUT] [-f]',
  options: {
    ...kargsEditOptions('', true),
    force: { type: 'boolean', short: 'f', description: 'replace an existing -o' },
    ...aliasOutput,
  },
  positionals: [1, 1],
  run: (context) => {
    if (!kargsEditsGiven(context, '').any)
      throw new UsageError('Give at least one of -a, -d or -r.');
    return kargs.run(inPlaceUnlessOutput(context));
  },
};

const kargsResetAlias: Command = {
  name: 'kargs reset',
  summary:
    'Restore the default kernel arguments, in place unless -o (coreos-installer iso kargs reset)',
  usage: 'hostmirror iso kargs reset ISO [-o OUT] [-f]',
  options: {
    ...aliasOutput,
    force: { type: 'boolean', short: 'f', description: 'replace an existing -o' },
  },
  positionals: [1, 1],
  run: (context) => kargs.run(inPlaceUnlessOutput(context, { reset: true })),
};

const extractPxeAlias: Command = {
  name: 'extract pxe',
  summary:
    'Write the kernel, initrd and rootfs for PXE, named after the ISO (coreos-installer iso extract pxe)',
  usage: 'hostmirror iso extract pxe ISO [-o DIR] [-f]',
  options: {
    output: {
      type: 'string',
      short: 'o',
      description: 'the folder to write into',
      value: 'DIR',
      default: '.',
    },
    force: { type: 'boolean', short: 'f', description: 'replace existing files' },
  },
  positionals: [1, 1],
  run: (context) => {
    const [iso = ''] = context.positionals;
    const prefix = basename(iso).replace(/\.iso$/, '');
    const values = {
      ...context.values,
      'output-dir': optionalString(context.values, 'output') ?? '.',
      prefix,
    };
    return pxe.run({ ...context, values });
  },
};

const customize: Command = {
  name: 'customize',
  summary:
    'Customize the live ISO as coreos-installer iso customize does: live and dest Ignition, network keyfiles, CAs, live kargs; in place unless -o',
  usage:
    'hostmirror iso customize ISO [--live-ignition F]... [--dest-ignition F]... [--dest-device DEV] [--dest-console SPEC]... [--dest-karg-append K]... [--dest-karg-delete K]... [--network-keyfile F]... [--ignition-ca F]... [--pre-install S]... [--post-install S]... [--installer-config F]... [--live-karg-append K]... [--live-karg-delete K]... [--live-karg-replace K=OLD=NEW]... [-o OUT] [-f]',
  options: {
    ...customizeOptions,
    'live-karg-append': {
      type: 'string',
      multiple: true,
      description: 'a kernel argument to append to boots of the live system',
      value: 'KARG',
    },
    'live-karg-delete': {
      type: 'string',
      multiple: true,
      description: 'a kernel argument to delete from boots of the live system',
      value: 'KARG',
    },
    'live-karg-replace': {
      type: 'string',
      multiple: true,
      description: 'replace a live kernel argument: KARG=OLD=NEW makes KARG=OLD into KARG=NEW',
      value: 'KARG=OLD=NEW',
    },
    force: {
      type: 'boolean',
      short: 'f',
      description: 'replace an earlier customization (and an existing -o)',
    },
    ...aliasOutput,
  },
  notes: [
    'Like coreos-installer iso customize (coreos/coreos-installer docs/cmd/iso.md): the customization',
    'replaces what the embed area held, kargs edits apply to the default kargs; not provided:',
    '--network-nmstate.',
  ],
  positionals: [1, 1],
  run: async (context) => {
    const edited = inPlaceUnlessOutput(context);
    const customization = await readCustomization(context);
    const { values } = context;
    const kargs = {
      append: stringList(values, 'live-karg-append'),
      delete: stringList(values, 'live-karg-delete'),
      replace: stringList(values, 'live-karg-replace'),
    };
    return withIso(
      edited,
      async (iso) => {
        const {
          edit,
          notes,
          members,
          kargs: liveKargs,
        } = await iso.planCustomize(customization, {
          kargs,
          force: flag(values, 'force'),
        });
        printNotes(context, notes);
        const output = await writeEdit(edited, iso, edit, 'customize');
        if (output.kind === 'stream') return 0;
        const summary = {
          output: describeOutput(output, iso),
          embedded: members,
          kargs: liveKargs ?? null,
          notes,
        };
        if (flag(values, 'json')) context.printJson(summary);
        else
          context.note(
            `Customized ${summary.output}: ${summary.embedded.join(', ') || 'nothing embedded'}`,
          );
        return 0;
      },
      'customize',
    );
  },
};

export const commands: Record<string, Command> = {
  inspect,
  embed,
  kargs,
  'show-ignition': showIgnition,
  reset,
  'append-initrd': appendInitrd,
  repair,
  pxe,
  'ignition embed': ignitionEmbedAlias,
  'ignition show': ignitionShowAlias,
  'ignition remove': ignitionRemoveAlias,
  'kargs show': kargsShowAlias,
  'kargs modify': kargsModifyAlias,
  'kargs reset': kargsResetAlias,
  'extract pxe': extractPxeAlias,
  customize,
};
