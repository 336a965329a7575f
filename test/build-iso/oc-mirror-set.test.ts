/**
 * build-iso end to end on a base + differential mirror-to-disk set (issue 13): `--mirror base/
 * --mirror next/`, each folder starting at mirror_000001.tar as oc-mirror v2 writes every run
 * (@hostmirror/fixtures writeMirrorToDiskSet: no cluster-resources, a release with its cosign
 * `.sig` tag and signature, additional images by tag and by digest, a filtered operator catalog
 * with its bundle and related image, a stale repository of oc-mirror's shared cache; the second
 * run adds ubi9/ubi:9.4 and only its blobs). The built ISO is read back as a host boots it: the
 * live Ignition applied by the real `ignition-apply`, the registry program installed by the
 * initrd's pre-pivot hook; the boot scripts find the folder volume holding both runs under the
 * names build-iso gave them, unpack them in order (the stale repository left out) and serve;
 * real skopeo, configured only by the written registries.conf, CA and hosts alias, pulls every
 * image of the set from its source name by digest (and the tagged ones by tag), the operator
 * bundle and its related image included, in private network and mount namespaces.
 */
import assert from 'node:assert/strict';
import { copyFile, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PRE_PIVOT_HOOK, volumeArchiveNames } from '@hostmirror/boot-sequence';
import { requireFile, requireTool, runTool, writeMirrorToDiskSet } from '@hostmirror/fixtures';
import { parse } from 'yaml';
import { buildMirrorIso } from '../../packages/build-iso/src/index.ts';
import { inNamespace, stepsTable } from '../boot-sequence/support.ts';
import { demoInputs, IGNITION_BINARY, optionsFor, readBackLiveIso } from './support.ts';

let work: string;
let inputs: Awaited<ReturnType<typeof demoInputs>>['inputs'];

before(async () => {
  ({ work, inputs } = await demoInputs('oc-mirror-set'));
});
after(async () => {
  if (!process.env.HOSTMIRROR_KEEP_WORK) await rm(work, { recursive: true, force: true });
});

