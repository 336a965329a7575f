import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type MirrorArchive, parseImageManifest } from '@hostmirror/oc-mirror-archive';
import { type MirrorCheckReport, readFilesFromLayer } from '@hostmirror/preflight';

/**
 * The registry program from the release itself. Since OpenShift 4.21 the payload's
 * `docker-registry` component image carries the upstream distribution registry at
 * `/usr/bin/distribution`, which openshift/appliance runs as `--entrypoint=/usr/bin/distribution
 * … serve /etc/registry/config.yaml` when the release has `docker-registry` and is 4.21 or later
 * (openshift/appliance pkg/registry/registry.go `registryStartCmdOcp`, `ShouldUseOcpRegistry`;
 * pkg/consts/consts.go `MinOcpVersionContainingDistributionRegistry = "4.21.0"`, at d45899a).
 * The enhancement prefers the payload's registry (AGENT-262). The binary is streamed out of the
 * image's layers in the archive (last layer first, as the preflight reads the release payload);
 * nothing is unpacked to disk but the binary itself.
 */

/** The release component (image-references tag) whose image holds the registry. */
export const PAYLOAD_REGISTRY_COMPONENT = 'docker-registry';
/** Where that image keeps the distribution binary (layer paths carry no leading `/`). */
export const PAYLOAD_REGISTRY_PATH = 'usr/bin/distribution';

export interface PayloadRegistry {
  /** The extracted program, in the build's work folder. */
  path: string;
  component: string;
  /** The component's pull spec as the release names it. */
  reference: string;
  /** The archive repository and image manifest digest (the platform's, for a manifest list). */
  repository: string;
  digest: string;
  /** The layer the binary came from. */
  layer: string;
  /** The path inside the image. */
  file: string;
}

/**
 * Find the release's docker-registry image in the archive and stream `/usr/bin/distribution` out
 * of it into `work`. Undefined, with the reason, when the release has no such component, the
 * archive lacks it, or its image has no distribution binary (releases before 4.21).
 */
export async function extractPayloadRegistry(
  archive: MirrorArchive,
  check: MirrorCheckReport,
  architecture: string,
  work: string,
): Promise<{ found: PayloadRegistry } | { reason: string }> {
  const component = check.images.find(
    (image) => image.role === 'component' && image.name === PAYLOAD_REGISTRY_COMPONENT,
  );
  if (component === undefined)
    return { reason: `the release names no ${PAYLOAD_REGISTRY_COMPONENT} component` };
  if (!component.ok || component.repository === undefined || component.digest === undefined)
    return {
      reason: `the release's ${PAYLOAD_REGISTRY_COMPONENT} image ${component.reference} is not served by the archive`,
    };
  const { repository } = component;
  let digest = component.digest;
  // The one manifest parser: damage is a typed MANIFEST_INVALID naming the image, not a SyntaxError.
  let manifest = parseImageManifest(await archive.readBlob(digest), `${repository}@${digest}`);
  if (manifest.kind === 'index') {
    const child = manifest.children.find(
      (entry) => entry.platform?.os === 'linux' && entry.platform.architecture === architecture,
    );
    if (child === undefined || !archive.hasBlob(child.digest))
      return {
        reason: `the release's ${PAYLOAD_REGISTRY_COMPONENT} image ${repository}@${digest} has no linux/${architecture} image in the archive`,
      };
    digest = child.digest;
    manifest = parseImageManifest(await archive.readBlob(digest), `${repository}@${digest}`);
  }
  const layers = manifest.kind === 'index' ? [] : manifest.layers;
  for (const layer of [...layers].reverse()) {
    if (!archive.hasBlob(layer.digest)) continue;
    const label = `layer ${layer.digest} of ${repository}@${digest}`;
    const files = await readFilesFromLayer(
      archive.openBlob(layer.digest),
      [PAYLOAD_REGISTRY_PATH],
      label,
    );
    const program = files.get(PAYLOAD_REGISTRY_PATH);
    if (program === undefined) continue;
    const path = join(work, 'payload-registry');
    await writeFile(path, program, { mode: 0o755 });
    return {
      found: {
        path,
        component: PAYLOAD_REGISTRY_COMPONENT,
        reference: component.reference,
        repository,
        digest,
        layer: layer.digest,
        file: `/${PAYLOAD_REGISTRY_PATH}`,
      },
    };
  }
  return {
    reason: `the release's ${PAYLOAD_REGISTRY_COMPONENT} image ${repository}@${digest} has no /${PAYLOAD_REGISTRY_PATH} (OpenShift before 4.21)`,
  };
}
