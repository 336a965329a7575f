/**
 * The seam between build-iso and an agent ISO made by `openshift-install agent create image`:
 * what the agent's own Ignition config says (the release it installs) and what build-iso writes
 * into it so that one build makes a cluster that installs from the hosts' mirror:
 *
 * - the cluster manifests (post-reboot MachineConfigs, IDMS/ITMS, CatalogSources, release
 *   signature ConfigMaps) as files in `/etc/assisted/extra-manifests/`, the folder the
 *   installer fills from its `openshift/` manifests and assisted-service uploads to the cluster;
 * - what openshift-install writes when install-config sets `imageDigestSources` and
 *   `additionalTrustBundle`: the mirror entries in the main `/etc/containers/registries.conf`
 *   and the CA in `/etc/pki/ca-trust/source/anchors/domain.crt`, merged with what the ISO
 *   already has; and `/etc/containers` mounted into the assisted-service containers, which
 *   read that registries.conf to build the ICSP file for `oc adm release extract`.
 *
 * Upstream, as read (commits named so the reader can check the same text):
 * - openshift/installer pkg/asset/agent/image/ignition.go @00f6ab7e: `manifestPath =
 *   "/etc/assisted/manifests"` (ZTP manifests, one file each: `cluster-image-set.yaml`),
 *   `extraManifestPath = "/etc/assisted/extra-manifests"` (`addExtraManifests`: one YAML
 *   document per file, mode 0644), `registriesConfPath = "/etc/containers/registries.conf"`
 *   (0644) and `registryCABundlePath = "/etc/pki/ca-trust/source/anchors/domain.crt"` (0600)
 *   in `addMirrorData`; `defineCABundleMount` mounts domain.crt (mirrors and a bundle given)
 *   or the host's extracted bundle as the containers' `tls-ca-bundle.pem`.
 * - openshift/installer data/data/agent/files/etc/assisted/agent-installer.env.template
 *   @6a61b4e8: `RELEASE_IMAGE={{.ReleaseImage}}`.
 * - openshift/installer data/data/agent/systemd/units/{assisted-service,agent-register-cluster,
 *   agent-import-cluster}.service.template @006d4573/@1dd73819/@24a06e10: `podman run … {{ if
 *   .HaveMirrorConfig }}-v /etc/containers:/etc/containers{{ end }} {{.CaBundleMount}} …`.
 * - openshift/assisted-service cmd/agentbasedinstaller/register.go @002e3073
 *   `RegisterExtraManifests`: every `*.y*ml` in `/extra-manifests` (the host's
 *   `/etc/assisted/extra-manifests`, mounted by agent-register-cluster) is uploaded with
 *   `V2CreateClusterManifest` into the cluster's `openshift` manifests folder.
 * - openshift/appliance pkg/asset/ignition/bootstrap_ignition.go @8dc40fc5 does the same for its
 *   appliance: `extraManifestsPath = "/etc/assisted/extra-manifests"`, oc-mirror's
 *   cluster-resources (IDMS, CatalogSources) and its own MachineConfigs written there (0644),
 *   next to its own `/etc/containers/registries.conf`.
 * - openshift/assisted-service pkg/mirrorregistries/generator.go @478cd74e and
 *   internal/common `MirrorRegistriesConfigPath = "/etc/containers/registries.conf"`,
 *   `MirrorRegistriesCertificatePath = "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem"`:
 *   mirrors count as configured when both files exist and registries.conf has `[[registry]]`
 *   tables; every table must have a `location` and a `mirror` list. internal/oc/release.go
 *   @00c7cef6 turns them into the ICSP file given to `oc adm release info|extract --icsp-file`.
 */

import { loadRegistriesConf, type MirrorRule } from '@hostmirror/host-config';
import type { IgnitionConfig } from '@hostmirror/ignition';
import { ConfigBuilder, readDataResource } from '@hostmirror/ignition';
import {
  isAttachedArtifactTag,
  type MirrorArchive,
  parseImageReference,
  readYaml,
} from '@hostmirror/oc-mirror-archive';
import { parse as parseToml, stringify as stringifyToml } from 'smol-toml';
import { BuildIsoError } from './errors.ts';
import type { ManifestFile } from './manifests.ts';
import { chooseRelease, RELEASE_IMAGES_REPOSITORY, type ReleaseChoice } from './release.ts';

