import { basename } from 'node:path';

/**
 * Where things sit inside oc-mirror archives (docs/mirror.md#v2-archives; oc-mirror
 * `v2/internal/pkg/archive/const.go`, `pkg/config/metadata.go`).
 */

/** v2 chunk names: `archiveFileNameFormat = "%s_%06d.tar"` with prefix `mirror`; chunks count from 1. */
export const V2_CHUNK_NAME = /^mirror_(\d{6})\.tar$/;
/** v1 chunk names: `mirror_seq<N>_<%06d>.tar`, chunks count from 0. */
export const V1_CHUNK_NAME = /^mirror_seq(\d+)_(\d{6})\.tar$/;

/** The distribution filesystem storage tree; unpacked under a registry's `rootdirectory`. */
export const REGISTRY_TREE_PREFIX = 'docker/registry/v2/';
/** oc-mirror v2 working directory; cluster resources are under `cluster-resources/`. */
export const WORKING_DIR_PREFIX = 'working-dir/';
export const CLUSTER_RESOURCES_PREFIX = 'working-dir/cluster-resources/';
/** The ImageSetConfiguration copy oc-mirror v2 adds (`isc_<time>`); the unarchiver ignores it. */
export const ISC_COPY_PREFIX = 'isc_';
/** oc-mirror v2 keeps release signatures as `working-dir/signatures/<tag>-sha256-<hex>` (clusterresources const.go `signatureDir`). */
export const SIGNATURES_PREFIX = 'working-dir/signatures/';
/**
 * oc-mirror v2 extracts each release's `release-manifests/` into
 * `working-dir/hold-release/<last path component of the release>/<tag>/` and archives the whole
 * working-dir (openshift/oc-mirror `internal/pkg/release/const.go` releaseImageExtractDir,
 * `local_stored_collector.go` collectReleaseImages; `internal/pkg/archive/archive.go`
 * BuildArchive step 4, at commit 855b64a3c9c03634bcab6210b641274772050cda). Its
 * `image-references` names every component by its source pull spec: the archive's own record
 * of where `openshift/release` came from.
 */
export const HOLD_RELEASE_PREFIX = 'working-dir/hold-release/';
const holdReleaseImageReferences =
  /^working-dir\/hold-release\/([^/]+)\/([^/]+)\/release-manifests\/image-references$/;

/**
 * oc-mirror v2 keeps each Cincinnati graph it queried as
 * `working-dir/hold-release/cincinnati-graph-data/<arch>-<channel>.json`, and disk-to-mirror reads
 * the release payloads back from it (openshift/oc-mirror `internal/pkg/release/core-cincinnati.go`
 * writeGraphDataToFile / loadGraphDataFromDisk, `cincinnati.go` GraphDataDir, at commit
 * 855b64a3c9c03634bcab6210b641274772050cda): the archive's own record of the release image's
 * source repository, for OCP and OKD alike (each node's `payload` is the pull spec by digest).
 */
export const RELEASE_GRAPH_PREFIX = 'working-dir/hold-release/cincinnati-graph-data/';
const releaseGraph = /^working-dir\/hold-release\/cincinnati-graph-data\/([^/]+\.json)$/;
/**
 * oc-mirror v2 filters an operator catalog into
 * `working-dir/operator-catalogs/<catalog name>/<catalog digest hex>/filtered-catalogs/<filter digest>/`,
 * rebuilds the catalog image from it, pushes that image to the cache tagged `<filter digest>` and
 * writes its manifest digest (hex) to the `digest` file there (`internal/pkg/operator/const.go`
 * operatorCatalogsDir, operatorCatalogFilteredDir; `filtered_collector.go` filterOperator;
 * `internal/pkg/imagebuilder/catalog_builder.go` RebuildCatalog, at commit 855b64a3). The
 * catalog's own tag in the cache keeps the unfiltered catalog: this record says which image the
 * cluster's CatalogSource must read.
 */
const catalogFilterRecord =
  /^working-dir\/operator-catalogs\/([^/]+)\/([a-f0-9]{64})\/filtered-catalogs\/([^/]+)\/digest$/;

/** v1 (`oc image mirror --dir` layout): `v2/<repo>/blobs/sha256:<hex>`, `v2/<repo>/manifests/<ref>`. */
const v1BlobOrManifest = /^v2\/.+\/(blobs\/sha256:[a-f0-9]{64}|manifests\/[^/]+)$/;
/** v1 metadata: `publish/.metadata.json` (MetadataBasePath, relative to the workspace `src/`). */
const v1Metadata = 'publish/.metadata.json';

