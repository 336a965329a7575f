/**
 * `hostmirror mirror …`: oc-mirror archives, ImageSetConfiguration and registries.conf
 * (docs/design.md#command, docs/design.md#mirror-mode). Parses options and calls
 * `@hostmirror/oc-mirror-archive` and `@hostmirror/host-config`; nothing else.
 */
import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from '@hostmirror/atomic-file';
import {
  type MirrorRule,
  mirrorRulesFor,
  mirrorRulesFromPairs,
  renderRegistriesConf,
  validateRegistriesConf,
  writeCertsD,
} from '@hostmirror/host-config';
import {
  type ArchiveSummary,
  buildImageSetConfig,
  type CompletenessReport,
  describeMissing,
  describeStale,
  estimateSizesFromArchive,
  type ImageSetApiVersion,
  judgeCompleteness,
  MirrorArchive,
  MirrorFormatError,
  type OperatorSelection,
  parseReleaseInfo,
} from '@hostmirror/oc-mirror-archive';
import {
  archivePaths,
  type Command,
  type CommandContext,
  choice,
  flag,
  optionalString,
  requireString,
  stringList,
  UsageError,
} from '../command.ts';
import { checkCommand } from './mirror-check.ts';

const outputOptions = {
  output: {
    type: 'string',
    short: 'o',
    description: 'the file to write, or - for stdout',
    value: 'FILE',
    default: '-',
  },
  force: { type: 'boolean', short: 'f', description: 'replace an existing output' },
} as const;

/** Write `text` to `-o FILE` atomically, or to stdout. */
async function emit(context: CommandContext, text: string, mode?: number): Promise<void> {
  const output = optionalString(context.values, 'output');
  if (output === undefined || output === '-') context.io.stdout.write(text);
  else
    await writeFileAtomic(output, text, {
      overwrite: flag(context.values, 'force'),
      ...(mode === undefined ? {} : { mode }),
    });
}

/** `CATALOG:PACKAGE[=CHANNEL[,CHANNEL]]`; the catalog keeps its own `:tag`. */
function parseOperators(specs: string[]): OperatorSelection[] {
  const byCatalog = new Map<string, OperatorSelection>();
  for (const spec of specs) {
    const colon = spec.lastIndexOf(':');
    if (colon <= 0 || colon === spec.length - 1)
      throw new UsageError(
        `--operator ${spec}: expected CATALOG:PACKAGE[=CHANNEL,…], e.g. registry.redhat.io/redhat/redhat-operator-index:v4.14:lvms-operator=stable-4.14.`,
      );
    const catalog = spec.slice(0, colon);
    const [name = '', channels] = spec.slice(colon + 1).split('=');
    const selection = byCatalog.get(catalog) ?? { catalog, packages: [] };
    byCatalog.set(catalog, selection);
    selection.packages.push({ name, ...(channels ? { channels: channels.split(',') } : {}) });
  }
  return [...byCatalog.values()];
}

const apiVersions = ['v2alpha1', 'v1alpha2'] as const;

