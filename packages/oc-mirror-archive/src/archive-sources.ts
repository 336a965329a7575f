import type { MirrorArchive } from './archive-index.ts';
import {
  type RecordedImageSetConfig,
  readRecordedImageSetConfigs,
  readReleaseGraphPayloads,
  readReleaseRecordComponents,
} from './archive-records.ts';
import {
  isAttachedArtifactTag,
  isReleaseComponentsRepository,
  isReleaseRepository,
} from './archive-release.ts';
import { readCatalogImage } from './catalog-image.ts';
import { MirrorFormatError } from './errors.ts';
import { type ImageReference, parseImageReference } from './image-reference.ts';

/**
 * Where each repository of an archive came from, read from the archive's own records
 * (archive-records.ts), never guessed. oc-mirror v2 names cache repositories as follows
 * (openshift/oc-mirror, commit 855b64a3c9c03634bcab6210b641274772050cda):
 * - the release image → `openshift/release-images:<tag>`, its components →
 *   `openshift/release:<release tag>-<component>` (`internal/pkg/release/local_stored_collector.go`
 *   preparePathComponents, prepareTag); the components' source is their pull spec in the
 *   release's `image-references`, kept under `working-dir/hold-release/`;
 * - an additional image → its source path (or `targetRepo`), tagged with its tag (or
 *   `targetTag`), or `sha256-<hex>` when pulled by digest only
 *   (`internal/pkg/additional/local_stored_collector.go` buildMirrorToDiskPaths);
 * - an operator catalog → its source path (or `targetCatalog`) with its tag (or `targetTag`)
 *   (`internal/pkg/operator/common.go` prepareM2DCopyBatch).
 * A platform release given by channel is the `payload` of a node of the Cincinnati graph oc-mirror
 * queried and kept in `working-dir/hold-release/cincinnati-graph-data/` (disk-to-mirror reads it
 * back from there: `internal/pkg/release/core-cincinnati.go` loadGraphDataFromDisk): the node
 * whose payload digest is the archive's release digest names its source repository, for OCP
 * (`quay.io/openshift-release-dev/ocp-release`) and OKD (`quay.io/openshift/okd`,
 * `quay.io/okd/scos-release`: whatever the OKD graph at origin-release.ci.openshift.org says)
 * alike. Without that record, an OCP channel still says `quay.io/openshift-release-dev/ocp-release`
 * (`internal/pkg/cli/list/releases.go` ocpReleaseRepo); an OKD channel says nothing, and the
 * release repository is named with the fix.
 *
 * The scopes follow oc-mirror's IDMS/ITMS generator (`internal/pkg/clusterresources/
 * clusterresources.go` generateImageMirrors, attemptNamespaceScope): when the mirror path ends
 * with the source path, both are cut to their namespace; otherwise whole repositories.
 */

export const OCP_RELEASE_REPOSITORY = 'quay.io/openshift-release-dev/ocp-release';

/** oc-mirror's IDMS/ITMS categories (`idms-<category>-0`). */
export type MirrorCategory = 'release' | 'operator' | 'generic';

export interface RepositorySource {
  /** The archive repository. */
  repository: string;
  /** The source scope (`registry.redhat.io/ubi9` or `quay.io/…/ocp-v4.0-art-dev`). */
  source: string;
  /** The mirror scope under the registry root (`ubi9`, `openshift/release`; `` for the root). */
  mirror: string;
  /** By digest: belongs in the IDMS. */
  byDigest: boolean;
  /** By tag: belongs in the ITMS. */
  byTag: boolean;
  category: MirrorCategory;
  /** The record that says so (`<chunk>:isc_…`, `working-dir/hold-release/…`). */
  record: string;
}

