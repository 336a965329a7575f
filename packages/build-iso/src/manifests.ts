/**
 * The cluster manifests a build hands to openshift-install (`<assets>/openshift/`): the
 * ImageDigestMirrorSet / ImageTagMirrorSet pointing at the hosts' own registry, and the
 * archive's other cluster resources (release signatures, CatalogSources) unchanged
 * (mirror.md "Design implications" 13). MachineConfigs come from boot-artifacts.ts.
 */
import { buildImageSetConfig, type MirrorArchive, type MirrorRule } from '@hostmirror/mirror';
import { stringify } from 'yaml';

/** config.openshift.io/v1 mirror sets (what oc-mirror v2 writes, mirror.md §3.3). */
const MIRROR_SET_API_VERSION = 'config.openshift.io/v1';
/** The kinds we rewrite for the hosts' registry instead of copying from the archive. */
const MIRROR_SET_KIND =
  /^kind:\s*(ImageDigestMirrorSet|ImageTagMirrorSet|ImageContentSourcePolicy)\s*$/m;

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

/** The archive's cluster resources other than mirror sets, byte for byte. */
export async function clusterResourceManifests(archive: MirrorArchive): Promise<ManifestFile[]> {
  const files: ManifestFile[] = [];
  for (const name of archive.clusterResourceFiles()) {
    const text = await archive.readClusterResourceFile(name);
    if (MIRROR_SET_KIND.test(text)) continue;
    files.push({ name: `cluster-resources-${name.split('/').pop()}`, text });
  }
  return files;
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
