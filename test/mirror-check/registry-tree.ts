/**
 * Write a distribution registry storage tree directly (the layout docker-registry wrote in
 * fixture.ts, docs/mirror.md#registry-layout), for archives too large to push one image at a time: the timing
 * test's release of ~200 components. Blobs under `blobs/sha256/<2>/<hex>/data`, repositories'
 * `_manifests/revisions`, `_manifests/tags/<tag>/{current,index}` and `_layers` link files.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { sha256, tarFiles } from './oci-layout.ts';

const V2 = ['docker', 'registry', 'v2'];

export class RegistryTree {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  async blob(bytes: Buffer): Promise<{ digest: string; size: number }> {
    const digest = sha256(bytes);
    const hex = digest.slice('sha256:'.length);
    const folder = join(this.root, ...V2, 'blobs', 'sha256', hex.slice(0, 2), hex);
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'data'), bytes);
    return { digest, size: bytes.length };
  }

  async #link(path: string[], digest: string): Promise<void> {
    const folder = join(this.root, ...V2, 'repositories', ...path);
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'link'), digest);
  }

  /** Push an image (layers of files) into `repository` under `tag`; returns its manifest digest. */
  async image(repository: string, tag: string, layers: Record<string, string>[]): Promise<string> {
    const repo = repository.split('/');
    const tars = layers.map(tarFiles);
    const layerBlobs = [];
    for (const tar of tars) layerBlobs.push(await this.blob(gzipSync(tar)));
    const config = await this.blob(
      Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          rootfs: { type: 'layers', diff_ids: tars.map(sha256) },
        }),
      ),
    );
    const manifest = await this.blob(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
          layers: layerBlobs.map((blob) => ({
            mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
            ...blob,
          })),
        }),
      ),
    );
    const hex = (digest: string) => digest.slice('sha256:'.length);
    for (const blob of [config, ...layerBlobs])
      await this.#link([...repo, '_layers', 'sha256', hex(blob.digest)], blob.digest);
    await this.#link(
      [...repo, '_manifests', 'revisions', 'sha256', hex(manifest.digest)],
      manifest.digest,
    );
    await this.#link([...repo, '_manifests', 'tags', tag, 'current'], manifest.digest);
    await this.#link(
      [...repo, '_manifests', 'tags', tag, 'index', 'sha256', hex(manifest.digest)],
      manifest.digest,
    );
    return manifest.digest;
  }
}
