/**
 * `hostmirror teardown-manifests`: the way out of a build (issue #15 item 3). Parses the options
 * and calls build-iso's `writeTeardownManifests` (boot-sequence `renderTeardown` decides what
 * goes in).
 */
import { resolve } from 'node:path';
import { TEARDOWN_SCRIPT_FILE, writeTeardownManifests } from '@hostmirror/build-iso';
import { type Command, flag, requireString } from '../command.ts';

const command: Command = {
  name: 'teardown-manifests',
  summary:
    'write what removes hostmirror from the installed cluster: teardown MachineConfigs and the oc steps',
  usage: 'hostmirror teardown-manifests --manifests DIR -o OUT-DIR [-f] [--json]',
  options: {
    manifests: {
      type: 'string',
      description: 'the manifests the build wrote (build-iso --manifests-dir)',
      value: 'DIR',
    },
    output: {
      type: 'string',
      short: 'o',
      description: 'the folder to write into',
      value: 'OUT-DIR',
    },
    force: { type: 'boolean', short: 'f', description: 'replace files already in OUT-DIR' },
  },
  positionals: [0, 0],
  async run(context) {
    const { values, io } = context;
    const written = await writeTeardownManifests({
      manifestsDir: resolve(io.cwd, requireString(values, 'manifests')),
      outDir: resolve(io.cwd, requireString(values, 'output')),
      overwrite: flag(values, 'force'),
    });
    const { teardown } = written;
    if (flag(values, 'json'))
      context.printJson({
        files: written.files,
        machineConfigs: teardown.machineConfigs.map((config) => config.name),
        deleteMachineConfigs: teardown.deleteMachineConfigs.map((object) => object.name),
        deleteObjects: teardown.deleteObjects,
        unsetTrustedCa: teardown.unsetTrustedCa,
        paths: teardown.paths,
      });
    else {
      for (const file of written.files) context.print(file);
      context.print(
        `Once your own registry serves the cluster (and your own ImageDigestMirrorSets point at it), run ${TEARDOWN_SCRIPT_FILE} there with cluster-admin rights: it deletes ${teardown.deleteObjects.length} mirror objects, replaces ${teardown.deleteMachineConfigs.map((object) => object.name).join(', ')} by the teardown MachineConfigs (one rolling reboot per pool), and each node then stops the registry and frees its storage.`,
      );
    }
    return 0;
  },
};

export const commands: Record<string, Command> = { '': command };
