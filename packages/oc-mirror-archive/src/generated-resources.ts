import { stringify } from 'yaml';
import type { MirrorArchive } from './archive-index.ts';
import { isReleaseRepository } from './archive-release.ts';
import {
  type ArchiveSources,
  type MirrorCategory,
  mapArchiveSources,
  type SourcesArchive,
  UNMAPPED_FIX,
} from './archive-sources.ts';
import {
  type ClusterResourceDocument,
  type ClusterResources,
  collectClusterResources,
  dedupeConfigMaps,
  parseClusterResourceFile,
  SIGNATURE_CONFIGMAP_LABEL,
} from './cluster-resources.ts';

/**
 * The cluster resources oc-mirror v2 writes in disk-to-mirror (and mirror-to-mirror), made from
 * an archive that has none: oc-mirror's mirror-to-disk run leaves
 * `working-dir/cluster-resources` empty (openshift/oc-mirror `internal/pkg/cli/executor.go`:
 * generateClusterResources is called by RunMirrorToMirror and RunDiskToMirror only, commit
 * 855b64a3c9c03634bcab6210b641274772050cda). Same kinds, names and formats as
 * `internal/pkg/clusterresources/clusterresources.go` and `const.go`:
 * - `idms-oc-mirror.yaml`: `ImageDigestMirrorSet` `idms-<release|operator|generic>-0`
 *   (config.openshift.io/v1), one `---` document per category;
 * - `itms-oc-mirror.yaml`: `ImageTagMirrorSet` `itms-<category>-0` for images mirrored by tag;
 * - `cs-<catalog repository>-<tag, or 12 digest hex>.yaml`: `CatalogSource`
 *   (operators.coreos.com/v1alpha1, `openshift-marketplace`, `sourceType: grpc`), and
 *   `cc-….yaml`: `ClusterCatalog` (olm.operatorframework.io/v1, `source.type: Image`);
 * - `signature-configmap.yaml`: `ConfigMap` `mirrored-release-signatures` in
 *   `openshift-config-managed`, labelled `release.openshift.io/verification-signatures`, its
 *   `binaryData` keys `sha256-<hex>-<n>` holding each release signature file
 *   (`working-dir/signatures/<tag>-sha256-<hex>`) base64-encoded. oc-mirror writes the same
 *   ConfigMap as `.json` too; it is one resource, rendered once here.
 * YAML as sigs.k8s.io/yaml writes it: keys sorted, sequences not indented. Mirrors are named
 * under `destination`; sources are sorted (oc-mirror's Go map order is random).
 */

export const IDMS_FILE = 'idms-oc-mirror.yaml';
export const ITMS_FILE = 'itms-oc-mirror.yaml';
export const SIGNATURE_CONFIGMAP_FILE = 'signature-configmap.yaml';
export const SIGNATURE_CONFIGMAP_NAME = 'mirrored-release-signatures';
export const SIGNATURE_NAMESPACE = 'openshift-config-managed';
const CATALOG_NAMESPACE = 'openshift-marketplace';
const HASH_TRUNC_LEN = 12;
const CATEGORIES: readonly MirrorCategory[] = ['release', 'operator', 'generic'];
const annotations = { createdBy: 'hostmirror from the archive records (as oc-mirror v2)' };

export interface GeneratedFile {
  name: string;
  text: string;
}

type Json = Record<string, unknown>;

function yaml(document: Json): string {
  return stringify(document, {
    version: '1.1',
    sortMapEntries: true,
    indentSeq: false,
    lineWidth: 0,
  });
}

