import {
  loadRegistriesConf,
  mirrorRulesFromArchive,
  mirrorRulesFromPairs,
  type PullSource,
  type RegistriesConf,
  relocateMirror,
  renderRegistriesConf,
  resolvePullSources,
} from '@hostmirror/host-config';
import {
  type ClusterResources,
  formatImageReference,
  type ImageManifest,
  type ImageReference,
  type MirrorArchive,
  parseImageManifest,
  parseImageReference,
  referenceName,
} from '@hostmirror/oc-mirror-archive';
import { type CatalogBundle, catalogBundles, catalogConfigsDir } from './catalog.ts';
import { asCheckError, MirrorCheckError, type MirrorCheckErrorCode } from './errors.ts';
import { formatPlatform, ociArchitecture, selectPlatforms } from './image-manifest.ts';
import { type ArchiveImageSetConfig, readArchiveImageSetConfigs } from './image-set-config.ts';
import { readFilesFromLayer, readMatchingFilesFromLayer } from './layer-files.ts';
import {
  IMAGE_REFERENCES_PATH,
  parseImageReferences,
  parseReleaseMetadata,
  RELEASE_METADATA_PATH,
  type ReleasePayload,
} from './release-payload.ts';
import type {
  CheckWarning,
  ImageCheck,
  ImageRole,
  MirrorCheckReport,
  SourceResult,
} from './report.ts';
import { findReleaseSignatures } from './signatures.ts';

/**
 * `checkMirror`: prove offline that every image the cluster will pull is served by the
 * archive. For each source reference (the release, every component in its image-references,
 * additional images, catalog images) the pull sources come from the registries.conf with
 * containers/image's rules (resolve.ts); the first source the archive can answer is the one
 * c/image would use, so that source must then serve every blob (and, for a manifest list, the
 * cluster's platforms). Only tar headers and small JSON blobs are read, plus the release's
 * last layer as a stream.
 */

/** What the checker reads from the archive index (formats' MirrorArchive has all of it). */
export type CheckableArchive = Pick<
  MirrorArchive,
  | 'chunks'
  | 'repositories'
  | 'hasRepository'
  | 'tags'
  | 'manifests'
  | 'linkedBlobs'
  | 'hasBlob'
  | 'readBlob'
  | 'openBlob'
  | 'readClusterResources'
  | 'imageSetConfigCopies'
  | 'readImageSetConfigCopy'
  | 'signatureFiles'
>;

export interface CheckMirrorOptions {
  /** The opened archive index (`MirrorArchive.open(paths)`). */
  archive: CheckableArchive;
  /**
   * The registries.conf to resolve through: its text (with `registriesConfOrigin` naming it),
   * an already loaded configuration, or undefined to use the one hostmirror generates from
   * the archive's IDMS/ITMS for `mirrorHost`.
   */
  registriesConf?: string | RegistriesConf;
  registriesConfOrigin?: string;
  /** `host:port` the archive is served at; default: every mirror host of the registries.conf. */
  mirrorHost?: string;
  /**
   * The release to check: its source pull spec (`quay.io/…/ocp-release@sha256:…` or `:tag`),
   * or a tag of the archive's release-images repository. Default: the only release in the archive.
   */
  release?: string;
  /** Cluster architectures for manifest lists (`amd64`, `arm64`…); default: the release's. */
  architectures?: string[];
  /** More source references the cluster pulls, besides those of the archive's ImageSetConfiguration. */
  additionalImages?: string[];
  /**
   * Also check the `mirror.additionalImages` of the ImageSetConfiguration copy in the archive
   * (`isc_*`, minus its blockedImages). Default true.
   */
  imageSetConfigImages?: boolean;
  /** Make a missing release signature a failure instead of a warning. */
  requireReleaseSignature?: boolean;
}

/** oc-mirror's names for release content in the mirror (docs/mirror.md#naming). */
export const RELEASE_IMAGES_REPOSITORY = 'openshift/release-images';
export const RELEASE_COMPONENTS_REPOSITORY = 'openshift/release';
/** Where OpenShift release payloads come from (docs/mirror.md#registries-conf). */
const DEFAULT_RELEASE_SOURCE = 'quay.io/openshift-release-dev/ocp-release';
const DEFAULT_COMPONENT_SOURCE = 'quay.io/openshift-release-dev/ocp-v4.0-art-dev';
/** The host:port used for a generated registries.conf when none is given. */
export const DEFAULT_CHECK_MIRROR_HOST = 'localhost:5000';
/** Used for a manifest-list release when neither the caller nor a single platform decides. */
export const DEFAULT_ARCHITECTURE = 'amd64';
/** Sigstore attachments are tags named after the manifest digest (cosign, c/image `sigstore`). */
export function sigstoreTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

