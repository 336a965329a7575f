import { relocateMirror } from '@hostmirror/host-config';
import {
  type ClusterResourceDocument,
  type ClusterResources,
  type MirrorArchive,
  SIGNATURE_CONFIGMAP_LABEL,
} from '@hostmirror/oc-mirror-archive';
import { stringify } from 'yaml';
import { mirrorEndpoints } from './endpoints.ts';
import type { BootSettings } from './types.ts';

/** A manifest for the installer's `openshift/` folder (extra manifests of the agent install). */
export interface ClusterManifest {
  fileName: string;
  kind: string;
  name: string;
  yaml: string;
}

/** What was left out, and why: so a build can report it. */
export interface ClusterManifestReport {
  manifests: ClusterManifest[];
  skipped: { file: string; kind: string; name: string; reason: string }[];
}

type Json = Record<string, unknown>;

function record(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : {};
}

/** The mirror sets' lists and the key of each list's mirrors. */
const MIRROR_LISTS: Record<string, { list: string; mirrors: string }> = {
  ImageDigestMirrorSet: { list: 'imageDigestMirrors', mirrors: 'mirrors' },
  ImageTagMirrorSet: { list: 'imageTagMirrors', mirrors: 'mirrors' },
  ImageContentSourcePolicy: { list: 'repositoryDigestMirrors', mirrors: 'mirrors' },
};

/** `host/path[:tag|@digest]` with the repository moved to our registry, or undefined. */
function relocateImage(image: string, host: string, repositories: readonly string[]) {
  const at = image.indexOf('@');
  const colon = image.lastIndexOf(':');
  const cut = at !== -1 ? at : colon > image.lastIndexOf('/') ? colon : image.length;
  const moved = relocateMirror(image.slice(0, cut), host, repositories);
  return moved === undefined ? undefined : `${moved}${image.slice(cut)}`;
}

/**
 * A mirror set with every mirror moved to our registry, once per endpoint in the clients' order
 * (endpoints.ts: this host or node0 first, then any control-plane node); mirrors the archive
 * lacks are dropped.
 */
function relocateMirrorSet(
  doc: ClusterResourceDocument,
  hosts: readonly string[],
  repositories: readonly string[],
): Json | undefined {
  const shape = MIRROR_LISTS[doc.kind];
  if (shape === undefined) return undefined;
  const document = structuredClone(doc.document);
  const spec = record(document.spec);
  const entries = Array.isArray(spec[shape.list]) ? (spec[shape.list] as unknown[]) : [];
  const kept = entries
    .map((entry) => {
      const copy = { ...record(entry) };
      const mirrors = Array.isArray(copy[shape.mirrors]) ? (copy[shape.mirrors] as unknown[]) : [];
      const moved = mirrors
        .filter((mirror): mirror is string => typeof mirror === 'string')
        .flatMap((mirror) => hosts.map((host) => relocateMirror(mirror, host, repositories)))
        .filter((mirror): mirror is string => mirror !== undefined);
      copy[shape.mirrors] = [...new Set(moved)];
      return copy;
    })
    .filter((entry) => (entry[shape.mirrors] as string[]).length > 0);
  if (kept.length === 0) return undefined;
  spec[shape.list] = kept;
  document.spec = spec;
  return document;
}

function manifestFile(kind: string, name: string): string {
  return `99-hostmirror-${kind.toLowerCase()}-${name.replace(/[^A-Za-z0-9.-]/g, '-')}.yaml`;
}

/**
 * The cluster's mirror configuration from the archive's `working-dir/cluster-resources/`
 * (docs/design.md#mirror-mode, docs/installer.md#cluster-mirror-config): IDMS, ITMS and ICSP with every mirror
 * moved to each mirror endpoint in order (`<registryName>:<port>`, then
 * `api-int.<clusterDomain>:<port>` where known: endpoints.ts), CatalogSources whose image moves
 * to the last of them (they name one registry, so the one any node reaches), and the
 * release signature ConfigMaps unchanged. MCO renders the mirror sets into each node's
 * registries.conf, so the installed nodes pull from the mirror as the live ISO did. Other
 * kinds (ClusterCatalog, UpdateService) are reported as skipped.
 */
