/**
 * install-config.yaml and the hosts' mirror: `imageDigestSources` and `additionalTrustBundle`
 * as openshift-install reads them (types/installconfig: `imageDigestSources[].source`,
 * `.mirrors[]`, optional `.sourcePolicy`; the deprecated `imageContentSources` cannot be set
 * beside it). Two uses:
 *
 * - `checkDigestSources`: build-iso refuses an install-config whose entries would send the
 *   installer to repositories the archive does not hold, or leave a source the archive mirrors
 *   without the hosts' mirror;
 * - `installConfigWithMirror`: `hostmirror install-config` writes/merges the entries and the CA
 *   for users who run `openshift-install agent create image` after, keeping the file's comments
 *   and key order (the `yaml` library's Document API edits the parsed tree in place).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { writeFileAtomic } from '@hostmirror/atomic-file';
import {
  BOOT_MIRROR_POLICY,
  DEFAULT_REGISTRY_NAME,
  DEFAULT_REGISTRY_PORT,
  registryEndpoint,
} from '@hostmirror/boot-sequence';
import {
  type ArchiveMirrorRules,
  type MirrorRule,
  mirrorRulesFor,
  relocateMirror,
} from '@hostmirror/host-config';
import { MirrorArchive, parseYamlDocuments } from '@hostmirror/oc-mirror-archive';
import { type Document, isMap, isSeq, parseDocument, Scalar, type YAMLMap, YAMLSeq } from 'yaml';
import { asConfigParseError, type DigestMirrorSource } from './cluster-config.ts';
import { BuildIsoError } from './errors.ts';
import { resolveArchives, sha256Bytes } from './inputs.ts';

/** The registry the hosts serve by default (build-iso's default mode and settings). */
export const DEFAULT_MIRROR_HOST = registryEndpoint({
  registryName: DEFAULT_REGISTRY_NAME,
  registryPort: DEFAULT_REGISTRY_PORT,
});

/**
 * The mirror rules of the hosts' registry: host-config's `mirrorRulesFor` with the boot's
 * policy (every source blocked: the hosts never contact it in mirror mode) — the archive's
 * IDMS/ITMS, or those made from its records. build-iso and `hostmirror install-config` both
 * take their rules from here.
 */
export async function hostMirrorRules(
  archive: MirrorArchive,
  host: string,
  options: { tagRepositories?: readonly string[] } = {},
): Promise<ArchiveMirrorRules> {
  // A repository pulled by tag needs its mirror for tags too (host-config's mirrorRulesFor).
  const mirrored = await mirrorRulesFor(archive, host, {
    ...BOOT_MIRROR_POLICY,
    ...(options.tagRepositories === undefined ? {} : { tagRepositories: options.tagRepositories }),
  });
  return mirrored;
}

/** What `hostmirror install-config` puts in `imageDigestSources`: the rules' digest mirrors. */
export function digestSourcesFor(rules: readonly MirrorRule[]): DigestMirrorSource[] {
  return rules
    .map((rule) => ({
      source: rule.source,
      mirrors: rule.mirrors
        .filter((mirror) => mirror.pullFromMirror !== 'tag-only')
        .map((mirror) => mirror.location),
    }))
    .filter((entry) => entry.mirrors.length > 0);
}

/** Whether `mirror` is `host` itself or `host/<repository or namespace the archive holds>`. */
function servedByArchive(mirror: string, host: string, repositories: readonly string[]): boolean {
  if (mirror === host) return repositories.length > 0;
  if (!mirror.startsWith(`${host}/`)) return false;
  return relocateMirror(mirror, host, repositories) === mirror;
}

/**
 * Refuse install-config mirror entries the hosts' mirror cannot serve: a mirror under the
 * hosts' registry naming a repository the archive lacks, or a source the archive mirrors
 * whose entry lists no mirror of the hosts' registry. Entries for other sources and other
 * registries are the user's own and pass. Returns warnings (no entries at all).
 */