interface ArchiveLookup {
  archive: CheckableArchive;
  hosts: Set<string>;
  manifests: Map<string, Set<string>>;
  layers: Map<string, Set<string>>;
  tags: Map<string, Map<string, string>>;
  /** Manifest digest → repositories holding it (for "the archive has it in …" hints). */
  holders: Map<string, string[]>;
  verified: Map<string, ContentProblem | undefined>;
}

interface ContentProblem {
  code: MirrorCheckErrorCode;
  detail: string;
  fix: string;
}

function buildLookup(archive: CheckableArchive, hosts: Iterable<string>): ArchiveLookup {
  const lookup: ArchiveLookup = {
    archive,
    hosts: new Set(hosts),
    manifests: new Map(),
    layers: new Map(),
    tags: new Map(),
    holders: new Map(),
    verified: new Map(),
  };
  for (const repository of archive.repositories()) {
    const manifests = new Set(archive.manifests(repository));
    lookup.manifests.set(repository, manifests);
    lookup.layers.set(repository, new Set(archive.linkedBlobs(repository)));
    lookup.tags.set(
      repository,
      new Map(archive.tags(repository).map(({ tag, digest }) => [tag, digest])),
    );
    for (const digest of manifests) {
      const list = lookup.holders.get(digest) ?? [];
      list.push(repository);
      lookup.holders.set(digest, list);
    }
  }
  return lookup;
}

/** Check the blobs one image manifest needs: present in the archive and linked in `repository`. */
async function verifyContent(
  lookup: ArchiveLookup,
  repository: string,
  digest: string,
  architectures: readonly string[],
): Promise<ContentProblem | undefined> {
  const key = `${repository}@${digest} ${architectures.join(',')}`;
  if (lookup.verified.has(key)) return lookup.verified.get(key);
  const problem = await findContentProblem(lookup, repository, digest, architectures, 0);
  lookup.verified.set(key, problem);
  return problem;
}

const REMIRROR_FIX =
  'mirror the image again with oc-mirror, and give every archive chunk (a differential archive only carries new blobs).';

/** formats' manifest parser, a failure relabelled as the check's `MANIFEST_INVALID`. */
function parseManifestForCheck(bytes: Uint8Array, where: string): ImageManifest {
  try {
    return parseImageManifest(bytes, where);
  } catch (error) {
    throw asCheckError(error) ?? error;
  }
}

async function readManifest(
  lookup: ArchiveLookup,
  repository: string,
  digest: string,
): Promise<ImageManifest | ContentProblem> {
  const where = `${repository}@${digest}`;
  if (!lookup.archive.hasBlob(digest))
    return {
      code: 'BLOB_MISSING',
      detail: `manifest ${where} is linked but its blob is in no archive chunk`,
      fix: REMIRROR_FIX,
    };
  try {
    return parseManifestForCheck(await lookup.archive.readBlob(digest), where);
  } catch (error) {
    if (!(error instanceof MirrorCheckError)) throw error;
    return { code: error.code, detail: error.message, fix: REMIRROR_FIX };
  }
}

