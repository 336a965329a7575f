/**
 * `hostmirror mirror check ARCHIVE...`: prove offline that the archive serves every image the
 * cluster pulls (library: `checkMirror` in @hostmirror/preflight). Exit 0 when every reference is
 * served, 1 when one is not (the report says which, why, and the fix) or on a user error.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { MirrorArchive } from '@hostmirror/oc-mirror-archive';
import {
  archivePaths,
  type Command,
  type CommandContext,
  flag,
  optionalString,
  stringList,
} from '../command.ts';

const usage =
  'hostmirror mirror check ARCHIVE... [--registries-conf F] [--host HOST:PORT] [--release REF] ' +
  '[--arch ARCH]... [--additional-image REF]... [--require-signature] [--json]';

async function run(context: CommandContext): Promise<number> {
  // Loaded here, not at the top: the `mirror` group imports this module for its verb list, and
  // every other mirror verb should not pay for the preflight code (see the package README).
  const { checkMirror, formatCheckReport } = await import('@hostmirror/preflight');
  const { values, io } = context;
  const archive = await MirrorArchive.open(await archivePaths(context, context.positionals));
  const confPath = optionalString(values, 'registries-conf');
  const architectures = stringList(values, 'arch');
  const report = await checkMirror({
    archive,
    registriesConf:
      confPath === undefined ? undefined : await readFile(resolve(io.cwd, confPath), 'utf8'),
    registriesConfOrigin: confPath,
    mirrorHost: optionalString(values, 'host'),
    release: optionalString(values, 'release'),
    architectures: architectures.length === 0 ? undefined : architectures,
    additionalImages: stringList(values, 'additional-image'),
    requireReleaseSignature: flag(values, 'require-signature'),
  });
  if (flag(values, 'json')) context.printJson(report);
  else context.print(formatCheckReport(report));
  return report.ok ? 0 : 1;
}

export const checkCommand: Command = {
  name: 'check',
  summary:
    'Prove offline that the archive serves every image the cluster pulls, as containers/image would pull it.',
  usage,
  options: {
    'registries-conf': {
      type: 'string',
      description:
        'a registries.conf to resolve the pulls through (default: the rules the build would write)',
      value: 'F',
    },
    host: {
      type: 'string',
      description: "the hosts' registry the mirror rules point at",
      value: 'HOST:PORT',
    },
    release: {
      type: 'string',
      description: 'the release to check (default: the one in the archive)',
      value: 'REF',
    },
    arch: {
      type: 'string',
      multiple: true,
      description: 'an architecture the cluster runs (default: every one in the release)',
      value: 'ARCH',
    },
    'additional-image': {
      type: 'string',
      multiple: true,
      description: 'another image the cluster pulls, checked as the release images are',
      value: 'REF',
    },
    'require-signature': {
      type: 'boolean',
      description: "fail when the release's signature is not in the archive",
    },
  },
  positionals: [1, Number.POSITIVE_INFINITY],
  run,
};
