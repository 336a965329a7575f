import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { registryTreeBytes } from '@hostmirror/budget';
import {
  createMirrorTls,
  type MirrorPolicy,
  type MirrorRule,
  mirrorRulesFor,
  relocateMirror,
  renderRegistriesConf,
  renderRegistryConfig,
  requireMirrorOnlyCa,
} from '@hostmirror/host-config';
import {
  type ClusterResources,
  describeMissing,
  describeStale,
  judgeCompleteness,
  MirrorArchive,
  RELEASE_IMAGES_REPOSITORY,
  resolveArchiveRelease,
} from '@hostmirror/oc-mirror-archive';
import { TLS_CERTIFICATE_FILE, TLS_KEY_FILE, VOLUME_MOUNT } from './constants.ts';
import {
  mirrorEndpoints,
  mirrorTlsHosts,
  registryEndpoint,
  registryListensOnEveryAddress,
} from './endpoints.ts';
import { BootSequenceError } from './errors.ts';
import { inventoryEntries, renderInventory, requireNoReservedRepository } from './inventory.ts';
import { type ClusterManifestReport, renderClusterManifests } from './manifests.ts';
import { planBootSequence } from './plan.ts';
import type {
  ArchiveDigest,
  BootAssets,
  BootPlan,
  BootSettings,
  BootSettingsInput,
  PreloadImage,
} from './types.ts';

/** oc-mirror puts the release images here (docs/mirror.md#naming). */
export const RELEASE_REPOSITORY = RELEASE_IMAGES_REPOSITORY;
/**
 * The hosts are offline: they never contact the sources (`blocked = true`), so a pull the
 * mirror cannot serve fails at once, naming the source. build-iso and the boot sequence use
 * this one policy.
 */
export const BOOT_MIRROR_POLICY: MirrorPolicy = { neverContactSource: true };
/** Where the unpack step puts the storage tree: `<volume>/hostmirror/registry`. */
export const REGISTRY_ROOT = `${VOLUME_MOUNT}/hostmirror/registry`;

/**
 * The archives' file names on the volume, in unpack order. One oc-mirror run's chunks keep
 * their names (`mirror_000001.tar`, …). A set of runs — a base and its differential runs,
 * each of which starts again at `mirror_000001.tar` (openshift/oc-mirror
 * `internal/pkg/archive/const.go` archiveFileNameFormat, commit
 * 855b64a3c9c03634bcab6210b641274772050cda) — gets the run's number in front, `01-…`, `02-…`,
 * in the order the folders were given, so the names stay unique in the volume's top folder and
 * sort in unpack order.
 */
export function volumeArchiveNames(paths: readonly string[]): string[] {
  const names = paths.map((path) => basename(path));
  if (new Set(names).size === names.length) return names;
  const folders = [...new Set(paths.map((path) => dirname(resolve(path))))];
  return paths.map(
    (path) =>
      `${String(folders.indexOf(dirname(resolve(path))) + 1).padStart(2, '0')}-${basename(path)}`,
  );
}

/** The sha256 of each archive, read as a stream (an 18 GB archive needs no more memory than a small one). */
export async function hashArchives(paths: readonly string[]): Promise<ArchiveDigest[]> {
  const digests: ArchiveDigest[] = [];
  const names = volumeArchiveNames(paths);
  for (const [index, path] of paths.entries()) {
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
    digests.push({ name: names[index] as string, sha256: hash.digest('hex') });
  }
  return digests;
}

/**
 * distribution's config.yml for our registry: read-only over the tree on the volume, TLS.
 * The serve step sets the same values through REGISTRY_* variables, so the file stays right
 * wherever the volume is mounted.
 */
export function bootRegistryConfig(settings: BootSettings): string {
  // Where other hosts pull from it, every address, IPv4 and IPv6 (Go's wildcard is an empty
  // host); the live ISO of modes every-node and preload, loopback. The serve step sets the
  // address of each phase (HOSTMIRROR_REGISTRY_LISTEN) over this file's.
  const address = registryListensOnEveryAddress(settings, 'live') ? '' : '127.0.0.1';
  return renderRegistryConfig({
    rootDirectory: REGISTRY_ROOT,
    listenAddress: `${address}:${settings.registryPort}`,
    tls: { certificate: TLS_CERTIFICATE_FILE, key: TLS_KEY_FILE },
    readOnly: true,
  });
}

/** The registries.conf drop-in from the archive's mirror rules (`mirrorRulesFor`), pointed at `<name>:<port>`. */
export function bootRegistriesConf(settings: BootSettings, rules: readonly MirrorRule[]): string {
  const host = registryEndpoint(settings);
  return renderRegistriesConf({
    rules: [...rules],
    comment: `hostmirror: the sources of the archive's IDMS/ITMS, served by ${host}`,
  });
}

