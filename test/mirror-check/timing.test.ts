/**
 * The speed bound: a release of ~200 images checks in under 10 s from an archive on
 * disk. The archive is a registry tree written directly (registry-tree.ts) and tarred with
 * `tar` like oc-mirror's chunks: a release whose last layer names 200 components, each with a
 * config and two layers, plus a 64 MiB filler blob so that reading data instead of headers
 * would show.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { requireTool, runOk } from '@hostmirror/fixtures';
import { MirrorArchive } from '@hostmirror/oc-mirror-archive';
import { checkMirror, formatCheckReport } from '@hostmirror/preflight';
import { RegistryTree } from './registry-tree.ts';

const COMPONENTS = 200;
const LIMIT_MS = 10_000;
const FILLER_BYTES = 64 * 1024 * 1024;

const IDMS = `apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata:
  name: idms-release-0
spec:
  imageDigestMirrors:
  - mirrors:
    - registry.example:5000/openshift/release
    source: quay.io/openshift-release-dev/ocp-v4.0-art-dev
  - mirrors:
    - registry.example:5000/openshift/release-images
    source: quay.io/openshift-release-dev/ocp-release
`;

let work: string | undefined;
after(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

test(`a release of ${COMPONENTS} components checks in under ${LIMIT_MS / 1000} s`, async (t) => {
  const tar = await requireTool('tar', 'tar');
  work = await mkdtemp(join(tmpdir(), 'hm-check-timing-'));
  const tree = new RegistryTree(join(work, 'root'));
  const tags = [];
  for (let index = 0; index < COMPONENTS; index++) {
    const name = `component-${String(index).padStart(3, '0')}`;
    const digest = await tree.image('openshift/release', `4.14.3-x86_64-${name}`, [
      { [`usr/bin/${name}`]: `binary ${index}` },
      { [`etc/${name}.conf`]: `config ${index}` },
    ]);
    tags.push({
      name,
      from: {
        kind: 'DockerImage',
        name: `quay.io/openshift-release-dev/ocp-v4.0-art-dev@${digest}`,
      },
    });
  }
  const imageReferences = JSON.stringify({
    kind: 'ImageStream',
    metadata: { name: '4.14.3' },
    spec: { tags },
  });
  await tree.image('openshift/release-images', '4.14.3-x86_64', [
    { 'usr/bin/cluster-version-operator': 'cvo' },
    {
      'release-manifests/image-references': imageReferences,
      'release-manifests/release-metadata': JSON.stringify({
        kind: 'cincinnati-metadata-v0',
        version: '4.14.3',
      }),
    },
  ]);
  await tree.blob(Buffer.alloc(FILLER_BYTES, 1));
  // The IDMS oc-mirror's disk-to-mirror writes: it names each repository's source, without
  // which the check cannot know where the release and its components come from.
  const resources = join(tree.root, 'working-dir/cluster-resources');
  await mkdir(resources, { recursive: true });
  await writeFile(join(resources, 'idms-oc-mirror.yaml'), IDMS);
  const archivePath = join(work, 'mirror_000001.tar');
  await runOk(tar, ['-C', tree.root, '-cf', archivePath, 'docker', 'working-dir'], {
    timeoutMs: 60_000,
  });

  const started = performance.now();
  const archive = await MirrorArchive.open([archivePath]);
  const indexed = performance.now();
  const report = await checkMirror({ archive });
  const elapsed = performance.now() - started;
  assert.equal(report.ok, true, formatCheckReport(report));
  assert.equal(report.counts.images, COMPONENTS + 1);
  assert.ok(elapsed < LIMIT_MS, `took ${Math.round(elapsed)} ms`);
  // Recorded for the report: index + check, measured on this machine.
  t.diagnostic(
    `mirror check of ${COMPONENTS + 1} images: index ${Math.round(indexed - started)} ms, check ${report.durationMs} ms, total ${Math.round(elapsed)} ms`,
  );
});