export interface CatalogRecord {
  /** The archive repository and tag of the catalog image, as the ImageSetConfiguration names it. */
  repository: string;
  tag: string;
  /**
   * The tag of the image the cluster must read: oc-mirror's rebuilt (filtered) catalog when the
   * archive records one (`working-dir/operator-catalogs/…/filtered-catalogs/<tag>/digest`), else
   * `tag`. The catalog's own tag keeps the unfiltered catalog in oc-mirror's cache.
   */
  imageTag: string;
  /** Bundles its file-based catalog lists (0 when it could not be read). */
  bundles: number;
  /** The catalog as the ImageSetConfiguration names it. */
  catalog: string;
  record: string;
}

export interface UnmappedRepository {
  repository: string;
  /** Why its source cannot be known, and what to do. */
  reason: string;
}

export interface ArchiveSources {
  sources: RepositorySource[];
  catalogs: CatalogRecord[];
  /** Every archive repository neither mapped nor a catalog, with the reason. */
  unmapped: UnmappedRepository[];
  configs: RecordedImageSetConfig[];
  notes: string[];
}

export const UNMAPPED_FIX =
  'mirror it with an ImageSetConfiguration that names it (oc-mirror keeps that file in the archive), or give its source with `--mirror SOURCE=MIRROR` / a registries.conf, or carry the cluster-resources of an oc-mirror disk-to-mirror run in working-dir/cluster-resources';

function namespaceOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash === -1 ? '' : path.slice(0, slash);
}

/** oc-mirror's attemptNamespaceScope for a source reference and its archive repository. */
function scopes(source: ImageReference, repository: string): { source: string; mirror: string } {
  if (repository.endsWith(source.path)) {
    const sourceNamespace = namespaceOf(source.path);
    return {
      source: sourceNamespace === '' ? source.domain : `${source.domain}/${sourceNamespace}`,
      mirror: namespaceOf(repository),
    };
  }
  return { source: source.name, mirror: repository };
}

function parse(name: string): ImageReference | undefined {
  try {
    return parseImageReference(name);
  } catch {
    return undefined;
  }
}

/** Whether a name was written with a tag (parseImageReference adds `latest` to a bare name). */
function hasWrittenTag(name: string): boolean {
  const beforeDigest = name.split('@')[0] ?? '';
  return beforeDigest.lastIndexOf(':') > beforeDigest.lastIndexOf('/');
}

/** What mapping an archive's sources reads: its index, its records and (for catalogs) blobs. */
export type SourcesArchive = Pick<
  MirrorArchive,
  | 'repositories'
  | 'tags'
  | 'imageSetConfigCopies'
  | 'readImageSetConfigCopy'
  | 'releaseRecords'
  | 'readReleaseRecord'
  | 'releaseGraphs'
  | 'readReleaseGraph'
  | 'catalogFilters'
  | 'readCatalogFilterDigest'
  | 'readBlob'
  | 'openBlob'
  | 'hasBlob'
>;

/**
 * The mapping of each archive, made once: an index never changes once opened, and the verbs ask
 * several times per build (the hosts' rules, the mirror check, the manifests), while mapping
 * streams every catalog's layer. Callers read the result and never change it.
 */
const mapped = new WeakMap<SourcesArchive, Promise<ArchiveSources>>();

/** Map every repository of the archive to its source, or name why it cannot be. */
export function mapArchiveSources(archive: SourcesArchive): Promise<ArchiveSources> {
  let result = mapped.get(archive);
  if (result === undefined) {
    result = mapSources(archive);
    mapped.set(archive, result);
    // A failure (a damaged record) is not kept: the next call reports it again.
    result.catch(() => mapped.delete(archive));
  }
  return result;
}