const blobData = /^docker\/registry\/v2\/blobs\/([a-z0-9]+)\/[a-f0-9]{2}\/([a-f0-9]+)\/data$/;
const repositoryMember =
  /^docker\/registry\/v2\/repositories\/(.+?)\/(_manifests|_layers|_uploads)(?:\/(.*))?$/;
const revisionLink = /^revisions\/([a-z0-9]+)\/([a-f0-9]+)\/link$/;
const tagCurrentLink = /^tags\/([^/]+)\/current\/link$/;
const layerLink = /^([a-z0-9]+)\/([a-f0-9]+)\/link$/;

type MemberRole =
  | { role: 'blob'; digest: string }
  | { role: 'manifest-revision'; repository: string; digest: string }
  | { role: 'tag'; repository: string; tag: string }
  | { role: 'layer-link'; repository: string; digest: string }
  | { role: 'registry-other' }
  | { role: 'cluster-resource'; file: string }
  | { role: 'signature'; file: string }
  | { role: 'release-record'; release: string; tag: string }
  | { role: 'release-graph'; file: string }
  | { role: 'catalog-filter'; catalog: string; catalogDigest: string; filterTag: string }
  | { role: 'working-dir' }
  | { role: 'isc-copy' }
  | { role: 'v1-content' }
  | { role: 'unknown' };

/** What one archive member is, from its path alone. */
export function classifyMember(name: string): MemberRole {
  if (name.startsWith(REGISTRY_TREE_PREFIX)) return classifyRegistryMember(name);
  if (name.startsWith(CLUSTER_RESOURCES_PREFIX) && name.length > CLUSTER_RESOURCES_PREFIX.length) {
    return { role: 'cluster-resource', file: name.slice(CLUSTER_RESOURCES_PREFIX.length) };
  }
  if (name.startsWith(SIGNATURES_PREFIX) && name.length > SIGNATURES_PREFIX.length)
    return { role: 'signature', file: name.slice(SIGNATURES_PREFIX.length) };
  const held = holdReleaseImageReferences.exec(name);
  if (held) return { role: 'release-record', release: held[1] ?? '', tag: held[2] ?? '' };
  const graph = releaseGraph.exec(name);
  if (graph) return { role: 'release-graph', file: graph[1] ?? '' };
  const filtered = catalogFilterRecord.exec(name);
  if (filtered)
    return {
      role: 'catalog-filter',
      catalog: filtered[1] ?? '',
      catalogDigest: `sha256:${filtered[2] ?? ''}`,
      filterTag: filtered[3] ?? '',
    };
  if (name.startsWith(WORKING_DIR_PREFIX) || name === 'working-dir') return { role: 'working-dir' };
  // Only the top-level copy: oc-mirror writes it beside working-dir/, never inside a folder.
  if (name.startsWith(ISC_COPY_PREFIX) && !name.includes('/')) return { role: 'isc-copy' };
  if (name === v1Metadata || v1BlobOrManifest.test(name)) return { role: 'v1-content' };
  return { role: 'unknown' };
}

function classifyRegistryMember(name: string): MemberRole {
  const blob = blobData.exec(name);
  if (blob) return { role: 'blob', digest: `${blob[1]}:${blob[2]}` };
  const member = repositoryMember.exec(name);
  if (!member) return { role: 'registry-other' };
  const [, repository = '', area, rest = ''] = member;
  if (area === '_manifests') {
    const revision = revisionLink.exec(rest);
    if (revision)
      return { role: 'manifest-revision', repository, digest: `${revision[1]}:${revision[2]}` };
    const tag = tagCurrentLink.exec(rest);
    if (tag) return { role: 'tag', repository, tag: tag[1] ?? '' };
  } else if (area === '_layers') {
    const layer = layerLink.exec(rest);
    if (layer) return { role: 'layer-link', repository, digest: `${layer[1]}:${layer[2]}` };
  }
  return { role: 'registry-other' };
}

/** The v2 chunk number of a file name, or undefined when it is not named like a v2 chunk. */
export function v2ChunkNumber(path: string): number | undefined {
  const match = V2_CHUNK_NAME.exec(basename(path));
  return match ? Number(match[1]) : undefined;
}

export function isV1ChunkName(path: string): boolean {
  return V1_CHUNK_NAME.test(basename(path));
}
