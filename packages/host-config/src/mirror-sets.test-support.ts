/** Mirror sets shared by this package's tests (never built into dist: *.test-support.ts). */
import {
  type ClusterResources,
  collectClusterResources,
  parseClusterResourceFile,
} from '@hostmirror/oc-mirror-archive';

/**
 * Test fixture shared by the registries.conf and pull-source tests: the IDMS and ITMS oc-mirror v2
 * writes for a release and one tag-mirrored image (destination `dest.example:8443`), and an
 * archive that holds all three repositories.
 */
const FIXTURE_IDMS = `apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata: {name: idms-release-0}
spec:
  imageDigestMirrors:
  - source: quay.io/openshift-release-dev/ocp-release
    mirrors: [dest.example:8443/openshift/release-images]
  - source: quay.io/openshift-release-dev/ocp-v4.0-art-dev
    mirrors: [dest.example:8443/openshift/release]
`;

const FIXTURE_ITMS = `apiVersion: config.openshift.io/v1
kind: ImageTagMirrorSet
metadata: {name: itms-generic-0}
spec:
  imageTagMirrors:
  - source: registry.redhat.io/ubi9/ubi
    mirrors: [dest.example:8443/prefix/ubi9/ubi]
`;

export function fixtureMirrorSets(): ClusterResources {
  return collectClusterResources([
    ...parseClusterResourceFile('idms-oc-mirror.yaml', FIXTURE_IDMS),
    ...parseClusterResourceFile('itms-oc-mirror.yaml', FIXTURE_ITMS),
  ]);
}

export const fixtureArchive = {
  repositories: () => ['openshift/release', 'openshift/release-images', 'ubi9/ubi'],
};