async function mapSources(archive: SourcesArchive): Promise<ArchiveSources> {
  const repositories = archive.repositories();
  const held = new Set(repositories);
  const { configs, notes } = await readRecordedImageSetConfigs(archive);
  const sources: RepositorySource[] = [];
  const catalogs: CatalogRecord[] = [];
  const reasons = new Map<string, string>();
  const add = (entry: RepositorySource) => {
    if (
      !sources.some(
        (known) =>
          known.repository === entry.repository &&
          known.source === entry.source &&
          known.mirror === entry.mirror,
      )
    )
      sources.push(entry);
    else {
      const known = sources.find(
        (item) => item.repository === entry.repository && item.source === entry.source,
      ) as RepositorySource;
      known.byDigest ||= entry.byDigest;
      known.byTag ||= entry.byTag;
    }
  };

  // The release image.
  const releaseRepositories = repositories.filter(
    (repository) =>
      isReleaseRepository(repository) &&
      !archive.tags(repository).every(({ tag }) => isAttachedArtifactTag(tag)),
  );
  const payloads = releaseRepositories.length === 0 ? [] : await readReleaseGraphPayloads(archive);
  for (const repository of releaseRepositories) {
    const explicit = configs.find((config) => config.platformRelease !== undefined);
    const byChannel = configs.find((config) => config.channelTypes.includes('ocp'));
    const okd = configs.find((config) => config.channelTypes.includes('okd'));
    const digests = new Set(archive.tags(repository).map(({ digest }) => digest));
    const inGraph = payloads.find((payload) => digests.has(payload.reference.digest ?? ''));
    const given =
      explicit?.platformRelease === undefined ? undefined : parse(explicit.platformRelease);
    if (explicit !== undefined && given !== undefined) {
      add({
        repository,
        source: given.name,
        mirror: repository,
        // CLID-205: oc-mirror puts the release in the IDMS even when mirrored by tag.
        byDigest: true,
        byTag: given.digest === undefined,
        category: 'release',
        record: `${explicit.origin} mirror.platform.release`,
      });
    } else if (inGraph !== undefined) {
      add({
        repository,
        source: inGraph.reference.name,
        mirror: repository,
        byDigest: true,
        byTag: false,
        category: 'release',
        record: `${inGraph.record} payload of ${inGraph.version || 'a node'}`,
      });
    } else if (byChannel !== undefined) {
      add({
        repository,
        source: OCP_RELEASE_REPOSITORY,
        mirror: repository,
        byDigest: true,
        byTag: false,
        category: 'release',
        record: `${byChannel.origin} mirror.platform.channels (type ocp)`,
      });
    } else
      reasons.set(
        repository,
        configs.length === 0
          ? 'the archive has no ImageSetConfiguration copy (isc_*) saying which release repository it was mirrored from'
          : okd !== undefined
            ? `${okd.origin} mirrors OKD (channels of type okd), whose release repository only the Cincinnati graph oc-mirror kept names, and the archive has no working-dir/hold-release/cincinnati-graph-data/<arch>-<channel>.json with a payload of digest ${[...digests].join(' or ')}`
            : `no ImageSetConfiguration in the archive names an OCP platform release (channels of type ocp or platform.release): ${configs.map((config) => config.origin).join(', ')}`,
      );
  }

  // The release components, from each release's image-references record.
  const componentRepositories = repositories.filter(isReleaseComponentsRepository);
  if (componentRepositories.length > 0) {
    const componentSources = new Map<string, string>();
    for (const record of archive.releaseRecords()) {
      for (const component of await readReleaseRecordComponents(archive, record))
        if (!componentSources.has(component.reference.name))
          componentSources.set(component.reference.name, record.member);
    }
    for (const repository of componentRepositories) {
      if (componentSources.size === 0) {
        reasons.set(
          repository,
          "the archive has no working-dir/hold-release/<release>/<tag>/release-manifests/image-references, where oc-mirror records the components' sources",
        );
        continue;
      }
      for (const [source, record] of componentSources)
        add({
          repository,
          source,
          mirror: repository,
          byDigest: true,
          byTag: false,
          category: 'release',
          record,
        });
    }
  }

  // Additional images and catalogs, from every ImageSetConfiguration copy.
  for (const config of configs) {
    const blocked = new Set(config.blockedImages);
    for (const image of config.additionalImages) {
      if (blocked.has(image.name)) continue;
      const reference = parse(image.name);
      if (reference === undefined) {
        notes.push(
          `${config.origin}: additionalImages name ${JSON.stringify(image.name)} is not a pull spec; oc-mirror skipped it.`,
        );
        continue;
      }
      const repository = (image.targetRepo ?? reference.path).replace(/^\/+/, '');
      if (!held.has(repository)) continue;
      const digestOnly = reference.digest !== undefined && !hasWrittenTag(image.name);
      add({
        repository,
        ...scopes(reference, repository),
        // OCPBUGS-85331: tag and digest both → IDMS too; by digest only → no ITMS.
        byDigest: reference.digest !== undefined,
        byTag: !digestOnly,
        category: 'generic',
        record: `${config.origin} mirror.additionalImages ${image.name}`,
      });
    }
    for (const operator of config.operators) {
      const reference = parse(operator.catalog);
      if (reference === undefined) {
        notes.push(
          `${config.origin}: operators catalog ${JSON.stringify(operator.catalog)} is not a pull spec (an oci:// catalog has no registry source).`,
        );
        continue;
      }
      const repository = (operator.targetCatalog ?? reference.path).replace(/^\/+/, '');
      if (!held.has(repository)) continue;
      const tag =
        operator.targetTag ??
        (reference.digest !== undefined && !hasWrittenTag(operator.catalog)
          ? reference.digest.replace(':', '-')
          : (reference.tag ?? 'latest'));
      if (!catalogs.some((known) => known.repository === repository && known.tag === tag))
        catalogs.push({
          repository,
          tag,
          imageTag: await servedCatalogTag(archive, repository, tag, reference, notes),
          bundles: 0,
          catalog: operator.catalog,
          record: `${config.origin} mirror.operators ${operator.catalog}`,
        });
    }
  }

  // Operator bundles and related images, from each catalog's file-based catalog.
  for (const catalog of catalogs) await mapCatalogContents(archive, catalog, held, { add, notes });

  const explained = new Set([
    ...sources.map((entry) => entry.repository),
    ...catalogs.map((entry) => entry.repository),
  ]);
  const unmapped = repositories
    .filter((repository) => !explained.has(repository))
    .map((repository) => ({
      repository,
      reason:
        reasons.get(repository) ??
        (configs.length === 0
          ? 'the archive has no ImageSetConfiguration copy (isc_*) naming it'
          : `no ImageSetConfiguration in the archive (${configs.map((config) => config.origin).join(', ')}) names it and no catalog in the archive lists it: a repository oc-mirror's shared cache kept from another run`),
    }));
  return { sources, catalogs, unmapped, configs, notes };
}

