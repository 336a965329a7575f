/**
 * The demo's oc-mirror v2 archive, made in TypeScript: a tiny OpenShift-shaped release (a
 * release image whose last layer holds `release-manifests/image-references` naming two
 * component images), stored the way distribution's filesystem driver stores pushed images
 * (docs/mirror.md#registry-layout: `docker/registry/v2/blobs/sha256/<2hex>/<hex>/data` and the
 * repositories' `link` files), plus `working-dir/cluster-resources/` with an IDMS and a release
 * signature ConfigMap as oc-mirror v2 writes them (docs/mirror.md#v2-archives, docs/mirror.md#cluster-resources). docker-registry serves
 * the unpacked tree as it is.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { RELEASE_IMAGES_REPOSITORY, RELEASE_SOURCE } from '../release.ts';
import { type TarMember, tarArchive } from './tar-writer.ts';

export const DEMO_RELEASE_VERSION = '4.14.3';
export const DEMO_RELEASE_TAG = `${DEMO_RELEASE_VERSION}-x86_64`;
/** Where OpenShift releases and their components come from (docs/mirror.md#naming). */
export const DEMO_RELEASE_SOURCE = RELEASE_SOURCE;
const DEMO_COMPONENT_SOURCE = 'quay.io/openshift-release-dev/ocp-v4.0-art-dev';
/** oc-mirror's repository for release components (docs/mirror.md#naming); releases go to RELEASE_IMAGES_REPOSITORY. */
const RELEASE_COMPONENTS_REPOSITORY = 'openshift/release';
/** The destination oc-mirror was given; build-iso relocates it to the hosts' registry. */
const IDMS_DESTINATION = 'registry.example.com:5000';
const REGISTRY_TREE = 'docker/registry/v2';
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

interface Blob {
  digest: string;
  bytes: Buffer;
}

export interface DemoImage {
  repository: string;
  tag: string;
  digest: string;
}

export interface DemoArchive {
  /** The tar file's bytes (`mirror_000001.tar`). */
  bytes: Buffer;
  release: DemoImage;
  components: DemoImage[];
}

const sha256 = (bytes: Uint8Array) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

class BlobStore {
  readonly blobs = new Map<string, Buffer>();

  add(bytes: Buffer): Blob {
    const digest = sha256(bytes);
    this.blobs.set(digest, bytes);
    return { digest, bytes };
  }
}

/** One gzip layer of `files` (path → text), and its uncompressed digest (the diff_id). */
function layer(store: BlobStore, files: Record<string, string>, mtime: number) {
  const tar = tarArchive(
    Object.entries(files)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([path, text]): TarMember => ({ path, data: Buffer.from(text) })),
    mtime,
  );
  // level 9 and no file name: the same bytes on every run (gzip -n).
  return { blob: store.add(gzipSync(tar, { level: 9 })), diffId: sha256(tar) };
}

function image(
  store: BlobStore,
  layers: Record<string, string>[],
  mtime: number,
): Blob & { blobs: Blob[] } {
  const built = layers.map((files) => layer(store, files, mtime));
  const config = store.add(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        created: new Date(mtime * 1000).toISOString(),
        rootfs: { type: 'layers', diff_ids: built.map(({ diffId }) => diffId) },
      }),
    ),
  );
  const manifest = store.add(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.bytes.length },
        layers: built.map(({ blob }) => ({
          mediaType: OCI_LAYER_GZIP,
          digest: blob.digest,
          size: blob.bytes.length,
        })),
      }),
    ),
  );
  return { ...manifest, blobs: [config, ...built.map(({ blob }) => blob)] };
}

function imageStream(components: { name: string; digest: string }[]): string {
  return `${JSON.stringify(
    {
      kind: 'ImageStream',
      apiVersion: 'image.openshift.io/v1',
      metadata: { name: DEMO_RELEASE_VERSION, creationTimestamp: null },
      spec: {
        lookupPolicy: { local: false },
        tags: components.map(({ name, digest }) => ({
          name,
          from: { kind: 'DockerImage', name: `${DEMO_COMPONENT_SOURCE}@${digest}` },
          importPolicy: {},
          referencePolicy: { type: 'Source' },
        })),
      },
    },
    null,
    2,
  )}\n`;
}

const link = (digest: string) => Buffer.from(digest);