export function checkDigestSources(
  sources: readonly DigestMirrorSource[],
  options: {
    host: string;
    repositories: readonly string[];
    rules: readonly MirrorRule[];
    file: string;
    archive: string;
  },
): string[] {
  const { host, repositories, rules, file } = options;
  const fix = `write them with \`hostmirror install-config ${options.archive} --host ${host} -i ${file} -o ${file}.new\` (or list the mirrors of the manifests folder's IDMS)`;
  const fixSentence = `${fix.charAt(0).toUpperCase()}${fix.slice(1)}.`;
  if (sources.length === 0)
    return [
      `${file} has no imageDigestSources: an agent ISO made from it does not send the installer to the mirror by itself; build-iso writes the mirror into the agent ISO's Ignition, and for an ISO made later ${fix}.`,
    ];
  for (const [index, entry] of sources.entries())
    for (const [at, mirror] of entry.mirrors.entries())
      if (
        (mirror === host || mirror.startsWith(`${host}/`)) &&
        !servedByArchive(mirror, host, repositories)
      )
        throw new BuildIsoError(
          'INSTALL_CONFIG_MIRROR_INVALID',
          `${file}: imageDigestSources[${index}].mirrors[${at}] ${mirror} (for ${entry.source}) is not a repository the archive holds (it holds ${repositories.join(', ') || 'nothing'}); ${fix}.`,
          {
            path: file,
            jsonPath: `$.imageDigestSources.${index}.mirrors.${at}`,
            subject: mirror,
            fix: fixSentence,
          },
        );
  for (const rule of rules) {
    const index = sources.findIndex((entry) => entry.source === rule.source);
    if (index === -1) continue;
    const entry = sources[index] as DigestMirrorSource;
    if (!entry.mirrors.some((mirror) => mirror === host || mirror.startsWith(`${host}/`)))
      throw new BuildIsoError(
        'INSTALL_CONFIG_MIRROR_INVALID',
        `${file}: imageDigestSources[${index}] sends ${entry.source} to ${entry.mirrors.join(', ') || 'no mirror'}, not to the hosts' mirror ${rule.mirrors.map((mirror) => mirror.location).join(', ')}; ${fix}.`,
        {
          path: file,
          jsonPath: `$.imageDigestSources.${index}`,
          subject: entry.source,
          fix: fixSentence,
        },
      );
  }
  return [];
}

export interface InstallConfigEdit {
  text: string;
  changes: string[];
}

function stringItems(node: unknown): string[] {
  return isSeq(node)
    ? node.items.map((item) => (item instanceof Scalar ? String(item.value) : String(item)))
    : [];
}

/**
 * install-config.yaml text with `imageDigestSources` holding the hosts' mirror for every
 * source the rules name (ours first, the file's own mirrors kept after them, other entries
 * untouched) and the CA appended to `additionalTrustBundle` (kept once, never replacing the
 * bundle there). A deprecated `imageContentSources` list is moved into `imageDigestSources`,
 * since openshift-install refuses both. Comments and key order survive.
 */
export function installConfigWithMirror(
  text: string,
  file: string,
  input: { rules: readonly MirrorRule[]; caPem?: string },
): InstallConfigEdit {
  let document: Document;
  try {
    // Syntax errors and aliases refused with the line (@hostmirror/yaml-input).
    const [first] = parseYamlDocuments(text, { path: file, aliases: 'refuse' });
    document = first ?? parseDocument('');
  } catch (error) {
    throw asConfigParseError(error);
  }
  if (!isMap(document.contents))
    throw new BuildIsoError(
      'CONFIG_INVALID',
      `${file} is not a YAML mapping; give an install-config.yaml.`,
    );
  const changes: string[] = [];
  const root = document.contents as unknown as YAMLMap<unknown, unknown>;
  let list: unknown = root.get('imageDigestSources', true);
  const legacy: unknown = root.get('imageContentSources', true);
  if (isSeq(legacy) && legacy.items.length > 0) {
    if (isSeq(list) && list.items.length > 0)
      throw new BuildIsoError(
        'CONFIG_INVALID',
        `${file}: both imageDigestSources and imageContentSources are set; openshift-install refuses that, keep only imageDigestSources.`,
      );
    list = legacy;
    root.delete('imageContentSources');
    root.set('imageDigestSources', legacy);
    changes.push('imageContentSources (deprecated) moved to imageDigestSources');
  }
  if (!isSeq(list)) {
    list = new YAMLSeq();
    root.set('imageDigestSources', list);
  }
  const sequence = list as YAMLSeq;
  for (const wanted of digestSourcesFor(input.rules)) {
    const entry = sequence.items.find(
      (item) => isMap(item) && String(item.get('source')) === wanted.source,
    ) as YAMLMap | undefined;
    if (entry === undefined) {
      sequence.add(document.createNode({ source: wanted.source, mirrors: wanted.mirrors }));
      changes.push(`imageDigestSources: ${wanted.source} → ${wanted.mirrors.join(', ')} added`);
      continue;
    }
    const theirs = stringItems(entry.get('mirrors', true));
    const mirrors = [
      ...wanted.mirrors,
      ...theirs.filter((mirror) => !wanted.mirrors.includes(mirror)),
    ];
    if (mirrors.join('\n') === theirs.join('\n')) continue;
    entry.set('mirrors', document.createNode(mirrors));
    changes.push(`imageDigestSources: ${wanted.source} mirrors now ${mirrors.join(', ')}`);
  }
  if (input.caPem !== undefined) {
    // LF line ends, as install-configs are written (node-forge's PEM has CRLF).
    const ca = input.caPem.replace(/\r\n/g, '\n').trim();
    const current = root.get('additionalTrustBundle');
    const bundle = typeof current === 'string' ? current : '';
    if (!bundle.includes(ca)) {
      const merged = bundle.trim() === '' ? `${ca}\n` : `${bundle.replace(/\n*$/, '\n')}${ca}\n`;
      const node = new Scalar(merged);
      node.type = Scalar.BLOCK_LITERAL;
      root.set('additionalTrustBundle', node);
      changes.push(
        bundle === ''
          ? 'additionalTrustBundle: the registry CA'
          : 'additionalTrustBundle: the registry CA appended',
      );
    }
  }
  return { text: document.toString({ lineWidth: 0 }), changes };
}

