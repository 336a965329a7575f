/**
 * The options `iso customize` and `pxe customize` share, named and explained as coreos-installer
 * names them (coreos/coreos-installer docs/cmd/iso.md, docs/cmd/pxe.md): each read here and
 * handed to `@hostmirror/iso`'s customization, which holds the semantics.
 */
import type { LiveCustomization, NamedInput } from '@hostmirror/iso';
import {
  type CommandContext,
  type OptionSpec,
  optionalString,
  readInput,
  stdinAtMostOnce,
  stringList,
} from '../command.ts';

export const customizeOptions: OptionSpec = {
  'dest-ignition': {
    type: 'string',
    multiple: true,
    description:
      'Ignition config for the installed system: the live system runs coreos-installer with it (written to /etc/coreos/dest.ign); - reads it from stdin',
    value: 'CONFIG.ign',
  },
  'dest-device': {
    type: 'string',
    description:
      'install to this disk at boot, without confirmation (the installer config names it)',
    value: 'DEVICE',
  },
  'dest-console': {
    type: 'string',
    multiple: true,
    description:
      'kernel and bootloader console of the installed system, as console= takes it (ttyS0,115200n8, tty0)',
    value: 'SPEC',
  },
  'dest-karg-append': {
    type: 'string',
    multiple: true,
    description: 'a kernel argument the installer adds for every boot of the installed system',
    value: 'KARG',
  },
  'dest-karg-delete': {
    type: 'string',
    multiple: true,
    description: 'a kernel argument the installer deletes from the installed system',
    value: 'KARG',
  },
  'network-keyfile': {
    type: 'string',
    multiple: true,
    description:
      'a NetworkManager keyfile for the live system (and, when the installer runs, the installed one)',
    value: 'FILE.nmconnection',
  },
  'ignition-ca': {
    type: 'string',
    multiple: true,
    description: 'a PEM CA bundle Ignition trusts in the live system (and the installed one)',
    value: 'CA.pem',
  },
  'pre-install': {
    type: 'string',
    multiple: true,
    description: 'a script the live system runs before the installer (a failure stops at a shell)',
    value: 'SCRIPT',
  },
  'post-install': {
    type: 'string',
    multiple: true,
    description: 'a script the live system runs after the installer (a failure stops at a shell)',
    value: 'SCRIPT',
  },
  'installer-config': {
    type: 'string',
    multiple: true,
    description: 'a coreos-installer config file (YAML) the live system installs with, in order',
    value: 'FILE.yaml',
  },
  'live-ignition': {
    type: 'string',
    multiple: true,
    description: "an Ignition config merged into the live system's config; - reads it from stdin",
    value: 'CONFIG.ign',
  },
};

/** The customization the options ask for; `-` (stdin) may be given once. */
export async function readCustomization(context: CommandContext): Promise<LiveCustomization> {
  const { values } = context;
  stdinAtMostOnce(values, ['dest-ignition', 'live-ignition']);
  const read = (name: string): Promise<NamedInput[]> =>
    Promise.all(
      stringList(values, name).map(async (path) => ({
        name: path,
        bytes: await readInput(context, path),
      })),
    );
  const customization: LiveCustomization = {
    liveIgnition: await read('live-ignition'),
    destIgnition: await read('dest-ignition'),
    networkKeyfiles: await read('network-keyfile'),
    ignitionCa: await read('ignition-ca'),
    preInstall: await read('pre-install'),
    postInstall: await read('post-install'),
    installerConfig: await read('installer-config'),
    destConsole: stringList(values, 'dest-console'),
    destKargAppend: stringList(values, 'dest-karg-append'),
    destKargDelete: stringList(values, 'dest-karg-delete'),
  };
  const destDevice = optionalString(values, 'dest-device');
  if (destDevice !== undefined) customization.destDevice = destDevice;
  return customization;
}

/** coreos-installer prints these whatever the verbosity: an install without confirmation. */
export function printNotes(context: CommandContext, notes: readonly string[]): void {
  for (const note of notes) context.io.stderr.write(`${note}\n`);
}