async function findContentProblem(
  lookup: ArchiveLookup,
  repository: string,
  digest: string,
  architectures: readonly string[],
  depth: number,
): Promise<ContentProblem | undefined> {
  const manifest = await readManifest(lookup, repository, digest);
  if ('code' in manifest) return manifest;
  const where = `${repository}@${digest}`;
  if (manifest.kind === 'index') {
    if (depth > 0)
      return {
        code: 'MANIFEST_INVALID',
        detail: `${where} is an index inside an index`,
        fix: REMIRROR_FIX,
      };
    const { selected, missing } = selectPlatforms(manifest.children, architectures);
    if (missing.length > 0)
      return {
        code: 'PLATFORM_MISSING',
        detail: `manifest list ${where} has no linux/${missing.join(', linux/')} image (it has ${manifest.children.map((child) => formatPlatform(child.platform)).join(', ') || 'none'})`,
        fix: `mirror it for the cluster's architecture (ImageSetConfiguration mirror.platform.architectures: [${missing.join(', ')}]), or set --arch to the cluster's architecture.`,
      };
    for (const child of selected) {
      if (!lookup.manifests.get(repository)?.has(child.digest))
        return {
          code: 'MANIFEST_MISSING',
          detail: `manifest list ${where} names ${formatPlatform(child.platform)} image ${child.digest}, which ${repository} does not hold`,
          fix: REMIRROR_FIX,
        };
      const problem = await findContentProblem(lookup, repository, child.digest, architectures, 1);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
  const blobs = manifest.kind === 'image' ? [manifest.config, ...manifest.layers] : manifest.layers;
  const linked = lookup.layers.get(repository);
  for (const blob of blobs) {
    if (!lookup.archive.hasBlob(blob.digest))
      return {
        code: 'BLOB_MISSING',
        detail: `blob ${blob.digest} of ${where} is in no archive chunk`,
        fix: REMIRROR_FIX,
      };
    if (!linked?.has(blob.digest))
      return {
        code: 'BLOB_MISSING',
        detail: `blob ${blob.digest} of ${where} is not linked in ${repository} (the registry answers "blob unknown")`,
        fix: REMIRROR_FIX,
      };
  }
  return undefined;
}

/** Repositories of the archive that hold the image: by digest, or by tag under the same path. */
function holdersOf(lookup: ArchiveLookup, reference: ImageReference): string[] {
  if (reference.digest !== undefined) return lookup.holders.get(reference.digest) ?? [];
  return [...lookup.tags]
    .filter(
      ([repository, tags]) =>
        (repository === reference.path || repository.endsWith(`/${reference.path}`)) &&
        tags.has(reference.tag ?? ''),
    )
    .map(([repository]) => repository);
}

/** The fix when no source serves the reference: where the archive has it, or that it has not. */
function mappingFix(lookup: ArchiveLookup, reference: ImageReference, kind: string): string {
  const holders = holdersOf(lookup, reference);
  const host = [...lookup.hosts][0] ?? '<mirror host>';
  const wanted = reference.digest ?? `tag ${reference.tag ?? ''}`;
  if (holders.length === 0)
    return `the archive holds ${wanted} of ${referenceName(reference)} in no repository: mirror the image with oc-mirror and give the new archive.`;
  return `the archive holds it in ${holders.join(', ')}: ${kind} ${referenceName(reference)} → ${host}/${holders[0]} (an ${reference.digest === undefined ? 'ImageTagMirrorSet' : 'ImageDigestMirrorSet'} mirror, or a [[registry.mirror]] location).`;
}

interface Lookup {
  repository: string;
  digest: string | undefined;
  outcome: 'found' | 'repository-missing' | 'manifest-unknown';
}

function lookUp(lookup: ArchiveLookup, reference: ImageReference): Lookup {
  const repository = reference.path;
  const manifests = lookup.manifests.get(repository);
  if (manifests === undefined)
    return { repository, digest: reference.digest, outcome: 'repository-missing' };
  if (reference.digest !== undefined)
    return {
      repository,
      digest: reference.digest,
      outcome: manifests.has(reference.digest) ? 'found' : 'manifest-unknown',
    };
  const digest = lookup.tags.get(repository)?.get(reference.tag ?? '');
  return { repository, digest, outcome: digest === undefined ? 'manifest-unknown' : 'found' };
}

function sourceResult(
  source: PullSource,
  outcome: SourceResult['outcome'],
  detail?: string,
): SourceResult {
  return {
    role: source.role,
    reference: source.reference,
    status: source.status,
    outcome,
    detail: detail ?? source.reason,
  };
}

/** Check one source reference; never throws for archive content, only reports. */
async function checkImage(
  lookup: ArchiveLookup,
  conf: RegistriesConf,
  reference: string,
  role: ImageRole,
  name: string | undefined,
  architectures: readonly string[],
): Promise<ImageCheck> {
  const result: ImageCheck = {
    role,
    name,
    reference,
    ok: false,
    servedBy: undefined,
    repository: undefined,
    digest: undefined,
    code: undefined,
    reason: undefined,
    fix: undefined,
    sources: [],
    sigstore: undefined,
  };
  let parsed: ImageReference;
  let sources: PullSource[];
  try {
    parsed = parseImageReference(reference);
    result.reference = formatImageReference(parsed);
    sources = resolvePullSources(parsed, conf);
  } catch (error) {
    const failure = asCheckError(error);
    if (failure === undefined) throw error;
    return {
      ...result,
      code: failure.code,
      reason: failure.message,
      fix: 'correct the reference or the registries.conf table named.',
    };
  }
  for (const source of sources) {
    if (source.status !== 'try') {
      result.sources.push(
        sourceResult(source, source.status === 'skipped' ? 'skipped' : 'blocked'),
      );
      continue;
    }
    const physical = parseImageReference(source.reference);
    if (!lookup.hosts.has(physical.domain)) {
      result.sources.push(
        sourceResult(
          source,
          'unreachable',
          `${physical.domain} is not the archive's host; offline it cannot be reached`,
        ),
      );
      continue;
    }
    const found = lookUp(lookup, physical);
    if (found.outcome !== 'found') {
      result.sources.push(
        sourceResult(
          source,
          found.outcome,
          found.outcome === 'repository-missing'
            ? `the archive has no repository ${found.repository}`
            : `mirror ${found.repository} has no such manifest`,
        ),
      );
      continue;
    }
    // c/image uses the first source that answers the manifest: it must serve everything.
    const digest = found.digest as string;
    const problem = await verifyContent(lookup, found.repository, digest, architectures);
    result.servedBy = source.reference;
    result.repository = found.repository;
    result.digest = digest;
    result.sigstore = lookup.tags.get(found.repository)?.has(sigstoreTag(digest))
      ? 'present'
      : 'absent';
    if (problem === undefined) {
      result.sources.push(sourceResult(source, 'served'));
      result.ok = true;
      return result;
    }
    result.sources.push(sourceResult(source, 'content-incomplete', problem.detail));
    return {
      ...result,
      code: problem.code,
      reason: `mirror ${source.reference}: ${problem.detail}`,
      fix: problem.fix,
    };
  }
  return { ...result, ...explainNotServed(lookup, result.sources, parsed, conf) };
}

/** The most useful reason and fix when no source serves the reference. */
function explainNotServed(
  lookup: ArchiveLookup,
  sources: SourceResult[],
  parsed: ImageReference,
  conf: RegistriesConf,
): Pick<ImageCheck, 'code' | 'reason' | 'fix'> {
  const archiveMiss = sources.find(
    (source) => source.outcome === 'repository-missing' || source.outcome === 'manifest-unknown',
  );
  if (archiveMiss !== undefined) {
    const physical = parseImageReference(archiveMiss.reference);
    const mapping = `${referenceName(parsed)} → ${physical.domain}/${physical.path}`;
    return {
      code:
        archiveMiss.outcome === 'repository-missing'
          ? 'MIRROR_REPOSITORY_MISSING'
          : 'MANIFEST_MISSING',
      reason:
        archiveMiss.outcome === 'repository-missing'
          ? `the mapping ${mapping} routes to repository ${physical.path}, which the archive does not have`
          : `mirror ${physical.path} has no such manifest (mapping ${mapping})`,
      fix: mappingFix(lookup, parsed, 'map'),
    };
  }
  const skipped = sources.filter((source) => source.outcome === 'skipped');
  if (skipped.length > 0)
    return {
      code: 'MIRROR_POLICY_SKIPS_REFERENCE',
      reason: `every mirror is skipped: ${skipped[0]?.detail ?? 'policy'}`,
      fix:
        parsed.digest === undefined
          ? 'pull it by digest, or add a mirror that serves tags (pull-from-mirror = "all" or "tag-only"; an ImageTagMirrorSet).'
          : 'add a mirror that serves digests (pull-from-mirror = "all" or "digest-only"; an ImageDigestMirrorSet).',
    };
  const mirrors = sources.filter((source) => source.role === 'mirror');
  const blocked = sources.find((source) => source.outcome === 'blocked');
  if (mirrors.length === 0)
    return {
      code: blocked === undefined ? 'NO_MIRROR_FOR_REFERENCE' : 'SOURCE_BLOCKED',
      reason:
        blocked === undefined
          ? `no registries.conf table mirrors ${referenceName(parsed)} (${conf.origins.join(', ')}), so the pull goes to ${parsed.domain}, unreachable offline`
          : `${blocked.detail} and no mirror serves ${referenceName(parsed)}`,
      fix: mappingFix(lookup, parsed, 'add a mirror'),
    };
  return {
    code: blocked === undefined ? 'NO_MIRROR_FOR_REFERENCE' : 'SOURCE_BLOCKED',
    reason: `no pull source is served by the archive: ${sources.map((source) => `${source.reference} ${source.outcome}${source.detail === undefined ? '' : ` (${source.detail})`}`).join('; ')}`,
    fix: mappingFix(lookup, parsed, 'add a mirror'),
  };
}

/**
 * The catalog image a CatalogSource pulls once hostmirror serves the archive: oc-mirror wrote
 * it for its destination registry (`dest/redhat/redhat-operator-index:v4.14`); moved to the
 * archive host the same way IDMS mirrors are (formats' relocateMirror). Unchanged when it
 * already names the archive host or names no repository the archive holds.
 */
function catalogPullSpec(lookup: ArchiveLookup, image: string): string {
  const host = [...lookup.hosts][0];
  let parsed: ImageReference;
  try {
    parsed = parseImageReference(image);
  } catch {
    return image;
  }
  if (host === undefined || lookup.hosts.has(parsed.domain)) return image;
  const location = relocateMirror(referenceName(parsed), host, [...lookup.manifests.keys()]);
  if (location === undefined) return image;
  const moved = parseImageReference(location);
  return formatImageReference({ ...moved, tag: parsed.tag, digest: parsed.digest });
}

/** Read the bundles of a served catalog image (its file-based catalog layer, streamed). */
async function readCatalogBundles(
  lookup: ArchiveLookup,
  repository: string,
  digest: string,
  architectures: readonly string[],
): Promise<CatalogBundle[]> {
  const where = `catalog image ${repository}@${digest}`;
  let manifest = parseManifestForCheck(await readRequiredBlob(lookup, digest, where), where);
  if (manifest.kind === 'index') {
    const child = selectPlatforms(manifest.children, architectures).selected[0];
    if (child === undefined) return [];
    manifest = parseManifestForCheck(await readRequiredBlob(lookup, child.digest, where), where);
  }
  if (manifest.kind !== 'image') return [];
  const config = JSON.parse(
    (await readRequiredBlob(lookup, manifest.config.digest, `config of ${where}`)).toString('utf8'),
  ) as unknown;
  const configsDir = `${catalogConfigsDir(config)}/`;
  for (const layer of [...manifest.layers].reverse()) {
    const label = `layer ${layer.digest} of ${where}`;
    if (!lookup.archive.hasBlob(layer.digest))
      throw new MirrorCheckError(
        'BLOB_MISSING',
        `The ${label} is in no archive chunk; ${REMIRROR_FIX}`,
        { subject: layer.digest },
      );
    const files = await readMatchingFilesFromLayer(
      lookup.archive.openBlob(layer.digest),
      (path) => path.startsWith(configsDir),
      label,
    );
    if (files.size > 0) return catalogBundles(files);
  }
  return [];
}

/**
 * Check every bundle image and related image the served catalog lists (once each: images
 * already checked are skipped). A catalog that cannot be read fails its own entry.
 */
async function checkCatalogBundles(
  lookup: ArchiveLookup,
  conf: RegistriesConf,
  catalog: ImageCheck,
  architectures: readonly string[],
  checked: readonly ImageCheck[],
  warnings: CheckWarning[],
): Promise<ImageCheck[]> {
  if (!catalog.ok || catalog.repository === undefined || catalog.digest === undefined) return [];
  let bundles: CatalogBundle[];
  try {
    bundles = await readCatalogBundles(lookup, catalog.repository, catalog.digest, architectures);
  } catch (error) {
    if (!(error instanceof MirrorCheckError)) throw error;
    Object.assign(catalog, {
      ok: false,
      code: error.code,
      reason: error.message,
      fix: 'mirror the catalog again with oc-mirror (it rebuilds a file-based catalog of the mirrored bundles).',
    });
    return [];
  }
  if (bundles.length === 0)
    warnings.push({
      code: 'CATALOG_WITHOUT_BUNDLES',
      message: `${catalog.name ?? 'catalog'} (${catalog.reference}) has no olm.bundle in a file-based catalog; its operator bundles were not checked.`,
    });
  const seen = new Set(checked.map((image) => image.reference));
  const results: ImageCheck[] = [];
  for (const bundle of bundles)
    for (const image of [bundle.image, ...bundle.relatedImages]) {
      // Bundles of one package repeat their related images: check each spelling only once.
      if (seen.has(image)) continue;
      const role = image === bundle.image ? 'bundle' : 'related-image';
      const result = await checkImage(
        lookup,
        conf,
        image,
        role,
        `${bundle.package} ${bundle.name}`,
        architectures,
      );
      // A new spelling of an image already checked is not reported twice.
      const duplicate = seen.has(result.reference);
      seen.add(image).add(result.reference);
      if (!duplicate) results.push(result);
    }
  return results;
}

/** The caller's additional images, then the archive ImageSetConfiguration's (each once). */
function additionalImagesToCheck(
  options: CheckMirrorOptions,
  archiveConfigs: readonly ArchiveImageSetConfig[],
): { image: string; origin: string | undefined }[] {
  const images = (options.additionalImages ?? []).map((image) => ({
    image,
    origin: undefined as string | undefined,
  }));
  if (options.imageSetConfigImages !== false) {
    for (const config of archiveConfigs) {
      const blocked = new Set(config.blockedImages);
      for (const image of config.additionalImages)
        if (!blocked.has(image))
          images.push({ image, origin: `ImageSetConfiguration ${config.origin}` });
    }
  }
  const seen = new Set<string>();
  return images.filter(({ image }) => !seen.has(image) && seen.add(image) !== undefined);
}

/** Hosts that serve the archive: the given one, or every mirror host in the registries.conf. */
function archiveHosts(conf: RegistriesConf, mirrorHost: string | undefined): string[] {
  if (mirrorHost !== undefined) return [mirrorHost];
  const hosts = new Set<string>();
  for (const registry of conf.registries) {
    for (const mirror of registry.mirrors) hosts.add(mirror.location.split('/')[0] as string);
    // A table rewriting its prefix to another host points at a mirror too.
    const locationHost = registry.location.split('/')[0] as string;
    if (registry.location !== '' && locationHost !== registry.prefix.split('/')[0])
      hosts.add(locationHost);
  }
  return [...hosts].sort();
}

/** The registries.conf hostmirror writes for this archive (formats' writer), read back. */
function generatedConf(
  resources: ClusterResources,
  archive: CheckableArchive,
  host: string,
): RegistriesConf {
  let rules = mirrorRulesFromArchive(resources, archive, { host });
  if (rules.length === 0) {
    // No IDMS/ITMS in the archive (mirror-to-disk writes none): oc-mirror's release naming.
    const pairs = [
      { source: DEFAULT_RELEASE_SOURCE, repository: RELEASE_IMAGES_REPOSITORY },
      { source: DEFAULT_COMPONENT_SOURCE, repository: RELEASE_COMPONENTS_REPOSITORY },
    ].filter(({ repository }) => archive.hasRepository(repository));
    rules = mirrorRulesFromPairs(
      pairs.map(({ source, repository }) => ({ source, mirror: `${host}/${repository}` })),
    );
  }
  return loadRegistriesConf(renderRegistriesConf({ rules }), {
    origin: `the registries.conf hostmirror generates for ${host}`,
  });
}

interface ReleaseLocation {
  reference: string;
  repository: string | undefined;
  digest: string | undefined;
}

/** Find the release to check: the caller's spec, or the only release the archive holds. */
function locateRelease(
  lookup: ArchiveLookup,
  conf: RegistriesConf,
  release: string | undefined,
): ReleaseLocation {
  const releaseRepositories = [...lookup.tags.keys()].filter(
    (repository) =>
      repository === RELEASE_IMAGES_REPOSITORY ||
      repository.endsWith(`/${RELEASE_IMAGES_REPOSITORY}`),
  );
  const candidates = releaseRepositories.flatMap((repository) =>
    [...(lookup.tags.get(repository) ?? [])]
      .filter(([tag]) => !tag.endsWith('.sig'))
      .map(([tag, digest]) => ({ repository, tag, digest })),
  );
  if (release !== undefined && (release.includes('/') || release.includes('@'))) {
    return { reference: release, repository: undefined, digest: undefined };
  }
  const matching =
    release === undefined ? candidates : candidates.filter(({ tag }) => tag === release);
  const digests = [...new Set(matching.map(({ digest }) => digest))];
  if (digests.length === 0)
    throw new MirrorCheckError(
      'RELEASE_NOT_FOUND',
      release === undefined
        ? `The archive holds no release image (no tags in a ${RELEASE_IMAGES_REPOSITORY} repository); give the release with --release <pull spec>.`
        : `The archive has no release tagged ${JSON.stringify(release)}; its release tags: ${candidates.map(({ tag }) => tag).join(', ') || 'none'}.`,
      { subject: release ?? RELEASE_IMAGES_REPOSITORY },
    );
  if (digests.length > 1)
    throw new MirrorCheckError(
      'RELEASE_AMBIGUOUS',
      `The archive holds ${digests.length} releases (${matching.map(({ repository, tag }) => `${repository}:${tag}`).join(', ')}); choose one with --release <tag or pull spec>.`,
      { subject: RELEASE_IMAGES_REPOSITORY },
    );
  const chosen = matching[0] as { repository: string; digest: string };
  // The source the cluster pulls: the registries.conf source mirrored to this repository.
  const source =
    conf.registries.find((registry) =>
      registry.mirrors.some((mirror) => mirror.location.endsWith(`/${chosen.repository}`)),
    )?.prefix ?? DEFAULT_RELEASE_SOURCE;
  return {
    reference: `${source}@${chosen.digest}`,
    repository: chosen.repository,
    digest: chosen.digest,
  };
}

/** Stream the release image's layers (last first) until image-references is found. */
async function readReleasePayload(
  lookup: ArchiveLookup,
  repository: string,
  digest: string,
  wantedArchitectures: readonly string[] | undefined,
): Promise<{ payload: ReleasePayload; architecture: string | undefined }> {
  const where = `release image ${repository}@${digest}`;
  let manifest = parseManifestForCheck(await readRequiredBlob(lookup, digest, where), where);
  let imageDigest = digest;
  if (manifest.kind === 'index') {
    const platforms = manifest.children.filter((child) => child.platform !== undefined);
    const architectures =
      wantedArchitectures ??
      (platforms.length === 1
        ? [platforms[0]?.platform?.architecture as string]
        : [DEFAULT_ARCHITECTURE]);
    const { selected, missing } = selectPlatforms(manifest.children, architectures.slice(0, 1));
    if (missing.length > 0 || selected[0] === undefined)
      throw new MirrorCheckError(
        'PLATFORM_MISSING',
        `The ${where} is a manifest list without a linux/${missing.join(', ')} image (it has ${manifest.children.map((child) => formatPlatform(child.platform)).join(', ')}); mirror the release for the cluster's architecture or pass --arch.`,
        { subject: `${repository}@${digest}` },
      );
    imageDigest = selected[0].digest;
    manifest = parseManifestForCheck(
      await readRequiredBlob(lookup, imageDigest, `${where} (${architectures[0]})`),
      `${repository}@${imageDigest}`,
    );
  }
  if (manifest.kind !== 'image')
    throw new MirrorCheckError(
      'MANIFEST_INVALID',
      `The ${where} is a ${manifest.kind} manifest; a release payload is an OCI or Docker schema 2 image.`,
      { subject: `${repository}@${imageDigest}` },
    );
  const config = parseConfig(
    await readRequiredBlob(lookup, manifest.config.digest, `config of ${where}`),
  );
  for (const layer of [...manifest.layers].reverse()) {
    const label = `layer ${layer.digest} of ${where}`;
    if (!lookup.archive.hasBlob(layer.digest))
      throw new MirrorCheckError(
        'BLOB_MISSING',
        `The ${label} is in no archive chunk, so the release payload cannot be read; ${REMIRROR_FIX}`,
        { subject: layer.digest },
      );
    const files = await readFilesFromLayer(
      lookup.archive.openBlob(layer.digest),
      [IMAGE_REFERENCES_PATH, RELEASE_METADATA_PATH],
      label,
    );
    const references = files.get(IMAGE_REFERENCES_PATH);
    if (references === undefined) continue;
    const metadata = files.get(RELEASE_METADATA_PATH);
    const payload: ReleasePayload = {
      ...parseImageReferences(references.toString('utf8'), `${IMAGE_REFERENCES_PATH} in ${label}`),
      metadata:
        metadata === undefined
          ? undefined
          : parseReleaseMetadata(metadata.toString('utf8'), `${RELEASE_METADATA_PATH} in ${label}`),
    };
    return { payload, architecture: config.architecture };
  }
  throw new MirrorCheckError(
    'IMAGE_REFERENCES_MISSING',
    `None of the ${manifest.layers.length} layers of the ${where} holds ${IMAGE_REFERENCES_PATH}; this is not an OpenShift release payload.`,
    { subject: `${repository}@${digest}` },
  );
}

async function readRequiredBlob(
  lookup: ArchiveLookup,
  digest: string,
  what: string,
): Promise<Buffer> {
  if (!lookup.archive.hasBlob(digest))
    throw new MirrorCheckError(
      'BLOB_MISSING',
      `The ${what} (${digest}) is in no archive chunk; ${REMIRROR_FIX}`,
      { subject: digest },
    );
  return lookup.archive.readBlob(digest);
}

function parseConfig(bytes: Buffer): { architecture: string | undefined } {
  try {
    const config = JSON.parse(bytes.toString('utf8')) as { architecture?: unknown };
    return {
      architecture: typeof config.architecture === 'string' ? config.architecture : undefined,
    };
  } catch {
    return { architecture: undefined };
  }
}

function loadConf(
  options: CheckMirrorOptions,
  resources: ClusterResources,
): {
  conf: RegistriesConf;
  generated: boolean;
} {
  if (options.registriesConf === undefined)
    return {
      conf: generatedConf(
        resources,
        options.archive,
        options.mirrorHost ?? DEFAULT_CHECK_MIRROR_HOST,
      ),
      generated: true,
    };
  if (typeof options.registriesConf === 'string')
    return {
      conf: loadCheckedConf(options.registriesConf, options.registriesConfOrigin),
      generated: false,
    };
  return { conf: options.registriesConf, generated: false };
}

/** The caller's registries.conf with c/image's rules; refusals become `MirrorCheckError`s. */
function loadCheckedConf(text: string, origin = 'registries.conf'): RegistriesConf {
  try {
    return loadRegistriesConf(text, { origin });
  } catch (error) {
    throw asCheckError(error) ?? error;
  }
}

interface ReleaseResult {
  check: ImageCheck;
  location: ReleaseLocation;
  payload: ReleasePayload | undefined;
  /** The release image's own architecture (its config), OCI-named. */
  architecture: string | undefined;
  /** What manifest lists are checked for: the caller's, else the release's. */
  architectures: string[];
}

/**
 * Resolve and check the release image, then read its payload from the archive copy that
 * serves it (or, when the registries.conf does not reach it, from the archive's own
 * release-images repository, so the components are still checked).
 */
async function checkRelease(
  lookup: ArchiveLookup,
  conf: RegistriesConf,
  options: CheckMirrorOptions,
): Promise<ReleaseResult> {
  const location = locateRelease(lookup, conf, options.release);
  const wanted = options.architectures?.map(ociArchitecture);
  let architectures = wanted ?? [DEFAULT_ARCHITECTURE];
  let check = await checkImage(
    lookup,
    conf,
    location.reference,
    'release',
    undefined,
    architectures,
  );
  const repository = check.repository ?? location.repository;
  const digest = check.digest ?? location.digest;
  if (repository === undefined || digest === undefined)
    return { check, location, payload: undefined, architecture: undefined, architectures };
  const read = await readReleasePayload(lookup, repository, digest, wanted);
  const architecture =
    read.architecture === undefined ? undefined : ociArchitecture(read.architecture);
  architectures = wanted ?? [architecture ?? DEFAULT_ARCHITECTURE];
  // Checked first for the default architecture; a failure may have been that platform's.
  if (wanted === undefined && !check.ok)
    check = await checkImage(lookup, conf, location.reference, 'release', undefined, architectures);
  return { check, location, payload: read.payload, architecture, architectures };
}

/** Each CatalogSource image, then every bundle and related image its catalog lists. */
async function checkCatalogs(
  lookup: ArchiveLookup,
  conf: RegistriesConf,
  resources: ClusterResources,
  architectures: readonly string[],
  images: ImageCheck[],
  warnings: CheckWarning[],
): Promise<void> {
  for (const catalog of resources.catalogSources) {
    if (catalog.image === '') continue;
    const pullSpec = catalogPullSpec(lookup, catalog.image);
    const name = `CatalogSource ${catalog.name}`;
    const catalogCheck = await checkImage(lookup, conf, pullSpec, 'catalog', name, architectures);
    images.push(catalogCheck);
    images.push(
      ...(await checkCatalogBundles(lookup, conf, catalogCheck, architectures, images, warnings)),
    );
  }
}

function signatureWarning(digest: string): CheckWarning {
  const hex = digest.slice('sha256:'.length);
  return {
    code: 'RELEASE_SIGNATURE_MISSING',
    message: `No release signature for ${digest}: no ConfigMap labelled release.openshift.io/verification-signatures in working-dir/cluster-resources has a key sha256-${hex}-<n> and no working-dir/signatures/<tag>-sha256-${hex} file exists; the CVO cannot verify the payload offline (mirror with oc-mirror so it writes signature-configmap.yaml, and apply it to the cluster).`,
  };
}

/**
 * Check that the archive serves every image the cluster pulls: the release, its components,
 * additional images (the caller's and the archive ImageSetConfiguration's), each CatalogSource
 * image and the bundles and related images of its catalog. Throws (typed `MirrorCheckError`)
 * only when the release itself cannot be read — no release, a corrupt image-references, a
 * missing release layer, a release manifest list without the cluster's platform; every other
 * problem is a failing entry in the returned report.
 */
export async function checkMirror(options: CheckMirrorOptions): Promise<MirrorCheckReport> {
  const started = performance.now();
  const resources = await options.archive.readClusterResources();
  const { conf, generated } = loadConf(options, resources);
  const hosts = archiveHosts(
    conf,
    generated ? (options.mirrorHost ?? DEFAULT_CHECK_MIRROR_HOST) : options.mirrorHost,
  );
  const lookup = buildLookup(options.archive, hosts);
  const warnings: CheckWarning[] = conf.ignoredKeys.map(({ origin, key }) => ({
    code: 'REGISTRIES_CONF_IGNORED_KEY',
    message: `${origin}: containers/image ignores the key ${key} (a typo?); it has no effect.`,
  }));
  const release = await checkRelease(lookup, conf, options);
  const { architectures, payload } = release;
  const images: ImageCheck[] = [release.check];
  for (const component of payload?.components ?? [])
    images.push(
      await checkImage(
        lookup,
        conf,
        component.reference,
        'component',
        component.name,
        architectures,
      ),
    );
  const archiveConfigs = await readArchiveImageSetConfigs(options.archive);
  for (const { image, origin } of additionalImagesToCheck(options, archiveConfigs))
    images.push(await checkImage(lookup, conf, image, 'additional-image', origin, architectures));
  await checkCatalogs(lookup, conf, resources, architectures, images, warnings);

  const releaseDigest = parseReleaseDigest(release.check, release.location);
  const signatures = findReleaseSignatures(
    resources,
    releaseDigest,
    options.archive.signatureFiles(),
  );
  if (!signatures.present) warnings.push(signatureWarning(releaseDigest));
  const failures = images.filter((image) => !image.ok);
  const signatureFails = options.requireReleaseSignature === true && !signatures.present;
  return {
    ok: failures.length === 0 && !signatureFails,
    archives: options.archive.chunks.map((chunk) => chunk.path),
    registriesConf: { origin: conf.origins.join(', '), generated, mirrorHosts: hosts },
    release: {
      reference: release.check.reference,
      digest: releaseDigest,
      version: payload?.metadata?.version ?? payload?.name,
      architecture: payload?.metadata?.architecture ?? release.architecture,
      architectures,
      servedBy: release.check.servedBy,
      components: payload?.components.length ?? 0,
    },
    counts: {
      images: images.length,
      passed: images.length - failures.length,
      failed: failures.length,
      sigstorePresent: images.filter((image) => image.sigstore === 'present').length,
      sigstoreAbsent: images.filter((image) => image.sigstore === 'absent').length,
    },
    signatures: { release: { ...signatures, required: options.requireReleaseSignature === true } },
    images,
    failures,
    warnings,
    durationMs: Math.round(performance.now() - started),
    overridden: undefined,
  };
}

function parseReleaseDigest(release: ImageCheck, location: ReleaseLocation): string {
  if (location.digest !== undefined) return location.digest;
  try {
    return parseImageReference(release.reference).digest ?? release.digest ?? '';
  } catch {
    return release.digest ?? '';
  }
}