const imageSetConfig: Command = {
  name: 'image-set-config',
  summary: 'Write an oc-mirror ImageSetConfiguration for a release (optionally bootstrap-only).',
  usage:
    'hostmirror mirror image-set-config (--release 4.14.3 | --release PULLSPEC@sha256:… | --channel stable-4.14 [--min-version V] [--max-version V]) ' +
    '[--arch amd64]... [--api v2alpha1|v1alpha2] [--operator CATALOG:PKG[=CHANNEL]]... [--additional-image REF]... ' +
    '[--blocked-image REF]... [--archive-size GIB] [--bootstrap-only --release-info RELEASE.json [--archive A]...] [-o FILE] [-f] [--json]',
  options: {
    release: {
      type: 'string',
      description: 'the release to mirror: a version, or a pull spec (PULLSPEC@sha256:…)',
      value: 'VERSION|PULLSPEC',
    },
    channel: {
      type: 'string',
      description: 'the update channel to mirror from (instead of --release)',
      value: 'CHANNEL',
    },
    'min-version': { type: 'string', description: 'the lowest release of the channel', value: 'V' },
    'max-version': {
      type: 'string',
      description: 'the highest release of the channel',
      value: 'V',
    },
    arch: {
      type: 'string',
      multiple: true,
      description: 'an architecture to mirror',
      value: 'ARCH',
      default: 'amd64',
    },
    api: {
      type: 'string',
      description: 'the ImageSetConfiguration API (v2alpha1 for oc-mirror --v2)',
      value: 'API',
      default: 'v2alpha1',
      choices: apiVersions,
    },
    operator: {
      type: 'string',
      multiple: true,
      description: 'an operator package to mirror, from its catalog',
      value: 'CATALOG:PKG[=CHANNEL]',
    },
    'additional-image': {
      type: 'string',
      multiple: true,
      description: 'another image to mirror',
      value: 'REF',
    },
    'blocked-image': {
      type: 'string',
      multiple: true,
      description: 'an image never to mirror',
      value: 'REF',
    },
    'archive-size': {
      type: 'string',
      description: 'the largest archive chunk, in GiB',
      value: 'GIB',
    },
    'bootstrap-only': {
      type: 'boolean',
      description:
        'only the images the bootstrap needs (the rest pulled later), with a size estimate',
    },
    'release-info': {
      type: 'string',
      description: '`oc adm release info -o json` of the release, for --bootstrap-only',
      value: 'RELEASE.json',
    },
    archive: {
      type: 'string',
      multiple: true,
      description: 'archive chunks to measure the --bootstrap-only sizes from',
      value: 'A',
    },
    ...outputOptions,
  },
  positionals: [0, 0],
  async run(context) {
    const { values } = context;
    const archiveSize = optionalString(values, 'archive-size');
    if (archiveSize !== undefined && !/^\d+$/.test(archiveSize))
      throw new UsageError(`--archive-size ${archiveSize}: a whole number of GiB.`);
    const releaseInfo = optionalString(values, 'release-info');
    const arch = stringList(values, 'arch');
    const releaseComponents =
      releaseInfo === undefined
        ? undefined
        : parseReleaseInfo(await readFile(releaseInfo, 'utf8'), releaseInfo);
    const config = buildImageSetConfig({
      apiVersion:
        `mirror.openshift.io/${choice(values, 'api', apiVersions, 'v2alpha1')}` as ImageSetApiVersion,
      release: optionalString(values, 'release'),
      channel: optionalString(values, 'channel'),
      minVersion: optionalString(values, 'min-version'),
      maxVersion: optionalString(values, 'max-version'),
      ...(arch.length > 0 ? { architectures: arch } : {}),
      operators: parseOperators(stringList(values, 'operator')),
      additionalImages: stringList(values, 'additional-image'),
      blockedImages: stringList(values, 'blocked-image'),
      ...(archiveSize === undefined ? {} : { archiveSize: Number(archiveSize) }),
      bootstrapOnly: flag(values, 'bootstrap-only'),
      ...(releaseComponents === undefined ? {} : { releaseComponents }),
    });
    const archives = stringList(values, 'archive');
    if (archives.length > 0 && !(config.estimate && releaseComponents))
      throw new UsageError(
        '--archive measures the --bootstrap-only sizes; give it with --bootstrap-only --release-info.',
      );
    const estimate =
      archives.length > 0 && releaseComponents
        ? await estimateSizesFromArchive(
            await MirrorArchive.open(await archivePaths(context, archives)),
            releaseComponents,
          )
        : config.estimate;
    if (flag(values, 'json')) {
      const output = optionalString(values, 'output');
      if (output !== undefined) await emit(context, config.yaml);
      context.printJson({
        document: config.document,
        estimate: estimate ?? null,
        notes: config.notes,
        output: output ?? null,
      });
      return 0;
    }
    await emit(context, config.yaml);
    for (const note of config.notes) context.note(note);
    if (estimate) {
      const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;
      context.note(
        `estimated size: full release ${gb(estimate.full.bytes)} (${estimate.full.components} components), bootstrap-only ${gb(estimate.bootstrapOnly.bytes)} (${estimate.bootstrapOnly.components}); ${estimate.full.basis}`,
      );
    }
    return 0;
  },
};

function describeCompleteness(report: CompletenessReport): string[] {
  const lines = [
    `complete: ${report.complete ? 'yes' : 'no'} (${report.manifestsChecked} manifests, ${report.blobsNeeded} blobs needed)`,
  ];
  for (const problem of report.problems) {
    if (problem.kind === 'blob-missing') {
      const needers = problem.neededBy
        .map(
          (by) =>
            `${by.role} of ${by.repository}@${by.manifest}${by.otherRepositories ? ` (and ${by.otherRepositories} other repositories)` : ''}`,
        )
        .join(', ');
      lines.push(`  missing blob ${problem.digest}: needed as ${needers}`);
    } else {
      lines.push(
        `  unreadable manifest ${problem.repository}@${problem.manifest}: ${problem.reason}`,
      );
    }
  }
  return lines;
}