function mirrorSets(sources: ArchiveSources, destination: string, mode: 'digest' | 'tag'): Json[] {
  const documents: Json[] = [];
  for (const category of CATEGORIES) {
    const bySource = new Map<string, string[]>();
    for (const entry of sources.sources) {
      if (entry.category !== category || !(mode === 'digest' ? entry.byDigest : entry.byTag))
        continue;
      const mirror = entry.mirror === '' ? destination : `${destination}/${entry.mirror}`;
      const mirrors = bySource.get(entry.source) ?? [];
      if (!mirrors.includes(mirror)) mirrors.push(mirror);
      bySource.set(entry.source, mirrors);
    }
    if (bySource.size === 0) continue;
    const list = [...bySource]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([source, mirrors]) => ({ source, mirrors }));
    documents.push({
      apiVersion: 'config.openshift.io/v1',
      kind: mode === 'digest' ? 'ImageDigestMirrorSet' : 'ImageTagMirrorSet',
      metadata: { name: `${mode === 'digest' ? 'idms' : 'itms'}-${category}-0`, annotations },
      spec: mode === 'digest' ? { imageDigestMirrors: list } : { imageTagMirrors: list },
    });
  }
  return documents;
}

/** oc-mirror's toRFC1035: lower-case letters, digits and `-`; anything else becomes `-`. */
function toRfc1035(value: string): string {
  return [...value.toLowerCase()].map((c) => (/[a-z0-9-]/.test(c) ? c : '-')).join('');
}

/** `cs-`/`cc-` + last path component + tag (12 characters, RFC 1035) or 12 digest hex. */
function catalogResourceName(prefix: 'cs' | 'cc', repository: string, tag: string): string {
  const digest = /^sha256-([a-f0-9]{64})$/.exec(tag);
  const suffix = digest
    ? (digest[1] as string).slice(0, HASH_TRUNC_LEN)
    : toRfc1035(tag.slice(0, HASH_TRUNC_LEN)) || '0';
  const last = repository.split('/').at(-1) ?? repository;
  return `${prefix}-${last}-${suffix}`.replaceAll('.', '-');
}

function catalogImage(destination: string, repository: string, tag: string): string {
  const digest = /^sha256-([a-f0-9]{64})$/.exec(tag);
  return digest
    ? `${destination}/${repository}@sha256:${digest[1]}`
    : `${destination}/${repository}:${tag}`;
}

/** `<tag>-sha256-<hex>`: oc-mirror's signature file name (clusterresources.go GenerateSignatureConfigMap). */
const SIGNATURE_FILE = /^(.+)-sha256-([a-f0-9]{64})$/;

async function signatureConfigMap(
  archive: Pick<MirrorArchive, 'signatureFiles' | 'readSignatureFile' | 'repositories' | 'tags'>,
): Promise<{ document: Json | undefined; notes: string[] }> {
  const releaseTags = new Set(
    archive
      .repositories()
      .filter(isReleaseRepository)
      .flatMap((repository) => archive.tags(repository).map(({ tag }) => tag)),
  );
  const binaryData: Record<string, string> = {};
  const notes: string[] = [];
  const seen = new Set<string>();
  let id = 1;
  for (const file of archive.signatureFiles()) {
    const match = SIGNATURE_FILE.exec(file);
    if (!match) {
      notes.push(
        `working-dir/signatures/${file} is not named <tag>-sha256-<hex>; oc-mirror ignores it too.`,
      );
      continue;
    }
    const [, tag, hex] = match as unknown as [string, string, string];
    if (!releaseTags.has(tag)) {
      notes.push(
        `working-dir/signatures/${file} is for the release tag ${tag}, which the archive does not hold; left out of the signature ConfigMap.`,
      );
      continue;
    }
    if (seen.has(hex)) continue;
    seen.add(hex);
    binaryData[`sha256-${hex}-${id}`] = (await archive.readSignatureFile(file)).toString('base64');
    id++;
  }
  if (id === 1) return { document: undefined, notes };
  return {
    document: {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: SIGNATURE_CONFIGMAP_NAME,
        namespace: SIGNATURE_NAMESPACE,
        labels: { [SIGNATURE_CONFIGMAP_LABEL]: '' },
        annotations,
      },
      binaryData,
    },
    notes,
  };
}

