/**
 * A small oc-mirror v2 style archive made with the real tools: images built here as an OCI
 * layout, pushed with `skopeo` into a real `docker-registry` on loopback in a private network
 * namespace (push-to-registry.sh), then the registry's storage tree tarred with
 * `working-dir/cluster-resources/` (IDMS + signature ConfigMap) as oc-mirror lays it out.
 *
 * Content: a "release" image whose last layer carries release-manifests/image-references
 * naming three components (etcd, cli, machine-os; machine-os is a manifest list for amd64 and
 * arm64; cli has a sigstore `.sig` tag), an operator catalog named by a CatalogSource, plus two broken releases under other tags: one whose
 * image-references is not JSON, one that is a manifest list with an arm64 image only.
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { releaseSignatureConfigMap, requireTool, runOk } from '@hostmirror/fixtures';
import { type Descriptor, OciLayout } from './oci-layout.ts';

const here = dirname(fileURLToPath(import.meta.url));
export const COMPONENT_SOURCE = 'quay.io/openshift-release-dev/ocp-v4.0-art-dev';
export const RELEASE_SOURCE = 'quay.io/openshift-release-dev/ocp-release';
export const RELEASE_TAG = '4.14.3-x86_64';
export const CORRUPT_RELEASE_TAG = '4.14.3-corrupt';
export const ARM_ONLY_RELEASE_TAG = '4.14.3-arm-only';
/** The oc-mirror destination named in the IDMS (the archive does not care which host). */
export const IDMS_DESTINATION = 'registry.example:5000';
const REGISTRY_TREE = 'docker/registry/v2';
export const CATALOG_REPOSITORY = 'redhat/redhat-operator-index';
export const CATALOG_TAG = 'v4.14';
/** Operator content keeps its path in the mirror (docs/mirror.md#naming): source host + this path. */
export const OPERATOR_SOURCE_HOST = 'registry.example.com';
export const BUNDLE_REPOSITORY = 'foo/foo-operator-bundle';
export const OPERATOR_REPOSITORY = 'foo/foo-operator';
export const BUNDLE_NAME = 'foo-operator.v1.0.0';
/** An additionalImages entry of the archive's ImageSetConfiguration, mirrored by tag (ITMS). */
export const TOOLBOX_REPOSITORY = 'tools/toolbox';
export const TOOLBOX_TAG = 'v1';
/** oc-mirror v2's ImageSetConfiguration copy: `isc_<RFC3339 time>` at the archive's top level. */
const ISC_MEMBER = 'isc_2026-11-30T00:00:00Z';

export interface FixtureComponent {
  name: string;
  digest: string;
}

export interface MirrorFixture {
  work: string;
  /** The complete archive (one chunk). */
  archive: string;
  release: { digest: string; lastLayer: string };
  components: FixtureComponent[];
  /** The operator bundle the catalog lists, and its related operator image. */
  bundle: { digest: string; operatorDigest: string };
  /** The same archive without some paths: registry ones relative to docker/registry/v2/, or working-dir/…. */
  variant(name: string, exclude: string[]): Promise<string>;
  /**
   * The same content split in two chunks as a differential pair: `mirror_000001.tar` holds the
   * blobs, `mirror_000002.tar` the repositories and working-dir.
   */
  splitChunks(name: string): Promise<[string, string]>;
  /** Registry path of a manifest revision and of a tag, for `variant`. */
  revisionPath(repository: string, digest: string): string;
  tagPath(repository: string, tag: string): string;
  blobPath(digest: string): string;
  cleanup(): Promise<void>;
}

function imageStream(name: string, components: FixtureComponent[]): string {
  return JSON.stringify(
    {
      kind: 'ImageStream',
      apiVersion: 'image.openshift.io/v1',
      metadata: { name, creationTimestamp: null },
      spec: {
        lookupPolicy: { local: false },
        tags: components.map((component) => ({
          name: component.name,
          from: { kind: 'DockerImage', name: `${COMPONENT_SOURCE}@${component.digest}` },
          importPolicy: {},
          referencePolicy: { type: 'Source' },
        })),
      },
    },
    null,
    2,
  );
}

