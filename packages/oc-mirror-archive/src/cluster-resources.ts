import { MirrorFormatError } from './errors.ts';
import { readYamlAll } from './yaml-input.ts';

/**
 * The resources oc-mirror v2 writes to `working-dir/cluster-resources/` (docs/mirror.md#cluster-resources;
 * oc-mirror `v2/internal/pkg/clusterresources`): ImageDigestMirrorSet, ImageTagMirrorSet,
 * CatalogSource, ClusterCatalog, signature ConfigMaps, UpdateService. Older tools' ICSP
 * (`ImageContentSourcePolicy`) is read too. YAML is read as YAML 1.1, as oc and
 * openshift-install read it (docs/design.md#packages).
 */

export type MirrorSourcePolicy = 'AllowContactingSource' | 'NeverContactSource';

export interface ImageMirrorSetEntry {
  source: string;
  mirrors: string[];
  /** OpenShift's default is AllowContactingSource; oc-mirror sets none. */
  mirrorSourcePolicy: MirrorSourcePolicy;
  /** Which resource it came from: `IDMS/idms-release-0` (kind/name). */
  origin: string;
}

export interface ClusterResourceDocument {
  file: string;
  kind: string;
  apiVersion: string;
  name: string;
  namespace: string | undefined;
  /** The whole document, to pass on to the cluster's manifests unchanged. */
  document: Record<string, unknown>;
}

export interface ClusterResources {
  documents: ClusterResourceDocument[];
  /** IDMS entries, then ICSP entries (which behave as digest-only mirrors too). */
  imageDigestMirrors: ImageMirrorSetEntry[];
  imageTagMirrors: ImageMirrorSetEntry[];
  catalogSources: { name: string; namespace: string | undefined; image: string }[];
  signatureConfigMaps: { name: string; namespace: string | undefined; keys: string[] }[];
}

/** The label oc-mirror puts on release signature ConfigMaps (CVO reads them). */
export const SIGNATURE_CONFIGMAP_LABEL = 'release.openshift.io/verification-signatures';

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function mirrorEntries(
  list: unknown,
  doc: ClusterResourceDocument,
  shortKind: string,
): ImageMirrorSetEntry[] {
  if (!Array.isArray(list)) return [];
  return list.map((item, index) => {
    const entry = record(item);
    const source = text(entry.source);
    const mirrors = Array.isArray(entry.mirrors)
      ? entry.mirrors.filter((m) => typeof m === 'string')
      : [];
    if (source === undefined || source === '') {
      throw new MirrorFormatError(
        'BAD_CLUSTER_RESOURCE',
        `${doc.file}: ${doc.kind} ${doc.name} entry ${index} has no source; every mirror entry needs "source".`,
        { path: doc.file },
      );
    }
    const policy = text(entry.mirrorSourcePolicy);
    return {
      source,
      mirrors,
      mirrorSourcePolicy:
        policy === 'NeverContactSource' ? 'NeverContactSource' : 'AllowContactingSource',
      origin: `${shortKind}/${doc.name}`,
    };
  });
}

/** Parse the text of one cluster-resources file (YAML with `---` documents, or JSON). */
export function parseClusterResourceFile(file: string, source: string): ClusterResourceDocument[] {
  // Aliases refused, errors typed with the line: an archive's YAML is input from elsewhere.
  const values = readYamlAll(source, { path: file, aliases: 'refuse' });
  const result: ClusterResourceDocument[] = [];
  for (const value of values) {
    if (value === null || value === undefined) continue;
    const object = record(value);
    const kind = text(object.kind);
    if (kind === undefined) continue;
    const metadata = record(object.metadata);
    result.push({
      file,
      kind,
      apiVersion: text(object.apiVersion) ?? '',
      name: text(metadata.name) ?? '',
      namespace: text(metadata.namespace),
      document: object,
    });
  }
  return result;
}

/** Gather the typed views over parsed documents. */
export function collectClusterResources(documents: ClusterResourceDocument[]): ClusterResources {
  const resources: ClusterResources = {
    documents,
    imageDigestMirrors: [],
    imageTagMirrors: [],
    catalogSources: [],
    signatureConfigMaps: [],
  };
  const icsp: ImageMirrorSetEntry[] = [];
  for (const doc of documents) {
    const spec = record(doc.document.spec);
    switch (doc.kind) {
      case 'ImageDigestMirrorSet':
        resources.imageDigestMirrors.push(...mirrorEntries(spec.imageDigestMirrors, doc, 'IDMS'));
        break;
      case 'ImageTagMirrorSet':
        resources.imageTagMirrors.push(...mirrorEntries(spec.imageTagMirrors, doc, 'ITMS'));
        break;
      case 'ImageContentSourcePolicy':
        icsp.push(...mirrorEntries(spec.repositoryDigestMirrors, doc, 'ICSP'));
        break;
      case 'CatalogSource':
        resources.catalogSources.push({
          name: doc.name,
          namespace: doc.namespace,
          image: text(spec.image) ?? '',
        });
        break;
      case 'ConfigMap': {
        const labels = record(record(doc.document.metadata).labels);
        if (SIGNATURE_CONFIGMAP_LABEL in labels) {
          const keys = [
            ...Object.keys(record(doc.document.binaryData)),
            ...Object.keys(record(doc.document.data)),
          ];
          resources.signatureConfigMaps.push({ name: doc.name, namespace: doc.namespace, keys });
        }
        break;
      }
      default:
        break;
    }
  }
  resources.imageDigestMirrors.push(...icsp);
  return resources;
}

/**
 * oc-mirror writes its signature ConfigMap twice, as `signature-configmap.json` and `.yaml`
 * (openshift/oc-mirror `internal/pkg/clusterresources/clusterresources.go`
 * GenerateSignatureConfigMap): one resource. Keep the first document of each ConfigMap
 * namespace/name, so it is applied and rendered once.
 */
export function dedupeConfigMaps(
  documents: readonly ClusterResourceDocument[],
): ClusterResourceDocument[] {
  const seen = new Set<string>();
  return documents.filter((document) => {
    if (document.kind !== 'ConfigMap') return true;
    const key = `${document.namespace ?? ''}/${document.name}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