function describeSummary(summary: ArchiveSummary): string[] {
  const lines = [`kind: ${summary.kind}`, 'chunks:'];
  for (const chunk of summary.chunks)
    lines.push(`  ${chunk.path}  ${chunk.size} bytes, ${chunk.members} members`);
  lines.push(`blobs: ${summary.blobs.count} (${summary.blobs.bytes} bytes)`, 'repositories:');
  for (const repository of summary.repositories) {
    lines.push(
      `  ${repository.name}  (${repository.manifests.length} manifests, ${repository.layers} linked blobs)`,
    );
    for (const tag of repository.tags) lines.push(`    ${tag.tag}  ${tag.digest}`);
  }
  lines.push(`cluster resources: ${summary.clusterResources.join(', ') || 'none'}`);
  return lines;
}

const inspect: Command = {
  name: 'inspect',
  summary:
    'List an oc-mirror archive: kind, repositories, tags, blobs, completeness (reads headers only).',
  usage: 'hostmirror mirror inspect ARCHIVE... [--verify-blobs] [--json]',
  options: {
    'verify-blobs': {
      type: 'boolean',
      description: 'read every blob and check its sha256 (slower: reads the whole archive)',
    },
  },
  positionals: [1, Number.POSITIVE_INFINITY],
  async run(context) {
    const archive = await MirrorArchive.open(await archivePaths(context, context.positionals));
    const summary = archive.summary();
    const completeness = await archive.checkCompleteness();
    // The completeness rule build-iso and the boot follow: which repositories the cluster
    // needs comes from the mirror rules (any host will do: only the repositories count).
    const { needs, mirror } = await mirrorRulesFor(archive, 'localhost:5000', {
      neverContactSource: false,
    });
    const verdict = await judgeCompleteness(archive, needs);
    let verified: number | undefined;
    if (flag(context.values, 'verify-blobs')) {
      const blobs = archive.blobs();
      context.progress.start(
        'verifying blobs',
        blobs.reduce((sum, blob) => sum + blob.size, 0),
      );
      for (const blob of blobs) {
        await archive.verifyBlob(blob.digest);
        context.progress.advance(blob.size);
      }
      context.progress.done();
      verified = blobs.length;
    }
    if (flag(context.values, 'json'))
      context.printJson({
        ...summary,
        completeness,
        needed: { complete: verdict.complete, missing: verdict.missing, stale: verdict.stale },
        warnings: mirror.warnings,
        verifiedBlobs: verified ?? null,
      });
    else {
      for (const line of [...describeSummary(summary), ...describeCompleteness(completeness)])
        context.print(line);
      for (const stale of verdict.stale) context.print(`stale: ${describeStale(stale)}`);
      if (!verdict.complete)
        context.print(`refused by build-iso: ${describeMissing(verdict.missing)}`);
      if (verified !== undefined) context.print(`verified: ${verified} blobs match their digests`);
    }
    // Exit 1 only for what the cluster needs: a stale cache repository is named, not fatal.
    return verdict.complete ? 0 : 1;
  },
};

function parsePairs(specs: string[]): { source: string; mirror: string }[] {
  return specs.map((spec) => {
    const [source, mirror, extra] = spec.split('=');
    if (!source || !mirror || extra !== undefined)
      throw new UsageError(
        `--mirror ${spec}: expected SOURCE=MIRROR, e.g. quay.io/openshift-release-dev/ocp-release=mirror.local:5000/openshift/release-images.`,
      );
    return { source, mirror };
  });
}

/** `--validate`: every file checked strictly; exit 1 when any has an error. */
async function validateFiles(context: CommandContext): Promise<number> {
  if (context.positionals.length === 0)
    throw new UsageError('--validate needs the files to check.');
  const reports = [];
  for (const file of context.positionals)
    reports.push({ file, ...validateRegistriesConf(await readFile(file, 'utf8'), file) });
  if (flag(context.values, 'json')) {
    context.printJson({
      files: reports.map(({ file, valid, errors, warnings }) => ({
        file,
        valid,
        errors,
        warnings,
      })),
    });
  } else {
    for (const { file, valid, errors, warnings } of reports) {
      context.print(`${file}: ${valid ? 'valid' : 'INVALID'}`);
      for (const issue of errors)
        context.print(`  error ${issue.code} at ${issue.path}: ${issue.message}`);
      for (const issue of warnings)
        context.print(`  warning ${issue.code} at ${issue.path}: ${issue.message}`);
    }
  }
  return reports.every((report) => report.valid) ? 0 : 1;
}

