/**
 * Tiny OCI image layouts written by hand (image-spec `image-layout.md`), so the mirror-check
 * tests build their images without a network or a container engine: deterministic tar layers
 * (ustar, fixed mtime), gzip'd, a config, a manifest, and optionally an index of platforms.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { tarHeaderBlock } from '@hostmirror/fixtures';

const BLOCK = 512;
const MEDIA = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string };
}

/** A ustar archive of regular files (mode 0644, uid/gid 0, a fixed mtime): reproducible bytes. */
export function tarFiles(files: Record<string, string | Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const [path, content] of Object.entries(files)) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
    parts.push(tarHeaderBlock(path, data.length, 'pax', {}), data);
    parts.push(Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** One OCI layout folder holding many images, each under its own ref name. */
export class OciLayout {
  readonly dir: string;
  readonly #refs: { ref: string; descriptor: Descriptor }[] = [];

  constructor(dir: string) {
    this.dir = dir;
  }

  async blob(bytes: Buffer, mediaType: string): Promise<Descriptor> {
    const digest = sha256(bytes);
    await mkdir(join(this.dir, 'blobs', 'sha256'), { recursive: true });
    await writeFile(join(this.dir, 'blobs', 'sha256', digest.slice('sha256:'.length)), bytes);
    return { mediaType, digest, size: bytes.length };
  }

  /** An image whose layers are the given file sets (first = bottom). */
  async image(
    layers: Record<string, string | Buffer>[],
    architecture = 'amd64',
    labels: Record<string, string> = {},
  ): Promise<Descriptor> {
    const tars = layers.map(tarFiles);
    const layerDescriptors = await Promise.all(
      tars.map((tar) => this.blob(gzipSync(tar, { level: 6 }), MEDIA.layer)),
    );
    const config = Buffer.from(
      JSON.stringify({
        architecture,
        os: 'linux',
        config: { Labels: labels },
        rootfs: { type: 'layers', diff_ids: tars.map(sha256) },
      }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MEDIA.manifest,
        config: await this.blob(config, MEDIA.config),
        layers: layerDescriptors,
      }),
    );
    return {
      ...(await this.blob(manifest, MEDIA.manifest)),
      platform: { architecture, os: 'linux' },
    };
  }

  async index(children: Descriptor[]): Promise<Descriptor> {
    const index = Buffer.from(
      JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.index, manifests: children }),
    );
    return this.blob(index, MEDIA.index);
  }

  tag(ref: string, descriptor: Descriptor): void {
    this.#refs.push({ ref, descriptor });
  }

  /** Write index.json and oci-layout; call after every tag. */
  async finish(): Promise<void> {
    await writeFile(join(this.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    const manifests = this.#refs.map(({ ref, descriptor }) => ({
      mediaType: descriptor.mediaType,
      digest: descriptor.digest,
      size: descriptor.size,
      annotations: { 'org.opencontainers.image.ref.name': ref },
    }));
    await writeFile(join(this.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }));
  }
}
