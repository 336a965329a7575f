import { createHash } from 'node:crypto';
import { TarBuilder, type TarFormat } from './tar-builder.ts';

/**
 * Synthetic oc-mirror v2 chunks for unit tests: the distribution storage layout
 * (docs/mirror.md#registry-layout) written member by member. The real-registry test in
 * test/mirror/registry.test.ts makes the genuine article with docker-registry and skopeo.
 */
export interface FakeImage {
  repository: string;
  tag: string;
  /** Layer contents; each becomes a blob. */
  layers: string[];
}

export interface FakeBlob {
  digest: string;
  bytes: Buffer;
}

export interface MadeImage {
  manifest: FakeBlob;
  config: FakeBlob;
  layers: FakeBlob[];
  repository: string;
  tag: string;
}

export function blobOf(content: string | Buffer): FakeBlob {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content;
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, bytes };
}

export function makeImage(image: FakeImage): MadeImage {
  const layers = image.layers.map((layer) => blobOf(layer));
  const config = blobOf(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
    }),
  );
  const manifest = blobOf(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.oci.image.config.v1+json',
        digest: config.digest,
        size: config.bytes.length,
      },
      layers: layers.map((layer) => ({
        mediaType: 'application/vnd.oci.image.layer.v1.tar',
        digest: layer.digest,
        size: layer.bytes.length,
      })),
    }),
  );
  return { manifest, config, layers, repository: image.repository, tag: image.tag };
}

const root = 'docker/registry/v2';

function blobPath(digest: string): string {
  const hex = digest.slice('sha256:'.length);
  return `${root}/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`;
}

export interface ChunkContent {
  images: MadeImage[];
  /** Blobs left out (a differential archive carries only new ones). */
  omit?: Set<string>;
  clusterResources?: Record<string, string>;
  format?: TarFormat;
}

/** Write one chunk; returns the data offset of every blob written. */
export async function writeChunk(
  path: string,
  content: ChunkContent,
): Promise<Map<string, number>> {
  const tar = await TarBuilder.create(path, content.format ?? 'pax');
  const offsets = new Map<string, number>();
  await tar.directory('docker');
  await tar.directory('docker/registry');
  await tar.directory(root);
  const written = new Set<string>();
  for (const image of content.images) {
    for (const blob of [image.manifest, image.config, ...image.layers]) {
      if (content.omit?.has(blob.digest) || written.has(blob.digest)) continue;
      written.add(blob.digest);
      offsets.set(blob.digest, await tar.file(blobPath(blob.digest), blob.bytes));
    }
  }
  for (const image of content.images) {
    const repo = `${root}/repositories/${image.repository}`;
    const hex = (digest: string) => digest.slice('sha256:'.length);
    for (const blob of [image.config, ...image.layers])
      await tar.file(`${repo}/_layers/sha256/${hex(blob.digest)}/link`, blob.digest);
    await tar.file(
      `${repo}/_manifests/revisions/sha256/${hex(image.manifest.digest)}/link`,
      image.manifest.digest,
    );
    await tar.file(`${repo}/_manifests/tags/${image.tag}/current/link`, image.manifest.digest);
    await tar.file(
      `${repo}/_manifests/tags/${image.tag}/index/sha256/${hex(image.manifest.digest)}/link`,
      image.manifest.digest,
    );
    await tar.directory(`${repo}/_uploads`);
  }
  for (const [name, text] of Object.entries(content.clusterResources ?? {}))
    await tar.file(`working-dir/cluster-resources/${name}`, text);
  await tar.file('isc_2026-11-30T00:00:00Z', 'kind: ImageSetConfiguration\n');
  await tar.end();
  return offsets;
}

export const releaseIdms = (mirrorHost: string) => `---
apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata:
  name: idms-release-0
  annotations:
    createdBy: oc-mirror v2
spec:
  imageDigestMirrors:
  - source: quay.io/openshift-release-dev/ocp-release
    mirrors:
    - ${mirrorHost}/openshift/release-images
  - source: quay.io/openshift-release-dev/ocp-v4.0-art-dev
    mirrors:
    - ${mirrorHost}/openshift/release
`;