/** The files oc-mirror's disk-to-mirror would write to `working-dir/cluster-resources/`. */
export async function generateClusterResourceFiles(
  archive: Pick<MirrorArchive, 'signatureFiles' | 'readSignatureFile' | 'repositories' | 'tags'>,
  sources: ArchiveSources,
  destination: string,
): Promise<{ files: GeneratedFile[]; notes: string[] }> {
  const files: GeneratedFile[] = [];
  const joined = (documents: Json[]) =>
    documents.map((document) => `---\n${yaml(document)}`).join('');
  const idms = mirrorSets(sources, destination, 'digest');
  if (idms.length > 0) files.push({ name: IDMS_FILE, text: joined(idms) });
  const itms = mirrorSets(sources, destination, 'tag');
  if (itms.length > 0) files.push({ name: ITMS_FILE, text: joined(itms) });
  for (const catalog of sources.catalogs) {
    // The image the cluster reads: oc-mirror's rebuilt catalog when the archive records one.
    const image = catalogImage(destination, catalog.repository, catalog.imageTag);
    const csName = catalogResourceName('cs', catalog.repository, catalog.tag);
    files.push({
      name: `${csName}.yaml`,
      text: yaml({
        apiVersion: 'operators.coreos.com/v1alpha1',
        kind: 'CatalogSource',
        metadata: { name: csName, namespace: CATALOG_NAMESPACE, annotations },
        spec: { image, sourceType: 'grpc' },
      }),
    });
    const ccName = catalogResourceName('cc', catalog.repository, catalog.tag);
    files.push({
      name: `${ccName}.yaml`,
      text: yaml({
        apiVersion: 'olm.operatorframework.io/v1',
        kind: 'ClusterCatalog',
        metadata: { name: ccName, annotations },
        spec: { source: { image: { ref: image }, type: 'Image' } },
      }),
    });
  }
  const signatures = await signatureConfigMap(archive);
  if (signatures.document !== undefined)
    files.push({ name: SIGNATURE_CONFIGMAP_FILE, text: yaml(signatures.document) });
  files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { files, notes: signatures.notes };
}

/** The mirror configuration of an archive, from its cluster-resources or made from its records. */
export interface ArchiveMirrorResources {
  resources: ClusterResources;
  /** True when the archive had no mirror sets and they were made from its records. */
  generated: boolean;
  /** The files made (empty when the archive carried its own). */
  files: GeneratedFile[];
  sources: ArchiveSources;
  /** Each repository whose source cannot be known (named, with the fix), and other notes. */
  warnings: string[];
}

const MIRROR_SET_KINDS = new Set([
  'ImageDigestMirrorSet',
  'ImageTagMirrorSet',
  'ImageContentSourcePolicy',
]);

/**
 * The one answer to "what does this archive mirror, from where": the archive's own
 * `working-dir/cluster-resources` when it has mirror sets (disk-to-mirror or mirror-to-mirror
 * output carried along), else what oc-mirror's disk-to-mirror would generate, made from the
 * archive's records with mirrors under `destination`. Every repository ends up mapped or named
 * in `warnings`.
 */
export type RecordsArchive = SourcesArchive &
  Pick<MirrorArchive, 'readClusterResources' | 'signatureFiles' | 'readSignatureFile'>;

export async function archiveMirrorResources(
  archive: RecordsArchive,
  destination: string,
): Promise<ArchiveMirrorResources> {
  const carried = await archive.readClusterResources();
  const sources = await mapArchiveSources(archive);
  const warnings = [...sources.notes];
  if (carried.documents.some((document) => MIRROR_SET_KINDS.has(document.kind)))
    return { resources: carried, generated: false, files: [], sources, warnings };
  const made = await generateClusterResourceFiles(archive, sources, destination);
  warnings.push(...made.notes);
  for (const { repository, reason } of sources.unmapped)
    warnings.push(
      `The archive repository ${repository} gets no mirror rule: its source cannot be known (${reason}). To serve it, ${UNMAPPED_FIX}.`,
    );
  const documents: ClusterResourceDocument[] = [
    // Resources the archive does carry (a signature ConfigMap, say) stay; generated ones add to them.
    ...carried.documents,
    ...made.files.flatMap((file) => parseClusterResourceFile(`generated:${file.name}`, file.text)),
  ];
  return {
    resources: collectClusterResources(dedupeConfigMaps(documents)),
    generated: true,
    files: made.files,
    sources,
    warnings,
  };
}
