import type { ClusterResources } from '@hostmirror/oc-mirror-archive';

/**
 * Release signatures as the CVO finds them offline: a ConfigMap labelled
 * `release.openshift.io/verification-signatures` (oc-mirror writes
 * `working-dir/cluster-resources/signature-configmap.{json,yaml}`, namespace
 * `openshift-config-managed`) whose binaryData keys are `sha256-<hex>-<n>`
 * (oc-mirror `clusterresources/const.go`: `configMapBinaryDataIndexFormat = "sha256-%s-%d"`),
 * or the signature files oc-mirror keeps under `working-dir/signatures/`.
 */
const SIGNATURE_KEY = /^sha256-([0-9a-f]{64})-\d+$/;

export interface ReleaseSignatures {
  present: boolean;
  /** `ConfigMap <namespace>/<name> key <key>` or `working-dir/signatures/<file>` per signature. */
  found: string[];
}

/** oc-mirror names signature files `<tag>-sha256-<hex>` (clusterresources.go splits on "-sha256-"). */
const SIGNATURE_FILE = /-sha256-([0-9a-f]{64})$/;

export function findReleaseSignatures(
  resources: ClusterResources,
  digest: string,
  signatureFiles: readonly string[] = [],
): ReleaseSignatures {
  const hex = digest.startsWith('sha256:') ? digest.slice('sha256:'.length) : digest;
  const found: string[] = [];
  for (const configMap of resources.signatureConfigMaps)
    for (const key of configMap.keys)
      if (SIGNATURE_KEY.exec(key)?.[1] === hex)
        found.push(`ConfigMap ${configMap.namespace ?? ''}/${configMap.name} key ${key}`);
  for (const file of signatureFiles)
    if (SIGNATURE_FILE.exec(file)?.[1] === hex) found.push(`working-dir/signatures/${file}`);
  return { present: found.length > 0, found };
}