export interface WriteInstallConfigOptions {
  /** oc-mirror v2 archive chunks, or folders holding them. */
  archives: string[];
  /** The install-config.yaml to read (never written). */
  input: string;
  output: string;
  /** The hosts' registry `host:port` (default build-iso's: registry.hostmirror.internal:5000). */
  host?: string;
  /** A PEM file with the registry's CA (build-iso --tls-dir writes it) for additionalTrustBundle. */
  ca?: string;
  overwrite?: boolean;
}

export interface WrittenInstallConfig {
  output: { path: string; size: number; sha256: string };
  host: string;
  changes: string[];
}

/**
 * `hostmirror install-config`: the input install-config.yaml with the hosts' mirror in
 * `imageDigestSources` (and the CA in `additionalTrustBundle` when given), written whole to
 * `output`; the input is only read.
 */
export async function writeInstallConfig(
  options: WriteInstallConfigOptions,
): Promise<WrittenInstallConfig> {
  if (resolve(options.input) === resolve(options.output))
    throw new BuildIsoError(
      'OUTPUT_INVALID',
      `The output ${options.output} is the input install-config; write to another file (openshift-install consumes install-config.yaml, so keep the original).`,
    );
  const host = options.host ?? DEFAULT_MIRROR_HOST;
  const archive = await MirrorArchive.open(await resolveArchives(options.archives));
  const { rules } = await hostMirrorRules(archive, host);
  let text: string;
  try {
    text = await readFile(options.input, 'utf8');
  } catch (error) {
    throw new BuildIsoError(
      'INPUT_MISSING',
      `Cannot read the install-config ${options.input} (${(error as NodeJS.ErrnoException).code}); check the path.`,
    );
  }
  let caPem: string | undefined;
  if (options.ca !== undefined) {
    const caPath = options.ca;
    caPem = await readFile(caPath, 'utf8').catch((error: NodeJS.ErrnoException) => {
      throw new BuildIsoError(
        'INPUT_MISSING',
        `Cannot read the CA ${caPath} (${error.code}); give the PEM file with the registry's CA.`,
      );
    });
    if (!/-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----/.test(caPem))
      throw new BuildIsoError(
        'CONFIG_INVALID',
        `${options.ca} holds no PEM certificate; give the registry's CA (ca.crt of build-iso --tls-dir).`,
      );
  }
  const edit = installConfigWithMirror(text, options.input, {
    rules,
    ...(caPem === undefined ? {} : { caPem }),
  });
  await writeFileAtomic(options.output, edit.text, { overwrite: options.overwrite ?? false });
  return {
    output: {
      path: options.output,
      size: Buffer.byteLength(edit.text),
      sha256: sha256Bytes(edit.text),
    },
    host,
    changes: edit.changes,
  };
}
