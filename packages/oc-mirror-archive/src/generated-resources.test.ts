import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  m2dReleaseHex as hex,
  M2D_CATALOG_FILTER_TAG,
  makeImage,
  m2dRelease as release,
  M2D_SIGNATURE_BYTES as SIGNATURE_BYTES,
  writeChunk,
  writeMirrorToDiskArchive,
} from '@hostmirror/fixtures';
import { parse, stringify } from 'yaml';
import { MirrorArchive } from './archive-index.ts';
import { parseRecordedImageSetConfig } from './archive-records.ts';
import { resolveArchiveRelease } from './archive-release.ts';
import { mapArchiveSources, sourceOfRepository } from './archive-sources.ts';
import { archiveMirrorResources } from './generated-resources.ts';

const work = mkdtempSync(join(tmpdir(), 'hostmirror-generated-'));
after(() => rmSync(work, { recursive: true, force: true }));

async function mirrorToDiskArchive(name: string): Promise<MirrorArchive> {
  return MirrorArchive.open([await writeMirrorToDiskArchive(join(work, name))]);
}

describe('cluster resources from the archive records', () => {
  it('mapsEveryRepositoryOrNamesIt', async () => {
    const archive = await mirrorToDiskArchive('m2d');
    const sources = await mapArchiveSources(archive);
    assert.deepEqual(
      sources.sources.map((entry) => [
        entry.repository,
        entry.source,
        entry.mirror,
        entry.byDigest,
        entry.byTag,
      ]),
      [
        [
          'openshift/release-images',
          'quay.io/openshift-release-dev/ocp-release',
          'openshift/release-images',
          true,
          false,
        ],
        [
          'openshift/release',
          'quay.io/openshift-release-dev/ocp-v4.0-art-dev',
          'openshift/release',
          true,
          false,
        ],
        ['ubi9/ubi', 'registry.redhat.io/ubi9', 'ubi9', false, true],
        ['ubi9/ubi-minimal', 'registry.redhat.io/ubi9', 'ubi9', true, false],
        // From the rebuilt catalog's olm.bundle: the bundle image and its related image.
        ['foo/foo-operator-bundle', 'registry.example.com/foo', 'foo', true, false],
        ['foo/foo-rhel9', 'registry.example.com/foo', 'foo', true, false],
      ],
    );
    assert.deepEqual(
      sources.catalogs.map((entry) => [entry.repository, entry.tag, entry.imageTag, entry.bundles]),
      [['redhat/redhat-operator-index', 'v4.14', M2D_CATALOG_FILTER_TAG, 1]],
    );
    assert.deepEqual(sources.notes, []);
    assert.deepEqual(
      sources.unmapped.map((entry) => entry.repository),
      ['old/thing'],
    );
    assert.equal(
      sourceOfRepository(sources, 'ubi9/ubi-minimal'),
      'registry.redhat.io/ubi9/ubi-minimal',
    );
  });

  it('generatesWhatDiskToMirrorWrites', async () => {
    const archive = await mirrorToDiskArchive('m2d-generate');
    const made = await archiveMirrorResources(archive, 'mirror.local:5000');
    assert.equal(made.generated, true);
    assert.deepEqual(
      made.files.map((file) => file.name),
      [
        'cc-redhat-operator-index-v4-14.yaml',
        'cs-redhat-operator-index-v4-14.yaml',
        'idms-oc-mirror.yaml',
        'itms-oc-mirror.yaml',
        'signature-configmap.yaml',
      ],
    );
    const idms = made.files.find((file) => file.name === 'idms-oc-mirror.yaml')?.text ?? '';
    assert.match(idms, /^---\napiVersion: config.openshift.io\/v1\nkind: ImageDigestMirrorSet\n/);
    assert.deepEqual(
      made.resources.imageDigestMirrors.map((entry) => [entry.origin, entry.source, entry.mirrors]),
      [
        [
          'IDMS/idms-release-0',
          'quay.io/openshift-release-dev/ocp-release',
          ['mirror.local:5000/openshift/release-images'],
        ],
        [
          'IDMS/idms-release-0',
          'quay.io/openshift-release-dev/ocp-v4.0-art-dev',
          ['mirror.local:5000/openshift/release'],
        ],
        ['IDMS/idms-operator-0', 'registry.example.com/foo', ['mirror.local:5000/foo']],
        ['IDMS/idms-generic-0', 'registry.redhat.io/ubi9', ['mirror.local:5000/ubi9']],
      ],
    );
    assert.deepEqual(
      made.resources.imageTagMirrors.map((entry) => [entry.origin, entry.source, entry.mirrors]),
      [['ITMS/itms-generic-0', 'registry.redhat.io/ubi9', ['mirror.local:5000/ubi9']]],
    );
    assert.deepEqual(made.resources.catalogSources, [
      {
        name: 'cs-redhat-operator-index-v4-14',
        namespace: 'openshift-marketplace',
        // The rebuilt (filtered) catalog: the ISC's tag keeps the unfiltered one in the cache.
        image: `mirror.local:5000/redhat/redhat-operator-index:${M2D_CATALOG_FILTER_TAG}`,
      },
    ]);
    const configMap = parse(
      made.files.find((file) => file.name === 'signature-configmap.yaml')?.text ?? '',
    );
    assert.equal(configMap.metadata.name, 'mirrored-release-signatures');
    assert.equal(configMap.metadata.namespace, 'openshift-config-managed');
    assert.deepEqual(configMap.metadata.labels, {
      'release.openshift.io/verification-signatures': '',
    });
    assert.deepEqual(Object.keys(configMap.binaryData), [`sha256-${hex}-1`]);
    assert.deepEqual(
      Buffer.from(configMap.binaryData[`sha256-${hex}-1`], 'base64'),
      SIGNATURE_BYTES,
    );
    assert.equal(made.warnings.length, 1);
    assert.match(made.warnings[0] ?? '', /old\/thing gets no mirror rule/);
  });

  it('findsTheReleaseOnceBesideItsCosignSignature', async () => {
    const archive = await mirrorToDiskArchive('m2d-release');
    const sources = await mapArchiveSources(archive);
    const found = resolveArchiveRelease(archive, {
      sourceOf: (repository) => sourceOfRepository(sources, repository),
    });
    assert.deepEqual(found, {
      repository: 'openshift/release-images',
      digest: release.manifest.digest,
      tags: ['4.14.3-x86_64'],
      signatureTags: [`sha256-${hex}.sig`],
      source: 'quay.io/openshift-release-dev/ocp-release',
      reference: `quay.io/openshift-release-dev/ocp-release@${release.manifest.digest}`,
      chosenBy: 'only-release',
    });
    assert.equal(
      resolveArchiveRelease(archive, { given: '4.14.3-x86_64' }).digest,
      release.manifest.digest,
    );
    assert.throws(() => resolveArchiveRelease(archive, { given: '4.15.0-x86_64' }), {
      code: 'RELEASE_NOT_IN_ARCHIVE',
    });
  });

  it('aMultiDocumentImageSetConfigurationIsRefusedOrReadAsOcMirrorDid', () => {
    const two = `kind: ImageSetConfiguration
apiVersion: mirror.openshift.io/v2alpha1
mirror: {additionalImages: [{name: registry.redhat.io/ubi9/ubi:latest}]}
---
kind: ImageSetConfiguration
apiVersion: mirror.openshift.io/v2alpha1
mirror: {additionalImages: [{name: quay.io/other/image:1}]}
`;
    assert.throws(() => parseRecordedImageSetConfig(two, 'isc.yaml'), {
      code: 'BAD_IMAGE_SET_CONFIG',
      message: /isc\.yaml holds 2 YAML documents.*Keep one ImageSetConfiguration/,
    });
    const read = parseRecordedImageSetConfig(two, 'isc_copy', { multiDocument: 'first' });
    assert.deepEqual(
      read.additionalImages.map((image) => image.name),
      ['registry.redhat.io/ubi9/ubi:latest'],
    );
    assert.match(read.notes[0] ?? '', /document 1 was read, the others ignored/);
  });

  it('oc-mirror writes its signature ConfigMap as json and yaml: one resource', async () => {
    const configMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'mirrored-release-signatures',
        namespace: 'openshift-config-managed',
        labels: { 'release.openshift.io/verification-signatures': '' },
      },
      binaryData: { [`sha256-${hex}-1`]: SIGNATURE_BYTES.toString('base64') },
    };
    const dir = join(work, 'both-formats');
    mkdirSync(dir);
    const path = join(dir, 'mirror_000001.tar');
    await writeChunk(path, {
      images: [release],
      clusterResources: {
        'signature-configmap.json': JSON.stringify(configMap),
        'signature-configmap.yaml': stringify(configMap),
      },
    });
    const resources = await (await MirrorArchive.open([path])).readClusterResources();
    assert.deepEqual(
      resources.signatureConfigMaps.map((item) => [item.name, item.keys]),
      [['mirrored-release-signatures', [`sha256-${hex}-1`]]],
    );
    assert.equal(resources.documents.filter((doc) => doc.kind === 'ConfigMap').length, 1);
  });

  it('anOkdReleaseTakesItsSourceFromTheCincinnatiGraphOcMirrorKept', async () => {
    // oc-mirror mirrors OKD from the payloads its OKD graph names and keeps that graph in
    // working-dir/hold-release/cincinnati-graph-data/<arch>-<channel>.json (core-cincinnati.go).
    const tag = '4.15.0-0.okd-2024-03-10-010116';
    const okd = makeImage({ repository: 'openshift/release-images', tag, layers: ['okd'] });
    const okdCli = makeImage({ repository: 'openshift/release', tag: `${tag}-cli`, layers: ['c'] });
    const other = makeImage({ repository: 'x/y', tag: '1', layers: ['other release'] });
    const graph = JSON.stringify({
      nodes: [
        {
          version: '4.14.0-0.okd-2023-12-01-225814',
          payload: `quay.io/openshift/okd@${other.manifest.digest}`,
        },
        { version: tag, payload: `quay.io/openshift/okd@${okd.manifest.digest}` },
        { version: 'broken', payload: 'not a pull spec' },
      ],
      edges: [[0, 1]],
    });
    const okdIsc = `kind: ImageSetConfiguration
apiVersion: mirror.openshift.io/v2alpha1
mirror:
  platform:
    channels:
    - name: stable-4
      type: okd
      minVersion: ${tag}
      maxVersion: ${tag}
`;
    const references = JSON.stringify({
      kind: 'ImageStream',
      apiVersion: 'image.openshift.io/v1',
      spec: {
        tags: [
          {
            name: 'cli',
            from: {
              kind: 'DockerImage',
              name: `quay.io/openshift/okd-content@${okdCli.manifest.digest}`,
            },
          },
        ],
      },
    });
    const write = async (name: string, withGraph: boolean) => {
      const dir = join(work, name);
      mkdirSync(dir);
      const path = join(dir, 'mirror_000001.tar');
      await writeChunk(path, {
        images: [okd, okdCli],
        imageSetConfig: okdIsc,
        workingDir: {
          [`hold-release/okd/${tag}/release-manifests/image-references`]: references,
          ...(withGraph ? { 'hold-release/cincinnati-graph-data/amd64-stable-4.json': graph } : {}),
        },
      });
      return MirrorArchive.open([path]);
    };
    const archive = await write('okd', true);
    const sources = await mapArchiveSources(archive);
    assert.deepEqual(
      sources.sources.map((entry) => [entry.repository, entry.source, entry.byDigest, entry.byTag]),
      [
        ['openshift/release-images', 'quay.io/openshift/okd', true, false],
        ['openshift/release', 'quay.io/openshift/okd-content', true, false],
      ],
    );
    assert.match(
      sources.sources[0]?.record ?? '',
      /hold-release\/cincinnati-graph-data\/amd64-stable-4\.json payload of 4\.15\.0-0\.okd/,
    );
    assert.deepEqual(sources.unmapped, []);
    const made = await archiveMirrorResources(archive, 'mirror.local:5000');
    const idms = parse(made.files.find((file) => file.name === 'idms-oc-mirror.yaml')?.text ?? '');
    assert.deepEqual(idms.spec.imageDigestMirrors, [
      { source: 'quay.io/openshift/okd', mirrors: ['mirror.local:5000/openshift/release-images'] },
      { source: 'quay.io/openshift/okd-content', mirrors: ['mirror.local:5000/openshift/release'] },
    ]);
    assert.equal(
      resolveArchiveRelease(archive, {
        sourceOf: (repository) => sourceOfRepository(sources, repository),
      }).reference,
      `quay.io/openshift/okd@${okd.manifest.digest}`,
    );

    // Without the graph the OKD release repository cannot be known: named, with what is missing.
    const bare = await mapArchiveSources(await write('okd-no-graph', false));
    assert.deepEqual(
      bare.unmapped.map((entry) => entry.repository),
      ['openshift/release-images'],
    );
    assert.match(
      bare.unmapped[0]?.reason ?? '',
      /mirrors OKD \(channels of type okd\).*no working-dir\/hold-release\/cincinnati-graph-data\/<arch>-<channel>\.json with a payload of digest sha256:/,
    );
  });

  it('aDamagedGraphIsATypedError', async () => {
    const dir = join(work, 'bad-graph');
    mkdirSync(dir);
    const path = join(dir, 'mirror_000001.tar');
    await writeChunk(path, {
      images: [release],
      workingDir: { 'hold-release/cincinnati-graph-data/amd64-stable-4.14.json': '{"nodes": [' },
    });
    await assert.rejects(mapArchiveSources(await MirrorArchive.open([path])), {
      code: 'BAD_RELEASE_INFO',
      message: /amd64-stable-4\.14\.json in .*mirror_000001\.tar is not JSON/,
    });
  });
});