/**
 * The tag of the catalog image the cluster must read. oc-mirror copies the catalog as the
 * ImageSetConfiguration names it into its cache (`<path>:<tag>`, unfiltered), filters it into
 * `working-dir/operator-catalogs/<name>/<digest hex>/filtered-catalogs/<filter digest>/`, and pushes
 * the rebuilt catalog as `<path>:<filter digest>` (openshift/oc-mirror `internal/pkg/operator/
 * filtered_collector.go` filterOperator, `internal/pkg/imagebuilder/catalog_builder.go`
 * RebuildCatalog, `internal/pkg/cli/executor.go` addRebuiltCatalogs, at commit 855b64a3);
 * disk-to-mirror pushes that rebuilt image to the destination under the ISC's tag. So the
 * record of the catalog's digest names the tag to serve; without one (a `full` catalog) the
 * catalog's own tag is the image.
 */
async function servedCatalogTag(
  archive: SourcesArchive,
  repository: string,
  tag: string,
  reference: ImageReference,
  notes: string[],
): Promise<string> {
  const tags = new Map(archive.tags(repository).map((entry) => [entry.tag, entry.digest]));
  const original = tags.get(tag) ?? reference.digest;
  const name = reference.path.split('/').at(-1) ?? reference.path;
  for (const record of archive.catalogFilters()) {
    if (record.catalog !== name || record.catalogDigest !== original) continue;
    const rebuilt = tags.get(record.filterTag);
    if (rebuilt === undefined) continue;
    const recorded = await archive.readCatalogFilterDigest(record);
    if (recorded !== rebuilt) {
      notes.push(
        `${record.member} in ${record.range.chunk} says the rebuilt catalog is ${recorded}, but ${repository}:${record.filterTag} is ${rebuilt}; the archive's tag is served.`,
      );
    }
    return record.filterTag;
  }
  return tag;
}

