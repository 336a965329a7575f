import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeImage, writeChunk } from '@hostmirror/fixtures';
import { parse } from 'yaml';
import { MirrorArchive } from './archive-index.ts';
import { MirrorFormatError } from './errors.ts';
import { BOOTSTRAP_COMPONENTS, buildImageSetConfig, parseReleaseInfo } from './image-set-config.ts';
import { estimateSizesFromArchive } from './image-set-size.ts';

const releaseInfo = JSON.stringify({
  references: {
    spec: {
      tags: [...BOOTSTRAP_COMPONENTS.slice(0, 3), 'console', 'prometheus', 'etcd'].map(
        (name, index) => ({
          name,
          from: {
            kind: 'DockerImage',
            name: `quay.io/openshift-release-dev/ocp-v4.0-art-dev@sha256:${String(index).repeat(64)}`,
          },
        }),
      ),
    },
  },
});

function failsWith(code: string, run: () => unknown): void {
  assert.throws(run, (error: unknown) => error instanceof MirrorFormatError && error.code === code);
}

describe('buildImageSetConfig', () => {
  it('canonicalV2ForOneRelease', () => {
    const { yaml, document } = buildImageSetConfig({
      release: '4.14.3',
      architectures: ['x86_64'],
    });
    assert.equal(
      yaml,
      `kind: ImageSetConfiguration
apiVersion: mirror.openshift.io/v2alpha1
mirror:
  platform:
    architectures:
      - amd64
    channels:
      - name: stable-4.14
        type: ocp
        minVersion: 4.14.3
        maxVersion: 4.14.3
    graph: false
`,
    );
    assert.deepEqual(parse(yaml, { version: '1.1' }), document);
  });

  it('v1alpha2HasStorageConfig', () => {
    const { document } = buildImageSetConfig({
      apiVersion: 'mirror.openshift.io/v1alpha2',
      channel: 'stable-4.14',
      minVersion: '4.14.1',
      archiveSize: 8,
      operators: [
        {
          catalog: 'registry.redhat.io/redhat/redhat-operator-index:v4.14',
          packages: [{ name: 'lvms-operator', channels: ['stable-4.14'] }],
        },
      ],
      additionalImages: ['registry.redhat.io/ubi9/ubi:latest'],
    });
    assert.deepEqual(document, {
      kind: 'ImageSetConfiguration',
      apiVersion: 'mirror.openshift.io/v1alpha2',
      archiveSize: 8,
      storageConfig: { local: { path: './metadata' } },
      mirror: {
        platform: {
          architectures: ['amd64'],
          channels: [{ name: 'stable-4.14', type: 'ocp', minVersion: '4.14.1' }],
          graph: false,
        },
        operators: [
          {
            catalog: 'registry.redhat.io/redhat/redhat-operator-index:v4.14',
            packages: [{ name: 'lvms-operator', channels: [{ name: 'stable-4.14' }] }],
          },
        ],
        additionalImages: [{ name: 'registry.redhat.io/ubi9/ubi:latest' }],
      },
    });
  });

  it('bootstrapOnlyBlocksTheRest', () => {
    const components = parseReleaseInfo(releaseInfo);
    const config = buildImageSetConfig({
      release: '4.14.3',
      bootstrapOnly: true,
      releaseComponents: components,
    });
    const blocked = (
      config.document.mirror as { blockedImages: { name: string }[] }
    ).blockedImages.map((image) => image.name);
    assert.deepEqual(blocked, [components[3]?.image, components[4]?.image]);
    assert.equal(config.estimate?.full.components, 6);
    assert.equal(config.estimate?.bootstrapOnly.components, 4);
    assert.ok((config.estimate?.bootstrapOnly.bytes ?? 0) < (config.estimate?.full.bytes ?? 0));
    // It says plainly that its archive cannot complete an install, and what can.
    assert.equal(config.notes.length, 1);
    assert.match(config.notes[0] ?? '', /CANNOT complete an install.*without --bootstrap-only/);
    assert.ok(config.yaml.startsWith(`# ${config.notes[0]}\n`));
    assert.deepEqual(parse(config.yaml), config.document, 'the notice is a comment, not data');
    assert.deepEqual(buildImageSetConfig({ release: '4.14.3' }).notes, []);
  });

  it('releaseByPullSpecIsPlatformRelease', () => {
    const digest = `sha256:${'ab'.repeat(32)}`;
    const config = buildImageSetConfig({
      release: `quay.io/openshift-release-dev/ocp-release@${digest}`,
    });
    assert.deepEqual((config.document.mirror as { platform: unknown }).platform, {
      architectures: ['amd64'],
      release: `quay.io/openshift-release-dev/ocp-release@${digest}`,
      graph: false,
    });
    failsWith('BAD_IMAGE_SET_OPTIONS', () =>
      buildImageSetConfig({
        release: `quay.io/openshift-release-dev/ocp-release@${digest}`,
        apiVersion: 'mirror.openshift.io/v1alpha2',
      }),
    );
    failsWith('BAD_IMAGE_SET_OPTIONS', () =>
      buildImageSetConfig({ release: 'quay.io/Bad Spec@sha256:1' }),
    );
  });

  it('badOptionsRefused', () => {
    failsWith('BAD_IMAGE_SET_OPTIONS', () => buildImageSetConfig({ release: '4.14' }));
    failsWith('BAD_IMAGE_SET_OPTIONS', () => buildImageSetConfig({}));
    failsWith('BAD_IMAGE_SET_OPTIONS', () =>
      buildImageSetConfig({ release: '4.14.3', architectures: ['i386'] }),
    );
    failsWith('BAD_IMAGE_SET_OPTIONS', () =>
      buildImageSetConfig({ release: '4.14.3', bootstrapOnly: true }),
    );
    failsWith('BAD_RELEASE_INFO', () => parseReleaseInfo('{"references":{}}'));
    failsWith('BAD_RELEASE_INFO', () => parseReleaseInfo('not json'));
  });
});