/** The agent ISO's ZTP manifest naming the release (hive ClusterImageSet `spec.releaseImage`). */
export const AGENT_CLUSTER_IMAGE_SET = '/etc/assisted/manifests/cluster-image-set.yaml';
/** The agent ISO's environment file with `RELEASE_IMAGE=`. */
export const AGENT_INSTALLER_ENV = '/etc/assisted/agent-installer.env';
/** Where the agent flow picks up extra cluster manifests. */
export const AGENT_EXTRA_MANIFESTS_DIR = '/etc/assisted/extra-manifests';
/** The main containers registries.conf, the file assisted-service reads. */
export const MAIN_REGISTRIES_CONF = '/etc/containers/registries.conf';
/** The registry CA bundle openshift-install writes from `additionalTrustBundle`. */
export const AGENT_CA_BUNDLE = '/etc/pki/ca-trust/source/anchors/domain.crt';
/** The units that run assisted-service's image with the mirror configuration mounted. */
export const AGENT_MIRROR_UNITS = [
  'assisted-service.service',
  'agent-register-cluster.service',
  'agent-import-cluster.service',
] as const;
/**
 * assisted-service's settings file; openshift-install renders `OPENSHIFT_INSTALL_RELEASE_IMAGE_MIRROR=
 * {{.ReleaseImageMirror}}` into it (data/data/agent/files/usr/local/share/assisted-service/
 * assisted-service.env.template @006d4573) and into `Environment=` of agent-register-cluster
 * and agent-import-cluster: the release by digest at the first mirror of its source
 * (pkg/asset/agent/mirror `GetMirrorFromRelease`). assisted-service then runs
 * `oc adm release info` on that pull spec (internal/oc/release.go `releaseImageMirror`).
 */
export const ASSISTED_SERVICE_ENV = '/usr/local/share/assisted-service/assisted-service.env';
export const RELEASE_MIRROR_VARIABLE = 'OPENSHIFT_INSTALL_RELEASE_IMAGE_MIRROR';
/** The mount openshift-install adds to those units when install-config has mirrors. */
export const CONTAINERS_MOUNT = '-v /etc/containers:/etc/containers';
/** Units and files only an agent ISO's Ignition has: how an agent ISO is recognised. */
const AGENT_MARKERS = {
  files: [AGENT_CLUSTER_IMAGE_SET, AGENT_INSTALLER_ENV, '/etc/assisted/rendezvous-host.env'],
  units: ['agent.service', 'assisted-service.service', 'node-zero.service'],
};
/** Modes as openshift-install writes them (ignition.go above). */
const EXTRA_MANIFEST_MODE = 0o644;
const REGISTRIES_CONF_MODE = 0o644;
const CA_BUNDLE_MODE = 0o600;

type TomlTable = Record<string, unknown>;

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** The bytes of a file the config writes (data URLs only; the agent ISO inlines everything). */
export function ignitionFile(config: IgnitionConfig, path: string): Buffer | undefined {
  const files = config.storage?.files ?? [];
  // Ignition refuses duplicate paths in one config; the last one is what a merge kept.
  const file = [...files].reverse().find((entry) => entry.path === path);
  if (file?.contents?.source === undefined || file.contents.source === null) return undefined;
  try {
    return readDataResource(file.contents);
  } catch (error) {
    throw new BuildIsoError(
      'AGENT_ISO_INVALID',
      `The ISO's Ignition config writes ${path} from a source build-iso cannot read (${(error as Error).message}); rebuild the agent ISO with openshift-install.`,
    );
  }
}

/** Whether an Ignition config is an agent ISO's (openshift-install agent create image). */
export function isAgentConfig(config: IgnitionConfig): boolean {
  const paths = new Set((config.storage?.files ?? []).map((file) => file.path));
  const units = new Set((config.systemd?.units ?? []).map((unit) => unit.name));
  return (
    AGENT_MARKERS.files.some((path) => paths.has(path)) ||
    AGENT_MARKERS.units.filter((name) => units.has(name)).length >= 2
  );
}

/** The release an agent ISO installs, with the places that name it. */
export interface AgentRelease {
  reference: string;
  places: string[];
}