function releaseMetadata(version: string): string {
  return JSON.stringify({
    kind: 'cincinnati-metadata-v0',
    version,
    previous: ['4.14.2'],
    metadata: {},
  });
}

const BASE_LAYER = { 'etc/os-release': 'ID=fixture\n', 'usr/bin/cluster-version-operator': 'cvo' };

async function buildImages(layout: OciLayout) {
  const etcd = await layout.image([{ 'usr/bin/etcd': 'etcd binary' }, { 'etc/etcd.conf': 'x' }]);
  const cli = await layout.image([{ 'usr/bin/oc': 'oc binary' }]);
  const osAmd = await layout.image([{ 'usr/lib/os': 'amd64 os' }], 'amd64');
  const osArm = await layout.image([{ 'usr/lib/os': 'arm64 os' }], 'arm64');
  const machineOs = await layout.index([osAmd, osArm]);
  const signature = await layout.image([{ 'signature.json': '{"critical":{}}' }]);
  const operator = await layout.image([{ manager: 'operator binary' }]);
  const toolbox = await layout.image([{ 'usr/bin/toolbox': 'toolbox' }]);
  const bundle = await layout.image([
    { 'manifests/foo.clusterserviceversion.yaml': 'kind: ClusterServiceVersion\n' },
  ]);
  const catalog = await layout.image(
    [
      { 'bin/opm': 'opm' },
      { 'catalog/foo-operator/catalog.json': fileBasedCatalog(bundle.digest, operator.digest) },
    ],
    'amd64',
    { 'operators.operatorframework.io.index.configs.v1': '/catalog' },
  );
  const components = [
    { name: 'etcd', digest: etcd.digest },
    { name: 'cli', digest: cli.digest },
    { name: 'machine-os', digest: machineOs.digest },
  ];
  const releaseFiles = (imageReferences: string, architecture: string) => ({
    'release-manifests/0000_00_cluster-version-operator_00_namespace.yaml': 'kind: Namespace\n',
    'release-manifests/image-references': imageReferences,
    'release-manifests/release-metadata': releaseMetadata(`4.14.3-${architecture}`),
  });
  const release = await layout.image([
    BASE_LAYER,
    releaseFiles(imageStream('4.14.3', components), 'amd64'),
  ]);
  const corrupt = await layout.image([
    BASE_LAYER,
    releaseFiles(imageStream('4.14.3', components).slice(0, 120), 'amd64'),
  ]);
  const armRelease = await layout.image(
    [BASE_LAYER, releaseFiles(imageStream('4.14.3', components), 'arm64')],
    'arm64',
  );
  const armOnly = await layout.index([armRelease]);
  return {
    etcd,
    toolbox,
    cli,
    machineOs,
    signature,
    catalog,
    bundle,
    operator,
    components,
    release,
    corrupt,
    armOnly,
  };
}

/** A file-based catalog (opm's JSON stream): one package, channel and bundle. */
function fileBasedCatalog(bundleDigest: string, operatorDigest: string): string {
  const bundleImage = `${OPERATOR_SOURCE_HOST}/${BUNDLE_REPOSITORY}@${bundleDigest}`;
  return [
    { schema: 'olm.package', name: 'foo-operator', defaultChannel: 'stable' },
    {
      schema: 'olm.channel',
      package: 'foo-operator',
      name: 'stable',
      entries: [{ name: BUNDLE_NAME }],
    },
    {
      schema: 'olm.bundle',
      name: BUNDLE_NAME,
      package: 'foo-operator',
      image: bundleImage,
      properties: [
        { type: 'olm.package', value: { packageName: 'foo-operator', version: '1.0.0' } },
      ],
      relatedImages: [
        { name: '', image: bundleImage },
        {
          name: 'manager',
          image: `${OPERATOR_SOURCE_HOST}/${OPERATOR_REPOSITORY}@${operatorDigest}`,
        },
      ],
    },
  ]
    .map((object) => JSON.stringify(object, null, 2))
    .join('\n');
}