const registriesConf: Command = {
  name: 'registries-conf',
  summary:
    "Write a registries.conf v2 drop-in from the archive's IDMS/ITMS (or SOURCE=MIRROR pairs).",
  usage:
    'hostmirror mirror registries-conf [ARCHIVE...] --host HOST:PORT [--ca CA.pem [--certs-dir DIR] | --insecure] ' +
    '[--tag-policy mirror-sets|all] [--never-contact-source] [--mirror SOURCE=MIRROR]... [-o FILE] [-f] [--json]\n' +
    '       hostmirror mirror registries-conf --validate FILE... [--json]   # strict check of existing files',
  options: {
    validate: {
      type: 'boolean',
      description: 'strictly check existing registries.conf files instead of writing one',
    },
    host: {
      type: 'string',
      description: "the hosts' registry the mirrors point at",
      value: 'HOST:PORT',
    },
    ca: { type: 'string', description: 'the CA of that registry (TLS)', value: 'CA.pem' },
    'certs-dir': {
      type: 'string',
      description: 'also write the CA as certs.d/HOST:PORT/ca.crt under this folder (needs --ca)',
      value: 'DIR',
    },
    insecure: {
      type: 'boolean',
      description: 'the registry is plain HTTP or unverified (excludes --ca)',
    },
    'tag-policy': {
      type: 'string',
      description: 'which pulls go to the mirror: digests from mirror sets only, or tags too',
      value: 'POLICY',
      default: 'mirror-sets',
      choices: ['mirror-sets', 'all'],
    },
    'never-contact-source': {
      type: 'boolean',
      description: 'never fall back to the source registry',
    },
    mirror: {
      type: 'string',
      multiple: true,
      description: "a mirror pair besides the archive's IDMS/ITMS",
      value: 'SOURCE=MIRROR',
    },
    ...outputOptions,
  },
  positionals: [0, Number.POSITIVE_INFINITY],
  async run(context) {
    const { values, positionals } = context;
    if (flag(values, 'validate')) return validateFiles(context);
    const host = requireString(values, 'host');
    const ca = optionalString(values, 'ca');
    const insecure = flag(values, 'insecure');
    if (ca !== undefined && insecure)
      throw new UsageError(
        '--ca and --insecure exclude each other: TLS with a CA, or plain/unverified.',
      );
    if (optionalString(values, 'certs-dir') !== undefined && ca === undefined)
      throw new UsageError('--certs-dir needs --ca.');
    const pairs = parsePairs(stringList(values, 'mirror'));
    if (positionals.length === 0 && pairs.length === 0)
      throw new UsageError(
        'Give an archive (its IDMS/ITMS name the mirrors) or --mirror SOURCE=MIRROR pairs.',
      );
    const tagPolicy = choice(values, 'tag-policy', ['mirror-sets', 'all'] as const, 'mirror-sets');
    const neverContactSource = flag(values, 'never-contact-source');
    const rules: MirrorRule[] = [];
    if (positionals.length > 0) {
      const archive = await MirrorArchive.open(await archivePaths(context, positionals));
      const mirrored = await mirrorRulesFor(archive, host, { neverContactSource, tagPolicy });
      rules.push(...mirrored.rules);
      for (const warning of mirrored.mirror.warnings)
        context.io.stderr.write(`warning: ${warning}\n`);
    }
    rules.push(
      ...mirrorRulesFromPairs(pairs, {
        pullFromMirror: tagPolicy === 'all' ? 'all' : 'digest-only',
        neverContactSource,
      }),
    );
    if (rules.length === 0)
      throw new MirrorFormatError(
        'BAD_MIRROR_RULE',
        `The archive ${positionals.join(' ')} has no ImageDigestMirrorSet/ImageTagMirrorSet in working-dir/cluster-resources and its records (the ImageSetConfiguration copy isc_*, working-dir/hold-release) name no repository's source; give --mirror SOURCE=MIRROR pairs.`,
        { path: positionals.join(' ') },
      );
    const text = renderRegistriesConf({
      rules,
      insecure,
      comment: `Mirror registry ${host}${positionals.length > 0 ? `, from ${positionals.join(' ')}` : ''}.`,
    });
    let caPath: string | undefined;
    const certsDir = optionalString(values, 'certs-dir');
    if (ca !== undefined && certsDir !== undefined)
      caPath = await writeCertsD(host, await readFile(ca, 'utf8'), certsDir, flag(values, 'force'));
    if (flag(values, 'json')) {
      if (optionalString(values, 'output') !== undefined) await emit(context, text);
      context.printJson({ rules, registriesConf: text, certsD: caPath ?? null });
    } else {
      await emit(context, text);
      if (caPath !== undefined) context.note(`CA for ${host}: ${caPath}`);
    }
    return 0;
  },
};

export const commands: Record<string, Command> = {
  'image-set-config': imageSetConfig,
  inspect,
  'registries-conf': registriesConf,
  check: checkCommand,
};