/**
 * Mode `preload`: every manifest of every mirrored repository, named by its source (as pods
 * pull it), with the tags that point at it. Sources come from the archive's IDMS/ITMS.
 */
export function preloadImagesFromArchive(
  archive: Pick<MirrorArchive, 'repositories' | 'manifests' | 'tags'>,
  resources: ClusterResources,
): PreloadImage[] {
  const repositories = new Set(archive.repositories());
  const images = new Map<string, PreloadImage>();
  for (const entry of [...resources.imageDigestMirrors, ...resources.imageTagMirrors]) {
    for (const mirror of entry.mirrors) {
      // The host is only a placeholder here: what counts is the repository it finds.
      const repository = relocateMirror(mirror, 'mirror', [...repositories])?.slice(
        'mirror/'.length,
      );
      if (repository === undefined || !repositories.has(repository)) continue;
      const tagsByDigest = new Map(archive.tags(repository).map((tag) => [tag.digest, tag.tag]));
      for (const digest of archive.manifests(repository)) {
        const tag = tagsByDigest.get(digest);
        images.set(`${entry.source}@${digest}`, {
          repository: entry.source,
          digest,
          ...(tag === undefined ? {} : { tag }),
        });
      }
    }
  }
  return [...images.values()].sort((a, b) =>
    `${a.repository}@${a.digest}` < `${b.repository}@${b.digest}` ? -1 : 1,
  );
}

/** What goes into a build's boot assets once the archive is judged (assembleBootAssets). */
export interface BootAssetParts {
  /** The volume's sha256 manifest entries, in unpack order (names from volumeArchiveNames). */
  archives: readonly ArchiveDigest[];
  /** The mirror rules (host-config mirrorRulesFor with BOOT_MIRROR_POLICY). */
  rules: readonly MirrorRule[];
  /** A registries.conf drop-in to use instead of the one rendered from `rules`. */
  registriesConf?: string;
  tls: { caCertificate: string; certificate: string; key: string };
  archive: Pick<MirrorArchive, 'repositories' | 'manifests' | 'tags' | 'blobs' | 'chunks'>;
  resources: ClusterResources;
  /** Stale repositories (the completeness rule) the unpack step leaves out. */
  skipRepositories: readonly string[];
  /**
   * sha256 hex of the registry program the ISO carries: the control-plane copy names it
   * (`settings.controlPlaneCopy`); without it the assets carry no copy and bootFileSet refuses
   * a plan that asks for one.
   */
  registryProgramSha256?: string;
}

/**
 * The one boot-asset assembly, used by `prepareBootSequence` (so `boot-sequence --format
 * ignition`) and by build-iso: the same inputs give the same assets, so the same live Ignition.
 */
export function assembleBootAssets(settings: BootSettings, parts: BootAssetParts): BootAssets {
  return {
    archives: parts.archives,
    registriesConf: parts.registriesConf ?? bootRegistriesConf(settings, parts.rules),
    registryConfig: bootRegistryConfig(settings),
    caCertificate: parts.tls.caCertificate,
    tls: { certificate: parts.tls.certificate, key: parts.tls.key },
    ...(settings.mode === 'preload'
      ? { preload: preloadImagesFromArchive(parts.archive, parts.resources) }
      : {}),
    ...(parts.skipRepositories.length === 0
      ? {}
      : { skipRepositories: [...parts.skipRepositories] }),
    ...(settings.controlPlaneCopy && parts.registryProgramSha256 !== undefined
      ? {
          sync: {
            inventory: renderInventory(inventoryEntries(parts.archive, parts.skipRepositories)),
            registryProgramSha256: parts.registryProgramSha256,
            treeBytes: registryTreeBytes(parts.archive),
          },
        }
      : {}),
  };
}

/** What `prepareBootSequence` reads besides the settings. */
export interface BootSourceFiles {
  /** The oc-mirror v2 archive chunks (`mirror_00000N.tar`), as they will sit on the volume. */
  archives: readonly string[];
  /** A CA and server pair made earlier; a new CA is made when absent. */
  tls?: { caCertificate: string; certificate: string; key: string };
  /** A registries.conf drop-in to use instead of the one made from the archive's IDMS/ITMS. */
  registriesConf?: string;
  /** Source repositories pulled by tag too (host-config MirrorPolicy.tagRepositories). */
  tagRepositories?: readonly string[];
  /**
   * The release the hosts install, decided from the indexed archive before anything is hashed
   * (build-iso's `chooseAgentRelease` for an agent ISO: its release must be in the archive);
   * without it, `input.release` or else the archive's one release.
   */
  chooseRelease?: (archive: MirrorArchive) => { repository: string; digest: string };
  /**
   * sha256 hex of the registry program the hosts run (build-iso's --registry-binary): needed for
   * the control-plane copy of mode node0; without it the copy is turned off, with a warning.
   */
  registryProgramSha256?: string;
}

