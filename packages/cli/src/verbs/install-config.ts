/**
 * `hostmirror install-config ARCHIVE… -i install-config.yaml -o OUT [--host H:P] [--ca ca.pem]`:
 * writes install-config.yaml with the hosts' mirror in `imageDigestSources` (and the CA in
 * `additionalTrustBundle`), for users who make the agent ISO after. Calls
 * `writeInstallConfig` from @hostmirror/build-iso; the input file is never modified.
 */
import { resolve } from 'node:path';
import { writeInstallConfig } from '@hostmirror/build-iso';
import { type Command, flag, optionalString, requireString } from '../command.ts';

export const command: Command = {
  name: 'install-config',
  summary:
    "write install-config.yaml with the hosts' mirror in imageDigestSources and its CA in additionalTrustBundle",
  usage:
    'hostmirror install-config ARCHIVE... -i install-config.yaml -o OUT.yaml [--host HOST:PORT] [--ca CA.pem] [-f] [--json]',
  options: {
    input: {
      type: 'string',
      short: 'i',
      description: 'the install-config.yaml to start from (never written)',
      value: 'install-config.yaml',
    },
    output: {
      type: 'string',
      short: 'o',
      description: 'where to write the result (refused if it exists, unless -f)',
      value: 'OUT.yaml',
    },
    host: {
      type: 'string',
      description: "the hosts' registry",
      value: 'HOST:PORT',
      default: 'registry.hostmirror.internal:5000',
    },
    ca: {
      type: 'string',
      description: "the CA of that registry, added to additionalTrustBundle (the build's ca.crt)",
      value: 'CA.pem',
    },
    force: { type: 'boolean', short: 'f', description: 'replace an existing output' },
  },
  positionals: [1, Number.POSITIVE_INFINITY],
  async run(context) {
    const { values, positionals, io } = context;
    const at = (path: string) => resolve(io.cwd, path);
    const host = optionalString(values, 'host');
    const ca = optionalString(values, 'ca');
    const written = await writeInstallConfig({
      archives: positionals.map(at),
      input: at(requireString(values, 'input')),
      output: at(requireString(values, 'output')),
      overwrite: flag(values, 'force'),
      ...(host === undefined ? {} : { host }),
      ...(ca === undefined ? {} : { ca: at(ca) }),
    });
    if (flag(values, 'json')) {
      context.printJson(written);
      return 0;
    }
    context.print(`${written.output.path}: mirror ${written.host}`);
    for (const change of written.changes) context.print(`  ${change}`);
    if (written.changes.length === 0) context.print('  (already up to date)');
    if (ca === undefined)
      context.print(
        'note: no --ca, so additionalTrustBundle is unchanged; give the CA of the registry (build-iso --tls-dir) for openshift-install to trust it.',
      );
    return 0;
  },
};

export const commands: Record<string, Command> = { '': command };
