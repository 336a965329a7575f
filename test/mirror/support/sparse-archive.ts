import { blobOf } from './fake-archive.ts';
import { TarBuilder, type TarFormat } from './tar-builder.ts';

/** A v2 chunk holding `images` images, each with one sparse layer of `layerBytes`. */
export async function writeSparseArchive(
  path: string,
  format: TarFormat,
  images: number,
  layerBytes: number,
): Promise<void> {
  const tar = await TarBuilder.create(path, format);
  const root = 'docker/registry/v2';
  for (let index = 0; index < images; index++) {
    const layer = `sha256:${index.toString(16).padStart(64, 'f')}`;
    const config = blobOf(`{"architecture":"amd64","os":"linux","n":${index}}`);
    const manifest = blobOf(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { digest: config.digest, size: 1 },
        layers: [{ digest: layer, size: layerBytes }],
      }),
    );
    const hex = (digest: string) => digest.slice(7);
    const blob = (digest: string) =>
      `${root}/blobs/sha256/${hex(digest).slice(0, 2)}/${hex(digest)}/data`;
    await tar.sparseFile(blob(layer), layerBytes);
    await tar.file(blob(config.digest), config.bytes);
    await tar.file(blob(manifest.digest), manifest.bytes);
    const repo = `${root}/repositories/openshift/release`;
    await tar.file(`${repo}/_layers/sha256/${hex(layer)}/link`, layer);
    await tar.file(`${repo}/_layers/sha256/${hex(config.digest)}/link`, config.digest);
    await tar.file(
      `${repo}/_manifests/revisions/sha256/${hex(manifest.digest)}/link`,
      manifest.digest,
    );
    await tar.file(
      `${repo}/_manifests/tags/4.14.3-x86_64-component-${index}/current/link`,
      manifest.digest,
    );
  }
  await tar.end();
}