function itmsYaml(): string {
  return `---
apiVersion: config.openshift.io/v1
kind: ImageTagMirrorSet
metadata:
  name: itms-generic-0
spec:
  imageTagMirrors:
  - mirrors:
    - ${IDMS_DESTINATION}/${TOOLBOX_REPOSITORY}
    source: ${OPERATOR_SOURCE_HOST}/${TOOLBOX_REPOSITORY}
`;
}

/** The ImageSetConfiguration the archive was made with: one additional image, one blocked. */
function imageSetConfig(): string {
  return `kind: ImageSetConfiguration
apiVersion: mirror.openshift.io/v2alpha1
mirror:
  additionalImages:
  - name: ${OPERATOR_SOURCE_HOST}/${TOOLBOX_REPOSITORY}:${TOOLBOX_TAG}
  - name: ${OPERATOR_SOURCE_HOST}/tools/left-out:v1
  blockedImages:
  - name: ${OPERATOR_SOURCE_HOST}/tools/left-out:v1
`;
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
    - ${IDMS_DESTINATION}/openshift/release
    source: ${COMPONENT_SOURCE}
  - mirrors:
    - ${IDMS_DESTINATION}/openshift/release-images
    source: ${RELEASE_SOURCE}
---
apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata:
  name: idms-operator-0
spec:
  imageDigestMirrors:
  - mirrors:
    - ${IDMS_DESTINATION}/foo
    source: ${OPERATOR_SOURCE_HOST}/foo
`;
}

/** As oc-mirror writes it: the catalog at the destination registry it mirrored to. */
function catalogSource(): string {
  return `apiVersion: operators.coreos.com/v1alpha1
kind: CatalogSource
metadata:
  name: cs-redhat-operator-index-v4-14
  namespace: openshift-marketplace
spec:
  image: ${IDMS_DESTINATION}/${CATALOG_REPOSITORY}:${CATALOG_TAG}
  sourceType: grpc
`;
}

export async function buildMirrorFixture(): Promise<MirrorFixture> {
  await Promise.all([
    requireTool('skopeo'),
    requireTool('docker-registry'),
    requireTool('unshare'),
    requireTool('ip'),
  ]);
  const tar = await requireTool('tar', 'tar');
  const work = await mkdtemp(join(tmpdir(), 'hm-mirror-check-'));
  const layout = new OciLayout(join(work, 'layout'));
  const images = await buildImages(layout);
  const plan: [string, Descriptor, string, boolean][] = [
    ['release', images.release, `openshift/release-images:${RELEASE_TAG}`, false],
    ['corrupt', images.corrupt, `openshift/release-images:${CORRUPT_RELEASE_TAG}`, false],
    ['arm-only', images.armOnly, `openshift/release-images:${ARM_ONLY_RELEASE_TAG}`, true],
    ['etcd', images.etcd, `openshift/release:${RELEASE_TAG}-etcd`, false],
    ['cli', images.cli, `openshift/release:${RELEASE_TAG}-cli`, false],
    ['machine-os', images.machineOs, `openshift/release:${RELEASE_TAG}-machine-os`, true],
    [
      'cli-sig',
      images.signature,
      `openshift/release:${images.cli.digest.replace(':', '-')}.sig`,
      false,
    ],
    ['catalog', images.catalog, `${CATALOG_REPOSITORY}:${CATALOG_TAG}`, false],
    ['toolbox', images.toolbox, `${TOOLBOX_REPOSITORY}:${TOOLBOX_TAG}`, false],
    [
      'bundle',
      images.bundle,
      `${BUNDLE_REPOSITORY}:${images.bundle.digest.replace(':', '-')}`,
      false,
    ],
    [
      'operator',
      images.operator,
      `${OPERATOR_REPOSITORY}:${images.operator.digest.replace(':', '-')}`,
      false,
    ],
  ];
  for (const [ref, descriptor] of plan) layout.tag(ref, descriptor);
  await layout.finish();
  const planFile = join(work, 'push-plan.txt');
  await writeFile(
    planFile,
    plan.map(([ref, , destination, all]) => `${ref} ${destination}${all ? ' all' : ''}\n`).join(''),
  );
  const root = join(work, 'root');
  await mkdir(root);
  await runOk(join(here, 'push-to-registry.sh'), [layout.dir, root, planFile], {
    timeoutMs: 60_000,
  });
  const resources = join(root, 'working-dir', 'cluster-resources');
  await mkdir(resources, { recursive: true });
  await writeFile(join(resources, 'idms-oc-mirror.yaml'), idmsYaml());
  await writeFile(
    join(resources, 'signature-configmap.yaml'),
    releaseSignatureConfigMap(images.release.digest, 'fixture signature'),
  );
  await writeFile(join(resources, 'cs-redhat-operator-index-v4-14.yaml'), catalogSource());
  await writeFile(join(resources, 'itms-oc-mirror.yaml'), itmsYaml());
  const signatures = join(root, 'working-dir', 'signatures');
  await mkdir(signatures);
  await writeFile(
    join(signatures, `${RELEASE_TAG}-${images.release.digest.replace(':', '-')}`),
    'fixture signature',
  );
  await writeFile(join(root, ISC_MEMBER), imageSetConfig());

  const makeArchive = async (name: string, exclude: string[]): Promise<string> => {
    const folder = join(work, name);
    await mkdir(folder, { recursive: true });
    const path = join(folder, 'mirror_000001.tar');
    const excludes = exclude.map(
      (member) =>
        `--exclude=${member.startsWith('working-dir/') ? member : `${REGISTRY_TREE}/${member}`}`,
    );
    await runOk(
      tar,
      ['-C', root, '-cf', path, '--sort=name', ...excludes, 'docker', 'working-dir', ISC_MEMBER],
      {
        timeoutMs: 30_000,
      },
    );
    return path;
  };
  const hex = (digest: string) => digest.slice('sha256:'.length);
  const releaseManifest = JSON.parse(
    await readFile(join(layout.dir, 'blobs', 'sha256', hex(images.release.digest)), 'utf8'),
  ) as { layers: { digest: string }[] };
  return {
    work,
    archive: await makeArchive('complete', []),
    release: {
      digest: images.release.digest,
      lastLayer: releaseManifest.layers.at(-1)?.digest ?? '',
    },
    components: images.components,
    bundle: { digest: images.bundle.digest, operatorDigest: images.operator.digest },
    variant: makeArchive,
    splitChunks: async (name) => {
      const folder = join(work, name);
      await mkdir(folder, { recursive: true });
      const first = join(folder, 'mirror_000001.tar');
      const second = join(folder, 'mirror_000002.tar');
      const options = { timeoutMs: 30_000 };
      await runOk(
        tar,
        ['-C', root, '-cf', first, '--sort=name', `${REGISTRY_TREE}/blobs`],
        options,
      );
      await runOk(
        tar,
        [
          '-C',
          root,
          '-cf',
          second,
          '--sort=name',
          `${REGISTRY_TREE}/repositories`,
          'working-dir',
          ISC_MEMBER,
        ],
        options,
      );
      return [first, second];
    },
    revisionPath: (repository, digest) =>
      `repositories/${repository}/_manifests/revisions/sha256/${hex(digest)}`,
    tagPath: (repository, tag) => `repositories/${repository}/_manifests/tags/${tag}`,
    blobPath: (digest) => `blobs/sha256/${hex(digest).slice(0, 2)}/${hex(digest)}`,
    cleanup: () => rm(work, { recursive: true, force: true }),
  };
}