/** oc-mirror's cache path of an image (`ImageSpec.PathComponent`: the name after its host). */
function cachePath(image: string): string {
  const name = (image.split('@')[0] ?? '').replace(/:[^/:]*$/, '');
  const slash = name.indexOf('/');
  return slash === -1 ? name : name.slice(slash + 1);
}

/**
 * Map the bundles and related images the catalog's file-based catalog lists to the archive
 * repositories oc-mirror copied them to: mirror-to-disk puts each at its path under the cache
 * (tag `sha256-<hex>` when pulled by digest: `internal/pkg/operator/common.go`
 * prepareM2DCopyBatch), and disk-to-mirror's IDMS/ITMS list them in the `operator` category,
 * by digest in the IDMS, by tag in the ITMS, scoped as `attemptNamespaceScope`
 * (`internal/pkg/clusterresources/clusterresources.go` generateImageMirrors, imageTypeToCategory).
 * oc-mirror mirrors each bundle's `relatedImages` (opm lists the bundle image there too:
 * `catalog_handler.go` handleRelatedImages); the bundle `image` is mapped as well. Images whose
 * repository the archive does not hold get no rule (the mirror check reports them); a catalog
 * that cannot be read is noted with the reason and its contents stay unmapped.
 */
async function mapCatalogContents(
  archive: SourcesArchive,
  catalog: CatalogRecord,
  held: ReadonlySet<string>,
  out: { add: (entry: RepositorySource) => void; notes: string[] },
): Promise<void> {
  const digest = archive
    .tags(catalog.repository)
    .find((entry) => entry.tag === catalog.imageTag)?.digest;
  if (digest === undefined) return;
  const where = `${catalog.repository}:${catalog.imageTag}`;
  let bundles: Awaited<ReturnType<typeof readCatalogImage>>['bundles'];
  try {
    bundles = (await readCatalogImage(archive, catalog.repository, digest)).bundles;
  } catch (error) {
    if (!(error instanceof MirrorFormatError)) throw error;
    out.notes.push(
      `The catalog ${where} cannot be read (${error.code}: ${error.message}), so its operator bundles and related images get no mirror rule.`,
    );
    return;
  }
  catalog.bundles = bundles.length;
  const absent = new Set<string>();
  for (const bundle of bundles)
    for (const image of new Set([bundle.image, ...bundle.relatedImages])) {
      const reference = parse(image);
      if (reference === undefined) continue;
      const repository = cachePath(image);
      if (!held.has(repository)) {
        absent.add(image);
        continue;
      }
      const digestOnly = reference.digest !== undefined && !hasWrittenTag(image);
      out.add({
        repository,
        ...scopes(reference, repository),
        byDigest: reference.digest !== undefined,
        byTag: !digestOnly,
        category: 'operator',
        record: `catalog ${where} olm.bundle ${bundle.name} (${bundle.file})`,
      });
    }
  if (absent.size > 0)
    out.notes.push(
      `The catalog ${where} lists ${absent.size} image(s) whose repository the archive does not hold (first: ${[...absent][0]}); \`hostmirror mirror check\` names each. Mirror the catalog's packages again to serve them.`,
    );
}

/** The source scope an archive repository is mirrored from, by the records (first one). */
export function sourceOfRepository(
  sources: Pick<ArchiveSources, 'sources'>,
  repository: string,
): string | undefined {
  const entry = sources.sources.find((item) => item.repository === repository);
  if (entry === undefined) return undefined;
  // A namespace scope: the source repository is the scope plus the rest of the path.
  if (entry.mirror === repository) return entry.source;
  const rest = entry.mirror === '' ? repository : repository.slice(entry.mirror.length + 1);
  return `${entry.source}/${rest}`;
}