describe('estimateSizesFromArchive', () => {
  it('uniqueBlobsOfBootstrapComponents', async () => {
    const work = mkdtempSync(join(tmpdir(), 'hostmirror-size-'));
    try {
      const etcd = makeImage({
        repository: 'openshift/release',
        tag: 'etcd',
        layers: ['base'.repeat(100), 'etcd'.repeat(50)],
      });
      const consoleImage = makeImage({
        repository: 'openshift/release',
        tag: 'console',
        layers: ['base'.repeat(100), 'console'.repeat(1000)],
      });
      const path = join(work, 'mirror_000001.tar');
      await writeChunk(path, { images: [etcd, consoleImage] });
      const archive = await MirrorArchive.open([path]);
      const art = 'quay.io/openshift-release-dev/ocp-v4.0-art-dev';
      const estimate = await estimateSizesFromArchive(archive, [
        { name: 'etcd', image: `${art}@${etcd.manifest.digest}` },
        { name: 'console', image: `${art}@${consoleImage.manifest.digest}` },
        { name: 'absent', image: `${art}@sha256:${'0'.repeat(64)}` },
      ]);
      const size = (blobs: { bytes: Buffer }[]) =>
        blobs.reduce((sum, blob) => sum + blob.bytes.length, 0);
      const etcdBlobs = [etcd.manifest, etcd.config, ...etcd.layers];
      assert.equal(estimate.bootstrapOnly.bytes, size(etcdBlobs));
      assert.equal(
        estimate.full.bytes,
        size(etcdBlobs) +
          size([consoleImage.manifest, consoleImage.config, consoleImage.layers[1] ?? etcd.config]),
      );
      assert.deepEqual(estimate.missing, ['absent']);
      assert.equal(estimate.full.components, 2);
      assert.equal(estimate.bootstrapOnly.components, 1);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  });
});
