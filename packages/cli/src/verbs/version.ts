/**
 * `hostmirror version` (also `--version`, `-V`): the tool's version first, as `git --version`
 * and `coreos-installer --version` print it, then the packages, Node and the codec backends
 * this machine would use (what a bug report or a CI log needs).
 */
import { CODECS, type Codec, resolveBackend } from '@hostmirror/codecs';
import { type Command, flag } from '../command.ts';
import { hostmirrorPackages, toolVersion } from '../version.ts';

/** The backend `auto` picks per codec, or why there is none (with what to install). */
async function codecBackends(): Promise<Record<string, { backend: string | null; fix?: string }>> {
  const entries = await Promise.all(
    CODECS.filter((codec): codec is Exclude<Codec, 'none'> => codec !== 'none').map(
      async (codec) => {
        try {
          return [codec, { backend: await resolveBackend(codec) }] as const;
        } catch (error) {
          return [codec, { backend: null, fix: (error as Error).message }] as const;
        }
      },
    ),
  );
  return Object.fromEntries(entries);
}

export const command: Command = {
  name: 'version',
  summary: 'print the version of hostmirror, its packages, Node and the codec backends',
  usage: 'hostmirror version [--json]   (also: hostmirror --version, hostmirror -V)',
  options: {},
  positionals: [0, 0],
  async run(context) {
    const packages = hostmirrorPackages();
    const codecs = await codecBackends();
    if (flag(context.values, 'json')) {
      context.printJson({
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        packages,
        codecs,
      });
      return 0;
    }
    context.print(`hostmirror ${toolVersion}`);
    context.print(`node ${process.version} (${process.platform}-${process.arch})`);
    for (const [name, version] of Object.entries(packages)) context.print(`${name} ${version}`);
    for (const [codec, { backend, fix }] of Object.entries(codecs))
      context.print(`codec ${codec}: ${backend ?? `unavailable (${fix})`}`);
    return 0;
  },
};

export const commands: Record<string, Command> = { '': command };