/** The registry-storage members of one repository holding `tagged` images. */
function repositoryMembers(
  repository: string,
  tagged: { tag: string; image: Blob & { blobs: Blob[] } }[],
) {
  const base = `${REGISTRY_TREE}/repositories/${repository}`;
  const members: TarMember[] = [];
  for (const { tag, image: built } of tagged) {
    const hex = built.digest.slice('sha256:'.length);
    for (const blob of built.blobs)
      members.push({
        path: `${base}/_layers/sha256/${blob.digest.slice(7)}/link`,
        data: link(blob.digest),
      });
    members.push(
      { path: `${base}/_manifests/revisions/sha256/${hex}/link`, data: link(built.digest) },
      { path: `${base}/_manifests/tags/${tag}/current/link`, data: link(built.digest) },
      { path: `${base}/_manifests/tags/${tag}/index/sha256/${hex}/link`, data: link(built.digest) },
    );
  }
  return members;
}

function idmsYaml(): string {
  return `---
apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata:
  name: idms-release-0
  annotations:
    createdBy: oc-mirror v2
spec:
  imageDigestMirrors:
  - mirrors:
    - ${IDMS_DESTINATION}/${RELEASE_COMPONENTS_REPOSITORY}
    source: ${DEMO_COMPONENT_SOURCE}
  - mirrors:
    - ${IDMS_DESTINATION}/${RELEASE_IMAGES_REPOSITORY}
    source: ${DEMO_RELEASE_SOURCE}
`;
}

function signatureConfigMap(releaseDigest: string): string {
  return `apiVersion: v1
kind: ConfigMap
metadata:
  name: mirrored-release-signatures
  namespace: openshift-config-managed
  labels:
    release.openshift.io/verification-signatures: ""
binaryData:
  sha256-${releaseDigest.slice(7)}-1: ${Buffer.from('hostmirror demo: not a real signature').toString('base64')}
`;
}

/** Build the demo archive; the same `mtime` gives the same bytes. */
export function makeDemoArchive(mtime: number): DemoArchive {
  const store = new BlobStore();
  const base = { 'etc/os-release': 'ID=hostmirror-demo\nNAME="hostmirror demo release"\n' };
  const cli = image(store, [base, { 'usr/bin/oc': '#!/bin/sh\necho "demo oc"\n' }], mtime);
  const etcd = image(store, [base, { 'usr/bin/etcd': '#!/bin/sh\necho "demo etcd"\n' }], mtime);
  const componentList = [
    { name: 'cli', digest: cli.digest },
    { name: 'etcd', digest: etcd.digest },
  ];
  const release = image(
    store,
    [
      base,
      {
        'release-manifests/0000_00_cluster-version-operator_00_namespace.yaml':
          'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: openshift-cluster-version\n',
        'release-manifests/image-references': imageStream(componentList),
        'release-manifests/release-metadata': `${JSON.stringify({
          kind: 'cincinnati-metadata-v0',
          version: DEMO_RELEASE_VERSION,
          previous: [],
          metadata: {},
        })}\n`,
      },
    ],
    mtime,
  );
  const members: TarMember[] = [];
  for (const [digest, bytes] of [...store.blobs].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const hex = digest.slice(7);
    members.push({
      path: `${REGISTRY_TREE}/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`,
      data: bytes,
    });
  }
  members.push(
    ...repositoryMembers(RELEASE_IMAGES_REPOSITORY, [{ tag: DEMO_RELEASE_TAG, image: release }]),
    ...repositoryMembers(RELEASE_COMPONENTS_REPOSITORY, [
      { tag: `${DEMO_RELEASE_TAG}-cli`, image: cli },
      { tag: `${DEMO_RELEASE_TAG}-etcd`, image: etcd },
    ]),
    { path: 'working-dir/cluster-resources/idms-oc-mirror.yaml', data: Buffer.from(idmsYaml()) },
    {
      path: 'working-dir/cluster-resources/signature-configmap.yaml',
      data: Buffer.from(signatureConfigMap(release.digest)),
    },
  );
  return {
    bytes: tarArchive(members, mtime),
    release: {
      repository: RELEASE_IMAGES_REPOSITORY,
      tag: DEMO_RELEASE_TAG,
      digest: release.digest,
    },
    components: [
      {
        repository: RELEASE_COMPONENTS_REPOSITORY,
        tag: `${DEMO_RELEASE_TAG}-cli`,
        digest: cli.digest,
      },
      {
        repository: RELEASE_COMPONENTS_REPOSITORY,
        tag: `${DEMO_RELEASE_TAG}-etcd`,
        digest: etcd.digest,
      },
    ],
  };
}
