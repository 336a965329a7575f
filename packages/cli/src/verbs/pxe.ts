/**
 * `hostmirror pxe customize`: coreos-installer's `pxe customize` (coreos/coreos-installer
 * docs/cmd/pxe.md) for the options `iso customize` shares: the live initramfs with the
 * customization appended as one more segment. The semantics live in `@hostmirror/iso`
 * (`customizePxeInitrd`); `-o -` writes a verified temporary file, then streams it.
 */
import { resolve } from 'node:path';
import { customizePxeInitrd } from '@hostmirror/iso';
import { type Command, flag, UsageError } from '../command.ts';
import { customizeOptions, printNotes, readCustomization } from './customize-options.ts';
import { withOutput } from './initrd.ts';

const customize: Command = {
  name: 'customize',
  summary:
    'Customize a CoreOS live initramfs for PXE as coreos-installer pxe customize does (Ignition, network keyfiles, CAs)',
  usage:
    'hostmirror pxe customize INITRD -o OUT [--live-ignition F]... [--dest-ignition F]... [--dest-device DEV] [--dest-console SPEC]... [--dest-karg-append K]... [--dest-karg-delete K]... [--network-keyfile F]... [--ignition-ca F]... [--pre-install S]... [--post-install S]... [--installer-config F]... [-f]',
  options: {
    ...customizeOptions,
    output: {
      type: 'string',
      short: 'o',
      description: 'the customized initramfs; - streams it to stdout (refused on a terminal)',
      value: 'OUT',
    },
    force: { type: 'boolean', short: 'f', description: 'replace an existing output' },
  },
  notes: [
    'The input is the live initramfs of a CoreOS release (hostmirror iso extract pxe writes it);',
    'the output is its bytes unchanged, zeros to 4 bytes, and the customization as an xz newc',
    'segment. With a live config, boot it with ignition.firstboot ignition.platform.id=metal.',
  ],
  positionals: [1, 1],
  run: async (context) => {
    if (context.values.output === undefined) throw new UsageError('-o OUT is required.');
    const customization = await readCustomization(context);
    const input = resolve(context.io.cwd, context.positionals[0] as string);
    const { result, streamed } = await withOutput(context, (path) =>
      customizePxeInitrd(input, customization, path, { overwrite: flag(context.values, 'force') }),
    );
    printNotes(context, result.notes);
    if (flag(context.values, 'json'))
      context.printJson({
        output: result.append.path,
        size: result.append.size,
        archiveOffset: result.append.archiveOffset,
        members: [...result.members.keys()],
      });
    else if (!streamed)
      context.note(
        `Wrote ${result.append.path}: the initramfs and ${result.members.size} customization file(s) from byte ${result.append.archiveOffset}`,
      );
    return 0;
  },
};

export const commands: Record<string, Command> = { customize };