/** The mirror the boot assets serve, as build-iso's composition of the live config needs it. */
export interface BootMirror {
  archive: MirrorArchive;
  rules: MirrorRule[];
  resources: ClusterResources;
  /** The release: its source pull spec by digest (when the records name the source), and digest. */
  release: { reference: string | undefined; digest: string };
}

/**
 * Everything the sequence needs from the archives: their sha256 manifest, the release image
 * (the one manifest of openshift/release-images) unless the settings name one, the
 * registries.conf drop-in from the archive's IDMS/ITMS, the preload list (mode preload), the
 * registry config, a TLS pair for `<registryName>` (and the rendezvous IP), and the cluster
 * manifests (IDMS/ITMS/CatalogSources moved to our registry, signature ConfigMaps).
 */
export async function prepareBootSequence(
  input: BootSettingsInput,
  sources: BootSourceFiles,
): Promise<{
  plan: BootPlan;
  assets: BootAssets;
  manifests: ClusterManifestReport;
  /** What the assets were made from: the archive, its rules and resources, the release. */
  mirror: BootMirror;
  warnings: string[];
}> {
  // In the order given: a base run and its differential runs unpack in that order.
  const paths = [...sources.archives];
  const archive = await MirrorArchive.open(paths);
  const { settings: named } = planBootSequence(input);
  const mirrored = await mirrorRulesFor(archive, registryEndpoint(named), {
    ...BOOT_MIRROR_POLICY,
    ...(sources.tagRepositories === undefined ? {} : { tagRepositories: sources.tagRepositories }),
  });
  const resources = mirrored.mirror.resources;
  // The completeness rule: needed repositories must be whole; stale ones are left out at boot.
  const verdict = await judgeCompleteness(archive, mirrored.needs);
  if (!verdict.complete)
    throw new BootSequenceError(
      'BOOT_ARCHIVE_INCOMPLETE',
      `The archives lack what the cluster pulls: ${describeMissing(verdict.missing)}`,
    );
  const release =
    input.release ??
    sources.chooseRelease?.(archive) ??
    (() => {
      const found = resolveArchiveRelease(archive, { sourceOf: mirrored.sourceOf });
      return { repository: found.repository, digest: found.digest };
    })();
  const copyWanted = planBootSequence({ ...input, release }).settings.controlPlaneCopy;
  const copyWithout = copyWanted && sources.registryProgramSha256 === undefined;
  const plan = planBootSequence({
    ...input,
    release,
    ...(copyWithout ? { controlPlaneCopy: false } : {}),
  });
  const { settings } = plan;
  if (settings.controlPlaneCopy) requireNoReservedRepository(archive);
  // A CA given from elsewhere must vouch for the mirror only, as the ones we make do: critical
  // name constraints permitting the name clients reach the registry by (and loopback).
  if (sources.tls !== undefined)
    requireMirrorOnlyCa(
      sources.tls.caCertificate,
      mirrorEndpoints(settings).map((endpoint) => endpoint.name),
    );
  const tls =
    sources.tls ??
    (() => {
      const made = createMirrorTls({
        hosts: mirrorTlsHosts(settings),
      });
      return {
        caCertificate: made.caCertificatePem,
        certificate: made.serverCertificatePem,
        key: made.serverKeyPem,
      };
    })();
  const assets = assembleBootAssets(settings, {
    archives: await hashArchives(paths),
    rules: mirrored.rules,
    ...(sources.registriesConf === undefined ? {} : { registriesConf: sources.registriesConf }),
    tls,
    archive,
    resources,
    skipRepositories: verdict.stale.map((stale) => stale.repository),
    ...(sources.registryProgramSha256 === undefined
      ? {}
      : { registryProgramSha256: sources.registryProgramSha256 }),
  });
  return {
    plan,
    assets,
    manifests: renderClusterManifests(settings, archive, resources),
    mirror: {
      archive,
      rules: mirrored.rules,
      resources,
      release: {
        reference: ((source) => (source === undefined ? undefined : `${source}@${release.digest}`))(
          mirrored.sourceOf(release.repository),
        ),
        digest: release.digest,
      },
    },
    warnings: [
      ...mirrored.mirror.warnings,
      ...verdict.stale.map(describeStale),
      ...(copyWithout
        ? [
            'The control-plane copy is off: no registry program digest was given (registryProgramSha256), so the other control-plane nodes keep pulling from node0 and api-int after the install.',
          ]
        : []),
    ],
  };
}