function envValue(text: string, key: string): string | undefined {
  let value: string | undefined;
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match?.[1] === key) value = (match[2] ?? '').trim().replace(/^(["'])(.*)\1$/, '$2');
  }
  return value;
}

/**
 * The release the agent ISO installs: `releaseImage` of its ClusterImageSet (what
 * agent-register-cluster registers) and `RELEASE_IMAGE` of agent-installer.env. Both must
 * agree; undefined when neither is there (not an agent ISO).
 */
export function agentReleaseImage(config: IgnitionConfig, iso: string): AgentRelease | undefined {
  const found: { place: string; reference: string }[] = [];
  const imageSet = ignitionFile(config, AGENT_CLUSTER_IMAGE_SET);
  if (imageSet !== undefined) {
    let document: unknown;
    try {
      document = readYaml(imageSet.toString('utf8'), {
        path: `${iso}: ${AGENT_CLUSTER_IMAGE_SET}`,
        aliases: 'refuse',
      });
    } catch (error) {
      throw new BuildIsoError(
        'AGENT_ISO_INVALID',
        `${iso}: ${AGENT_CLUSTER_IMAGE_SET} is not YAML (${(error as Error).message.split('\n')[0]}); rebuild the agent ISO with openshift-install.`,
      );
    }
    const reference = record(record(document).spec).releaseImage;
    if (typeof reference !== 'string' || reference === '')
      throw new BuildIsoError(
        'AGENT_ISO_INVALID',
        `${iso}: ${AGENT_CLUSTER_IMAGE_SET} has no spec.releaseImage; rebuild the agent ISO with openshift-install.`,
      );
    found.push({ place: `${AGENT_CLUSTER_IMAGE_SET} spec.releaseImage`, reference });
  }
  const env = ignitionFile(config, AGENT_INSTALLER_ENV);
  const fromEnv = env === undefined ? undefined : envValue(env.toString('utf8'), 'RELEASE_IMAGE');
  if (fromEnv !== undefined && fromEnv !== '')
    found.push({ place: `${AGENT_INSTALLER_ENV} RELEASE_IMAGE`, reference: fromEnv });
  const [first] = found;
  if (first === undefined) return undefined;
  const other = found.find((entry) => entry.reference !== first.reference);
  if (other !== undefined)
    throw new BuildIsoError(
      'AGENT_ISO_INVALID',
      `${iso}: ${first.place} is ${first.reference} but ${other.place} is ${other.reference}; the agent ISO is inconsistent, rebuild it with openshift-install.`,
      { path: iso, subject: other.reference },
    );
  return { reference: first.reference, places: found.map((entry) => entry.place) };
}

/** The digest a pull spec names, or undefined for a tag reference. */
export function referenceDigest(reference: string): string | undefined {
  try {
    return parseImageReference(reference).digest;
  } catch {
    return undefined;
  }
}

/** The archive's releases as `tag (digest)`, for messages. */
function archiveReleases(archive: Pick<MirrorArchive, 'repositories' | 'tags'>): string {
  if (!archive.repositories().includes(RELEASE_IMAGES_REPOSITORY)) return 'no release';
  // Cosign signature tags (sha256-<hex>.sig) are not releases.
  const tags = archive
    .tags(RELEASE_IMAGES_REPOSITORY)
    .filter((tag) => !isAttachedArtifactTag(tag.tag));
  return tags.map((tag) => `${tag.tag} (${tag.digest})`).join(', ') || 'no release';
}

/**
 * The release of an agent ISO, resolved through the archive (a tag by the archive's release
 * tags, a digest as is), before anything is written. The agent installs exactly this digest,
 * so an archive without it, or a `--release-image` naming another one, is refused with both
 * digests named.
 */
export function chooseAgentRelease(
  archive: Pick<MirrorArchive, 'repositories' | 'tags' | 'manifests' | 'hasBlob'>,
  agent: AgentRelease,
  iso: string,
  requested: ReleaseChoice | undefined,
): ReleaseChoice {
  const where = `${iso} (${agent.places.join(', ')})`;
  let choice: ReleaseChoice;
  try {
    choice = { ...chooseRelease(archive, agent.reference, {}), origin: 'agent-iso' };
  } catch (error) {
    if (!(error instanceof BuildIsoError)) throw error;
    const digest = referenceDigest(agent.reference);
    throw new BuildIsoError(
      'AGENT_RELEASE_NOT_IN_ARCHIVE',
      `The agent ISO ${where} installs ${agent.reference}${digest === undefined ? ', a tag the archive does not have' : ` (digest ${digest})`}, but the archive serves ${archiveReleases(archive)}. Make the agent ISO with the openshift-install of the archived release (oc adm release extract --command=openshift-install <release>), or mirror ${agent.reference} with oc-mirror.`,
      { path: iso, subject: agent.reference, cause: error },
    );
  }
  if (requested !== undefined && requested.digest !== choice.digest)
    throw new BuildIsoError(
      'AGENT_RELEASE_NOT_IN_ARCHIVE',
      `The agent ISO ${where} installs ${choice.digest} but ${requested.origin === 'option' ? '--release-image' : 'OPENSHIFT_INSTALL_RELEASE_IMAGE_OVERRIDE'} names ${requested.given} (${requested.digest}); the agent ignores the latter. Drop it, or make the agent ISO for that release.`,
      { path: iso, subject: requested.given },
    );
  return choice;
}

/** A registries.conf table's prefix as c/image matches it: the prefix, else the location. */
function tablePrefix(table: TomlTable): string {
  const prefix = typeof table.prefix === 'string' ? table.prefix : '';
  const location = typeof table.location === 'string' ? table.location : '';
  return (prefix === '' ? location : prefix).replace(/\/+$/, '');
}

/**
 * The main registries.conf with the mirror entries openshift-install would have written for
 * these rules, merged into what the ISO already has: the ISO's own tables, keys and globals
 * stay; a table for a source we mirror keeps its keys and gets our mirrors first. Written
 * without `blocked`: openshift-install blocks only for `NeverContactSource`, and a host that
 * boots in normal mode (no volume) must still reach the source; in mirror mode our
 * registries.conf.d drop-in, which replaces same-prefix tables, blocks it.
 */
export function mergeMainRegistriesConf(
  existing: string | undefined,
  rules: readonly MirrorRule[],
  origin: string,
): string {
  let raw: TomlTable = {};
  if (existing !== undefined) {
    try {
      loadRegistriesConf(existing, { origin });
      raw = parseToml(existing) as TomlTable;
    } catch (error) {
      throw new BuildIsoError(
        'AGENT_ISO_INVALID',
        `${origin} is not a registries.conf containers/image accepts (${(error as Error).message}); fix it in the agent ISO (install-config imageDigestSources) and build again.`,
        { path: origin, cause: error },
      );
    }
  }
  const tables = Array.isArray(raw.registry) ? (raw.registry as TomlTable[]) : [];
  for (const rule of rules) {
    const ours = rule.mirrors.map((mirror) => ({
      location: mirror.location,
      'pull-from-mirror': mirror.pullFromMirror,
    }));
    const table = tables.find((entry) => tablePrefix(entry) === rule.source);
    if (table === undefined) {
      tables.push({ prefix: '', location: rule.source, mirror: ours });
      continue;
    }
    const theirs = (Array.isArray(table.mirror) ? (table.mirror as TomlTable[]) : []).map(
      (mirror) => ({ ...mirror }),
    );
    // `mirror-by-digest-only` (what openshift-install writes) cannot sit beside per-mirror
    // `pull-from-mirror` (a hard c/image error): say the same thing per mirror instead.
    if (table['mirror-by-digest-only'] === true)
      for (const mirror of theirs) mirror['pull-from-mirror'] ??= 'digest-only';
    delete table['mirror-by-digest-only'];
    const locations = new Set(ours.map((mirror) => mirror.location));
    table.mirror = [...ours, ...theirs.filter((mirror) => !locations.has(String(mirror.location)))];
  }
  const merged: TomlTable = { ...raw, registry: tables };
  // openshift-install's registries.conf has no search registries (registriesconf.go).
  if (existing === undefined) merged['unqualified-search-registries'] = [];
  const header = [
    '# containers-registries.conf(5) version 2, as openshift-install writes it for',
    '# imageDigestSources, with the mirrors of this cluster first (hostmirror build-iso).',
    existing === undefined ? '' : "# Every other table and setting is the agent ISO's own.",
  ].filter((line) => line !== '');
  const text = `${header.join('\n')}\n${stringifyToml(merged)}\n`;
  loadRegistriesConf(text, { origin: `${origin} (merged)` });
  return text;
}

/** The CA bundle with our CA appended (kept once), never replacing what is there. */
export function mergeCaBundle(existing: Buffer | undefined, caPem: string): string {
  const before = existing?.toString('utf8') ?? '';
  const ca = caPem.endsWith('\n') ? caPem : `${caPem}\n`;
  if (before.includes(ca.trim())) return before;
  if (before === '') return ca;
  return `${before}${before.endsWith('\n') ? '' : '\n'}${ca}`;
}

/** The containers' CA bundle, as openshift-install mounts it (`defineCABundleMount`). */
const CONTAINER_CA_BUNDLE = '/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem';
/** The mount without mirrors: the host's whole extracted bundle. */
const HOST_BUNDLE_MOUNT = `-v ${CONTAINER_CA_BUNDLE}:${CONTAINER_CA_BUNDLE}:z`;
/** The mount with mirrors and a bundle: domain.crt only. */
export const AGENT_CA_BUNDLE_MOUNT = `-v ${AGENT_CA_BUNDLE}:${CONTAINER_CA_BUNDLE}:z`;

/**
 * A unit's text with the mounts openshift-install renders when install-config has mirrors and
 * a trust bundle: `-v /etc/containers:/etc/containers` on its `podman run` ExecStart, and
 * domain.crt (which holds the registry CA) instead of the host's extracted bundle as the
 * container's tls-ca-bundle.pem. assisted-service puts that bundle into the cluster's
 * install-config `additionalTrustBundle` (internal/installcfg `getCAContents`), so the
 * cluster gets the user's CAs and ours, not every public root.
 */
export function withContainersMount(contents: string): string {
  let text = contents.replaceAll(HOST_BUNDLE_MOUNT, AGENT_CA_BUNDLE_MOUNT);
  if (!text.includes(CONTAINERS_MOUNT))
    text = text.replace(
      /^(ExecStart=\s*\S*podman run)(?=\s)/m,
      (start) => `${start} ${CONTAINERS_MOUNT}`,
    );
  return text;
}

/**
 * The source repositories an agent ISO pulls by tag: its release, when its Ignition names it by
 * tag (release-image-download.sh pulls `$RELEASE_IMAGE` as given), so the release mirror must
 * serve tags. The one decision for build-iso and `boot-sequence --iso`.
 */
export function agentTagRepositories(release: AgentRelease | undefined): string[] {
  return release !== undefined && referenceDigest(release.reference) === undefined
    ? [parseImageReference(release.reference).name]
    : [];
}

/**
 * The release by digest at the first mirror of the longest source that covers it, as
 * openshift-install's `GetMirrorFromRelease` picks `mirrors[0]`; undefined when none does.
 */
export function releaseMirrorOf(
  reference: string,
  digest: string,
  rules: readonly MirrorRule[],
): string | undefined {
  const name = parseImageReference(reference).name;
  const rule = rules
    .filter((entry) => name === entry.source || name.startsWith(`${entry.source}/`))
    .sort((a, b) => b.source.length - a.source.length)[0];
  const first = rule?.mirrors.find((mirror) => mirror.pullFromMirror !== 'tag-only');
  if (rule === undefined || first === undefined) return undefined;
  return `${first.location}${name.slice(rule.source.length)}@${digest}`;
}

/** `text` with `KEY=value` (or `Environment=KEY=value` in a unit) set to `value`. */
export function withEnvValue(text: string, key: string, value: string, unit: boolean): string {
  const prefix = unit ? `Environment=${key}=` : `${key}=`;
  const line = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*$`, 'm');
  if (line.test(text)) return text.replace(line, `${prefix}${value}`);
  if (unit) return text;
  return `${text}${text === '' || text.endsWith('\n') ? '' : '\n'}${prefix}${value}\n`;
}

/** The object a manifest file defines, as `Kind/name`. */
function objectKey(text: string): string | undefined {
  try {
    const document = record(readYaml(text, { path: 'manifest', aliases: 'refuse' }));
    const name = record(document.metadata).name;
    return typeof document.kind === 'string' && typeof name === 'string'
      ? `${document.kind}/${name}`
      : undefined;
  } catch {
    return undefined;
  }
}

export interface AgentMirrorInput {
  rules: readonly MirrorRule[];
  caCertificate: string;
  manifests: readonly ManifestFile[];
  /** The ISO, for messages. */
  iso: string;
  /** Ignition spec of the fragment. */
  spec: string;
  /** The release at its first mirror, by digest (what openshift-install sets as the release mirror). */
  releaseMirror?: string;
}

export interface AgentMirrorResult {
  /** The agent config without stale copies of our manifests. */
  base: IgnitionConfig;
  /** Merged on top of `base`: registries.conf, CA bundle, units, extra manifests. */
  fragment: IgnitionConfig;
  /** What was changed, for the report. */
  changes: string[];
  warnings: string[];
}

/** Everything build-iso writes into an agent ISO's Ignition config (see the file comment). */
export function agentMirrorFragment(
  base: IgnitionConfig,
  input: AgentMirrorInput,
): AgentMirrorResult {
  const changes: string[] = [];
  const warnings: string[] = [];
  const ours = new Map<string, string>();
  for (const manifest of input.manifests) {
    const key = objectKey(manifest.text);
    if (key !== undefined) ours.set(key, manifest.name);
  }
  // A copy of our manifests that went through openshift-install's openshift/ folder (an earlier
  // build) would define the same objects twice, possibly with another CA: this build's win.
  const files = (base.storage?.files ?? []).filter((file) => {
    if (!file.path.startsWith(`${AGENT_EXTRA_MANIFESTS_DIR}/`)) return true;
    const bytes = ignitionFile(base, file.path);
    const key = bytes === undefined ? undefined : objectKey(bytes.toString('utf8'));
    if (key === undefined || !ours.has(key)) return true;
    warnings.push(
      `The agent ISO already carried ${key} as ${file.path} (from openshift-install's openshift/ folder); replaced by this build's ${ours.get(key)}, so the cluster gets one copy with this build's CA. Leave hostmirror's manifests out of openshift/ when build-iso writes into the agent ISO.`,
    );
    return false;
  });
  const cleaned: IgnitionConfig =
    base.storage === undefined ? base : { ...base, storage: { ...base.storage, files } };

  const builder = new ConfigBuilder({ version: input.spec, compress: 'auto' });
  for (const manifest of input.manifests)
    builder.addFile(`${AGENT_EXTRA_MANIFESTS_DIR}/${manifest.name}`, manifest.text, {
      mode: EXTRA_MANIFEST_MODE,
      overwrite: true,
    });
  changes.push(`${input.manifests.length} manifests in ${AGENT_EXTRA_MANIFESTS_DIR}/`);

  const existingConf = ignitionFile(cleaned, MAIN_REGISTRIES_CONF);
  builder.addFile(
    MAIN_REGISTRIES_CONF,
    mergeMainRegistriesConf(
      existingConf?.toString('utf8'),
      input.rules,
      `${input.iso}: ${MAIN_REGISTRIES_CONF}`,
    ),
    { mode: REGISTRIES_CONF_MODE, overwrite: true },
  );
  changes.push(
    `${MAIN_REGISTRIES_CONF}: ${input.rules.length} mirror entries ${existingConf === undefined ? 'written' : 'merged into the ISO’s'}`,
  );

  const existingCa = ignitionFile(cleaned, AGENT_CA_BUNDLE);
  builder.addFile(AGENT_CA_BUNDLE, mergeCaBundle(existingCa, input.caCertificate), {
    mode: CA_BUNDLE_MODE,
    overwrite: true,
  });
  changes.push(
    `${AGENT_CA_BUNDLE}: the registry CA ${existingCa === undefined ? 'written' : 'appended to the ISO’s bundle'}`,
  );

  const releaseMirror = input.releaseMirror;
  const serviceEnv = ignitionFile(cleaned, ASSISTED_SERVICE_ENV);
  if (releaseMirror !== undefined && serviceEnv !== undefined) {
    const file = (cleaned.storage?.files ?? []).find(
      (entry) => entry.path === ASSISTED_SERVICE_ENV,
    );
    builder.addFile(
      ASSISTED_SERVICE_ENV,
      withEnvValue(serviceEnv.toString('utf8'), RELEASE_MIRROR_VARIABLE, releaseMirror, false),
      { mode: file?.mode ?? 0o644, overwrite: true },
    );
    changes.push(`${ASSISTED_SERVICE_ENV}: ${RELEASE_MIRROR_VARIABLE}=${releaseMirror}`);
  }
  for (const name of AGENT_MIRROR_UNITS) {
    const unit = (cleaned.systemd?.units ?? []).find((entry) => entry.name === name);
    const contents = unit?.contents ?? undefined;
    if (contents === undefined || contents === null) continue;
    if (!/^ExecStart=\s*\S*podman run\s/m.test(contents) && !contents.includes(CONTAINERS_MOUNT))
      warnings.push(
        `${name} in the agent ISO has no 'ExecStart=… podman run' line to mount /etc/containers into; assisted-service may not see the mirror's registries.conf.`,
      );
    let edited = withContainersMount(contents);
    if (releaseMirror !== undefined)
      edited = withEnvValue(edited, RELEASE_MIRROR_VARIABLE, releaseMirror, true);
    if (edited === contents) continue;
    builder.addUnit(name, { contents: edited });
    changes.push(
      `${name}: ${CONTAINERS_MOUNT}, domain.crt as the containers' CA bundle and the release mirror (as with imageDigestSources and additionalTrustBundle)`,
    );
  }
  return { base: cleaned, fragment: builder.build(), changes, warnings };
}