test('build-iso --mirror base/ --mirror next/: one mirror, unpacked in order and served; skopeo pulls every image of the set', async () => {
  const registry = await requireTool('docker-registry');
  await requireFile(IGNITION_BINARY, 'ignition');
  const set = await writeMirrorToDiskSet(join(work, 'set'));
  const output = join(work, 'mirror.iso');
  const manifestsDir = join(work, 'manifests');
  const { report } = await buildMirrorIso(
    optionsFor(inputs, output, { mirror: set.folders, registryBinary: registry, manifestsDir }),
  );
  const explainReport = JSON.stringify(report.warnings, null, 2);
  // One release, found once beside its cosign .sig tag, from the base run.
  assert.equal(report.release.digest, set.release.manifest.digest);
  // Both runs, in the order given, each hashed for the boot-time verify.
  assert.deepEqual(
    report.inputs.archives.map((archive) => archive.path),
    set.folders.map((folder) => join(folder, 'mirror_000001.tar')),
  );
  // The stale cache repository is named at build time, with its missing layer.
  assert.ok(
    report.warnings.some(
      (warning) => warning.includes('old/thing') && warning.includes(set.staleLayer),
    ),
    explainReport,
  );
  // The cluster's mirror sets, made from the set's records: the operator bundle and related
  // image from the catalog, and the CatalogSource naming the rebuilt (filtered) catalog.
  const manifests = await readdir(manifestsDir);
  const idms = manifests.find((name) => name.includes('idms-operator-0'));
  assert.ok(idms, manifests.join(', '));
  const operatorSet = parse(await readFile(join(manifestsDir, idms), 'utf8'));
  assert.deepEqual(
    operatorSet.spec.imageDigestMirrors.map((entry: { source: string }) => entry.source),
    ['registry.example.com/foo'],
  );
  const catalogSource = manifests.find((name) => name.includes('catalogsource'));
  assert.ok(catalogSource, manifests.join(', '));
  assert.match(
    parse(await readFile(join(manifestsDir, catalogSource), 'utf8')).spec.image,
    /\/redhat\/redhat-operator-index:c0ffee00c0ffee00c0ffee00c0ffee00$/,
  );

  // The ISO read back as a host boots it.
  const root = join(work, 'root');
  const initrdRoot = join(work, 'initrd');
  const live = await readBackLiveIso(output, work, root, initrdRoot);
  const apply = join(work, 'ignition-apply');
  await symlink(IGNITION_BINARY, apply);
  const applied = await runTool(apply, ['--offline', '--root', root, live], {
    timeoutMs: 120_000,
    env: { ...process.env, container: 'hostmirror-test' },
  });
  assert.equal(applied.exitCode, 0, `${applied.stdout}${applied.stderr}`);
  // The folder volume holds both runs under the names build-iso gave them.
  const volume = join(root, 'srv/volume');
  await mkdir(volume, { recursive: true });
  const archives = set.folders.map((folder) => join(folder, 'mirror_000001.tar'));
  const names = volumeArchiveNames(archives);
  assert.deepEqual(names, ['01-mirror_000001.tar', '02-mirror_000001.tar']);
  for (const [index, archive] of archives.entries())
    await copyFile(archive, join(volume, names[index] as string));
  const steps = join(work, 'steps.tsv');
  await writeFile(steps, stepsTable(report.bootPlan.phases.live));

  const pulls = set.images.flatMap((image) => [
    [image.name, `${image.source}@${image.digest}`],
    ...(image.tag === undefined ? [] : [[`${image.name}-tag`, `${image.source}:${image.tag}`]]),
  ]);
  const result = await inNamespace(
    `
ip address add ${report.cluster.rendezvousIP}/32 dev lo
NEWROOT=${root} HOSTMIRROR_INITRD_ROOT=${initrdRoot} sh -c '. ${initrdRoot}${PRE_PIVOT_HOOK}'
export HOSTMIRROR_ROOT='${root}' HOSTMIRROR_UPDATE_CA_TRUST='touch ${root}/ca-trust-updated'
export HOSTMIRROR_READY_TIMEOUT=60 HOSTMIRROR_VOLUME_WAIT=0 HOSTMIRROR_VOLUME_DIR=/srv/volume
hm_run_steps ${root} ${steps}
hm_use_root_config ${root}
${pulls.map(([name, reference]) => `skopeo inspect --no-tags docker://${reference} >/dev/null 2>${work}/err-${name} && echo "PULL ${name} ok" || echo "PULL ${name} failed"`).join('\n')}
curl -sf --cacert ${root}/etc/hostmirror/ca.crt https://registry.hostmirror.internal:5000/v2/_catalog | sed 's/^/CATALOG /'
ls ${volume}/hostmirror/state | sed 's/^/STATE /'
hm_stop_daemons
`,
    {},
    240_000,
  );
  const out = result.stdout.toString('utf8');
  const explain = `exit ${result.exitCode}\n--- stdout\n${out}\n--- stderr\n${result.stderr}`;
  assert.equal(result.exitCode, 0, explain);
  for (const line of [
    'STEP hostmirror-volume.service ok',
    'STEP hostmirror-verify.service ok',
    'STEP hostmirror-unpack.service ok',
    'STEP hostmirror-registry.service started',
    'STEP hostmirror-ready.service ok',
  ])
    assert.ok(out.includes(line), `missing "${line}"\n${explain}`);
  for (const [name, reference] of pulls)
    assert.ok(
      out.includes(`PULL ${name} ok`),
      `${name} (${reference}): ${await readFile(join(work, `err-${name}`), 'utf8').catch(() => '')}\n${explain}`,
    );
  // Both runs unpacked, base first, into one tree marked complete; the stale repository left
  // out of the served tree.
  const log = result.stderr.toString('utf8');
  const unpacked = names.map((name) =>
    log.indexOf(`unpacking docker/registry/v2 of ${volume}/${name}`),
  );
  assert.ok(
    unpacked.every((at) => at >= 0) && (unpacked[0] as number) < (unpacked[1] as number),
    explain,
  );
  assert.match(log, /leaving out 1 stale repositories named at build time/, explain);
  assert.match(out, /^STATE complete$/m, explain);
  const catalog = JSON.parse(/^CATALOG (.*)$/m.exec(out)?.[1] ?? '{}') as {
    repositories?: string[];
  };
  assert.deepEqual(
    catalog.repositories?.sort(),
    [
      'foo/foo-operator-bundle',
      'foo/foo-rhel9',
      'openshift/release',
      'openshift/release-images',
      'redhat/redhat-operator-index',
      'ubi9/ubi',
      'ubi9/ubi-minimal',
    ],
    explain,
  );
});