export function renderClusterManifests(
  settings: BootSettings,
  archive: Pick<MirrorArchive, 'repositories'>,
  resources: ClusterResources,
): ClusterManifestReport {
  const endpoints = mirrorEndpoints(settings).map((endpoint) => endpoint.hostPort);
  // A CatalogSource names its index image directly (no mirror list): the endpoint every node
  // reaches whichever node is down, the control-plane name where there is one.
  const catalogHost = endpoints[endpoints.length - 1] as string;
  const repositories = archive.repositories();
  const report: ClusterManifestReport = { manifests: [], skipped: [] };
  const skip = (doc: ClusterResourceDocument, reason: string) =>
    report.skipped.push({ file: doc.file, kind: doc.kind, name: doc.name, reason });
  for (const doc of resources.documents) {
    let document: Json | undefined;
    if (doc.kind in MIRROR_LISTS) {
      document = relocateMirrorSet(doc, endpoints, repositories);
      if (document === undefined) skip(doc, 'none of its mirrors is in the archive');
    } else if (doc.kind === 'CatalogSource') {
      document = structuredClone(doc.document);
      const spec = record(document.spec);
      const image =
        typeof spec.image === 'string'
          ? relocateImage(spec.image, catalogHost, repositories)
          : undefined;
      if (image === undefined) {
        skip(doc, 'its index image is not in the archive');
        document = undefined;
      } else document.spec = { ...spec, image };
    } else if (
      doc.kind === 'ConfigMap' &&
      SIGNATURE_CONFIGMAP_LABEL in record(record(doc.document.metadata).labels)
    )
      document = doc.document;
    else skip(doc, `${doc.kind} is not part of the mirror configuration`);
    if (document !== undefined)
      report.manifests.push({
        fileName: manifestFile(doc.kind, doc.name),
        kind: doc.kind,
        name: doc.name,
        yaml: stringify(document, { version: '1.1', lineWidth: 0 }),
      });
  }
  report.manifests.sort((a, b) => (a.fileName < b.fileName ? -1 : 1));
  return report;
}

/** The ConfigMap the cluster's image config names for our CA (namespace fixed by OpenShift). */
export const TRUSTED_CA_CONFIGMAP = 'hostmirror-registry-ca';
/** Where image.config's additionalTrustedCA looks for its ConfigMap. */
export const TRUSTED_CA_NAMESPACE = 'openshift-config';

/**
 * The cluster trusts our CA for in-pod image work (imports by openshift-apiserver, builds,
 * the image registry operator), which reads neither the nodes' certs.d nor /etc/hosts:
 * `image.config.openshift.io/cluster` `spec.additionalTrustedCA` names a ConfigMap in
 * `openshift-config` whose keys are registry hosts in the `hostname[..port]` form, `..` standing
 * for `:` (a ConfigMap key cannot hold a colon) — openshift/openshift-docs
 * modules/configmap-adding-ca.adoc ("The domain format is hostname[..port]"), openshift/api
 * config/v1/types_image.go (AdditionalTrustedCA: "The namespace for this config map is
 * openshift-config"). MCO also writes these CAs into each node's certs.d.
 */
export function renderTrustedCaManifests(
  settings: Pick<BootSettings, 'registryName' | 'registryPort' | 'controlPlaneName'>,
  caCertificate: string,
): ClusterManifest[] {
  const pem = caCertificate.endsWith('\n') ? caCertificate : `${caCertificate}\n`;
  // One key per mirror endpoint (endpoints.ts), each the same CA.
  const data = Object.fromEntries(
    mirrorEndpoints(settings).map((endpoint) => [`${endpoint.name}..${endpoint.port}`, pem]),
  );
  const configMap = {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: TRUSTED_CA_CONFIGMAP, namespace: TRUSTED_CA_NAMESPACE },
    data,
  };
  const image = {
    apiVersion: 'config.openshift.io/v1',
    kind: 'Image',
    metadata: { name: 'cluster' },
    spec: { additionalTrustedCA: { name: TRUSTED_CA_CONFIGMAP } },
  };
  return [
    {
      fileName: manifestFile('ConfigMap', TRUSTED_CA_CONFIGMAP),
      kind: 'ConfigMap',
      name: TRUSTED_CA_CONFIGMAP,
      yaml: stringify(configMap, { version: '1.1', lineWidth: 0 }),
    },
    {
      fileName: manifestFile('Image', 'cluster'),
      kind: 'Image',
      name: 'cluster',
      yaml: stringify(image, { version: '1.1', lineWidth: 0 }),
    },
  ];
}
