/**
 * The cluster manifests a build hands to openshift-install (`<assets>/openshift/`): the
 * post-reboot MachineConfigs, and the archive's mirror sets, CatalogSources and release
 * signatures pointed at the hosts' registry (the boot part's renderings). The mirror sets are
 * the archive's own, or for an archive without them (oc-mirror mirror-to-disk) the ones
 * oc-mirror-archive's `archiveMirrorResources` generates from its records: the same resources
 * the hosts' mirror rules are made from (host-config `mirrorRulesFor`), so the cluster after the
 * reboot and the live hosts mirror the same sources.
 */
import {
  type BootAssets,
  type BootPlan,
  renderClusterManifests,
  renderMachineConfigs,
  renderTrustedCaManifests,
} from '@hostmirror/boot-sequence';
import {
  buildImageSetConfig,
  type ClusterResources,
  type MirrorArchive,
} from '@hostmirror/oc-mirror-archive';

export interface ManifestFile {
  name: string;
  text: string;
}

/** Every manifest of the build, by file name. */
export function clusterManifests(
  plan: BootPlan,
  assets: BootAssets,
  archive: MirrorArchive,
  resources: ClusterResources,
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
  // In-pod pulls (image imports, builds) trust our CA through the cluster's image config.
  const trustedCa = renderTrustedCaManifests(plan.settings, assets.caCertificate).map(
    (manifest) => ({ name: manifest.fileName, text: manifest.yaml }),
  );
  return [...machineConfigs, ...resourcesFiles, ...trustedCa];
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
