/**
 * The cluster manifests a build hands to openshift-install (`<assets>/openshift/`): the
 * post-reboot MachineConfigs, and the archive's mirror sets, CatalogSources and release
 * signatures pointed at the hosts' registry (the boot part's renderings). An archive without
 * IDMS/ITMS (oc-mirror mirror-to-disk) gets an IDMS from the rules build-iso mirrors with.
 */
import {
  type BootAssets,
  type BootPlan,
  renderClusterManifests,
  renderMachineConfigs,
  renderTrustedCaManifests,
} from '@hostmirror/boot-sequence';
import type { MirrorRule } from '@hostmirror/host-config';
import {
  buildImageSetConfig,
  type ClusterResources,
  type MirrorArchive,
} from '@hostmirror/oc-mirror-archive';
import { stringify } from 'yaml';

/** config.openshift.io/v1 mirror sets (what oc-mirror v2 writes, docs/mirror.md#cluster-resources). */
const MIRROR_SET_API_VERSION = 'config.openshift.io/v1';
const MIRROR_SET_KINDS = new Set([
  'ImageDigestMirrorSet',
  'ImageTagMirrorSet',
  'ImageContentSourcePolicy',
]);

export interface ManifestFile {
  name: string;
  text: string;
}

/** IDMS (digest-only mirrors) and ITMS (tag-only mirrors) for the registry the hosts serve. */
export function mirrorSetManifests(rules: readonly MirrorRule[]): ManifestFile[] {
  const files: ManifestFile[] = [];
  const sets = [
    {
      kind: 'ImageDigestMirrorSet',
      key: 'imageDigestMirrors',
      name: 'idms-hostmirror',
      policy: ['digest-only', 'all'],
    },
    {
      kind: 'ImageTagMirrorSet',
      key: 'imageTagMirrors',
      name: 'itms-hostmirror',
      policy: ['tag-only', 'all'],
    },
  ] as const;
  for (const set of sets) {
    const entries = rules
      .map((rule) => ({
        source: rule.source,
        mirrors: rule.mirrors
          .filter((mirror) => (set.policy as readonly string[]).includes(mirror.pullFromMirror))
          .map((mirror) => mirror.location),
        ...(rule.blocked ? { mirrorSourcePolicy: 'NeverContactSource' } : {}),
      }))
      .filter((entry) => entry.mirrors.length > 0);
    if (entries.length === 0) continue;
    const document = {
      apiVersion: MIRROR_SET_API_VERSION,
      kind: set.kind,
      metadata: { name: set.name },
      spec: { [set.key]: entries },
    };
    files.push({
      name: `${set.name}.yaml`,
      text: stringify(document, { version: '1.1', lineWidth: 0 }),
    });
  }
  return files;
}

/** Every manifest of the build, by file name. */
export function clusterManifests(
  plan: BootPlan,
  assets: BootAssets,
  archive: MirrorArchive,
  resources: ClusterResources,
  rules: readonly MirrorRule[],
): ManifestFile[] {
  const machineConfigs = renderMachineConfigs(plan, assets).map((config) => ({
    name: config.fileName,
    text: config.yaml,
  }));
  const rendered = renderClusterManifests(plan.settings, archive, resources).manifests;
  const resourcesFiles = rendered.map((manifest) => ({
    name: manifest.fileName,
    text: manifest.yaml,
  }));
  const hasMirrorSet = rendered.some((manifest) => MIRROR_SET_KINDS.has(manifest.kind));
  // In-pod pulls (image imports, builds) trust our CA through the cluster's image config.
  const trustedCa = renderTrustedCaManifests(plan.settings, assets.caCertificate).map(
    (manifest) => ({ name: manifest.fileName, text: manifest.yaml }),
  );
  return [
    ...machineConfigs,
    ...(hasMirrorSet ? [] : mirrorSetManifests(rules)),
    ...resourcesFiles,
    ...trustedCa,
  ];
}

/** The ImageSetConfiguration that mirrors this release again (oc-mirror v2), for the record. */
export function imageSetConfigText(
  version: string | undefined,
  architecture: string,
): string | undefined {
  if (version === undefined) return undefined;
  const config = buildImageSetConfig({ release: version, architectures: [architecture] });
  return `# The ImageSetConfiguration for the release this ISO mirrors (oc-mirror --v2 -c <this file>).\n${config.yaml}`;
}
