/**
 * `checkMirror` against an archive made by a real docker-registry and skopeo (fixture.ts):
 * pass, a removed component, a wrong mapping, a digest-only mirror asked for a tag, and the
 * typed errors for a corrupt image-references, a missing layer and a missing platform.
 */
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runCliCaptured } from '@hostmirror/cli';
import { makeImage, runOk, writeChunk } from '@hostmirror/fixtures';
import { mirrorRulesFromArchive, renderRegistriesConf } from '@hostmirror/host-config';
import { MirrorArchive } from '@hostmirror/oc-mirror-archive';
import {
  checkMirror,
  formatCheckReport,
  MirrorCheckError,
  type MirrorCheckReport,
} from '@hostmirror/preflight';
import {
  ARM_ONLY_RELEASE_TAG,
  BUNDLE_NAME,
  BUNDLE_REPOSITORY,
  buildMirrorFixture,
  CATALOG_REPOSITORY,
  CATALOG_TAG,
  COMPONENT_SOURCE,
  CORRUPT_RELEASE_TAG,
  type MirrorFixture,
  RELEASE_SOURCE,
  RELEASE_TAG,
  TOOLBOX_REPOSITORY,
  TOOLBOX_TAG,
} from './fixture.ts';

const here = dirname(fileURLToPath(import.meta.url));

let fixture: MirrorFixture;
before(async () => {
  fixture = await buildMirrorFixture();
});
after(async () => {
  await fixture?.cleanup();
});

async function check(
  archivePath: string,
  options: Omit<Parameters<typeof checkMirror>[0], 'archive'> = {},
) {
  const archive = await MirrorArchive.open([archivePath]);
  return checkMirror({ release: RELEASE_TAG, ...options, archive });
}

function failure(report: MirrorCheckReport, name: string | undefined) {
  return report.failures.find((image) => image.name === name);
}

function isCheckError(code: string, subject?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof MirrorCheckError, String(error));
    assert.equal(error.code, code, error.message);
    if (subject !== undefined) assert.match(error.subject ?? '', subject);
    return true;
  };
}

describe('mirror check on a real registry archive', () => {
  test('staleCacheRepositoryIsNamedNotFailed', async () => {
    // oc-mirror's shared cache puts every cached repository's links into the archive but only
    // this run's blobs: old/thing arrives without any of its blobs.
    const stale = makeImage({ repository: 'old/thing', tag: '1.0', layers: ['left behind'] });
    const extra = join(dirname(fixture.archive), 'stale-cache', 'mirror_000001.tar');
    await mkdir(dirname(extra), { recursive: true });
    await writeChunk(extra, {
      images: [stale],
      omit: new Set([
        stale.manifest.digest,
        stale.config.digest,
        ...stale.layers.map((l) => l.digest),
      ]),
    });
    const archive = await MirrorArchive.open([fixture.archive, extra]);
    const report = await checkMirror({ release: RELEASE_TAG, archive });
    assert.equal(report.ok, true, formatCheckReport(report));
    const named = report.warnings.filter((warning) => warning.code === 'STALE_REPOSITORY');
    assert.equal(named.length, 1, JSON.stringify(report.warnings));
    assert.match(named[0]?.message ?? '', new RegExp(`old/thing lacks ${stale.manifest.digest}`));
  });

  test('allPresentPasses', async () => {
    const report = await check(fixture.archive);
    assert.equal(report.ok, true, formatCheckReport(report));
    assert.deepEqual(report.counts, {
      images: 8,
      passed: 8,
      failed: 0,
      sigstorePresent: 1,
      sigstoreAbsent: 7,
    });
    assert.equal(report.release.digest, fixture.release.digest);
    assert.equal(report.release.version, '4.14.3-amd64');
    assert.deepEqual(report.release.architectures, ['amd64']);
    assert.equal(
      report.release.servedBy,
      `localhost:5000/openshift/release-images@${fixture.release.digest}`,
    );
    assert.equal(report.signatures.release.present, true);
    const cli = report.images.find((image) => image.name === 'cli');
    assert.equal(cli?.sigstore, 'present');
    assert.equal(
      cli?.servedBy,
      `localhost:5000/openshift/release@${fixture.components[1]?.digest}`,
    );
    const catalog = report.images.find((image) => image.role === 'catalog');
    assert.equal(catalog?.name, 'CatalogSource cs-redhat-operator-index-v4-14');
    assert.equal(catalog?.servedBy, `localhost:5000/${CATALOG_REPOSITORY}:${CATALOG_TAG}`);
    assert.match(formatCheckReport(report), /^PASS {2}mirror check: 8 of 8 images served/);
  });

  test('componentRemovedFailsNamingIt', async () => {
    const etcd = fixture.components[0] as { name: string; digest: string };
    const archive = await fixture.variant('without-etcd', [
      fixture.revisionPath('openshift/release', etcd.digest),
      fixture.tagPath('openshift/release', `${RELEASE_TAG}-etcd`),
    ]);
    const report = await check(archive);
    assert.equal(report.ok, false);
    assert.equal(report.counts.failed, 1);
    const failed = failure(report, 'etcd');
    assert.equal(failed?.code, 'MANIFEST_MISSING');
    assert.equal(failed?.reference, `${COMPONENT_SOURCE}@${etcd.digest}`);
    assert.match(failed?.reason ?? '', /mirror openshift\/release has no such manifest/);
    assert.match(
      formatCheckReport(report),
      new RegExp(`ocp-v4.0-art-dev@${etcd.digest.slice(0, 19)}.*component etcd`),
    );
  });

  test('catalogMissingFromTheArchiveFailsNamingTheCatalogSource', async () => {
    const archive = await fixture.variant('without-catalog', [
      `repositories/${CATALOG_REPOSITORY}`,
    ]);
    const report = await check(archive);
    assert.deepEqual(
      report.failures.map((image) => [image.role, image.name, image.code]),
      [['catalog', 'CatalogSource cs-redhat-operator-index-v4-14', 'NO_MIRROR_FOR_REFERENCE']],
    );
    assert.match(report.failures[0]?.reason ?? '', /registry\.example:5000, unreachable offline/);
  });

  test('missingReleaseSignatureWarnsOrFailsWhenRequired', async () => {
    const fileOnly = await check(
      await fixture.variant('signature-file-only', [
        'working-dir/cluster-resources/signature-configmap.yaml',
      ]),
    );
    assert.deepEqual(fileOnly.signatures.release.found, [
      `working-dir/signatures/${RELEASE_TAG}-${fixture.release.digest.replace(':', '-')}`,
    ]);
    const archive = await fixture.variant('without-signatures', [
      'working-dir/cluster-resources/signature-configmap.yaml',
      'working-dir/signatures',
    ]);
    const report = await check(archive);
    assert.equal(report.ok, true);
    assert.equal(report.signatures.release.present, false);
    assert.deepEqual(
      report.warnings.map((warning) => warning.code),
      ['RELEASE_SIGNATURE_MISSING'],
    );
    assert.match(formatCheckReport(report), /release signature: MISSING/);
    const required = await check(archive, { requireReleaseSignature: true });
    assert.equal(required.ok, false);
    assert.match(formatCheckReport(required), /^FAIL[\s\S]*release signature: MISSING \(required/);
  });

  test('imageSetConfigAdditionalImagesAreCheckedByTagThroughTheItms', async () => {
    const archive = await fixture.variant('without-toolbox-tag', [
      fixture.tagPath(TOOLBOX_REPOSITORY, TOOLBOX_TAG),
    ]);
    const report = await check(archive);
    assert.equal(report.failures.length, 1, formatCheckReport(report));
    const toolbox = report.failures[0];
    assert.equal(toolbox?.role, 'additional-image');
    assert.match(toolbox?.name ?? '', /^ImageSetConfiguration .*mirror_000001\.tar:isc_/);
    assert.equal(toolbox?.reference, `registry.example.com/${TOOLBOX_REPOSITORY}:${TOOLBOX_TAG}`);
    assert.equal(toolbox?.code, 'MANIFEST_MISSING');
    // blockedImages are left out, and the caller can skip the archive's ImageSetConfiguration.
    assert.ok(!report.images.some((image) => image.reference.includes('left-out')));
    assert.equal((await check(archive, { imageSetConfigImages: false })).ok, true);
  });

  test('bundleRemovedFailsNamingTheBundle', async () => {
    const archive = await fixture.variant('without-bundle', [
      fixture.revisionPath(BUNDLE_REPOSITORY, fixture.bundle.digest),
    ]);
    const report = await check(archive);
    assert.deepEqual(
      report.failures.map((image) => [image.role, image.name, image.code]),
      [['bundle', `foo-operator ${BUNDLE_NAME}`, 'MANIFEST_MISSING']],
    );
    assert.equal(
      report.failures[0]?.reference,
      `registry.example.com/${BUNDLE_REPOSITORY}@${fixture.bundle.digest}`,
    );
    assert.match(
      report.failures[0]?.reason ?? '',
      /mirror foo\/foo-operator-bundle has no such manifest/,
    );
  });

  test('blobsInAnEarlierChunkCountAndAreMissedWithoutIt', async () => {
    const [blobs, repositories] = await fixture.splitChunks('split');
    const both = await checkMirror({
      archive: await MirrorArchive.open([repositories, blobs]),
      release: RELEASE_TAG,
    });
    assert.equal(both.ok, true, formatCheckReport(both));
    assert.deepEqual(both.archives, [blobs, repositories]);
    await assert.rejects(
      checkMirror({ archive: await MirrorArchive.open([repositories]), release: RELEASE_TAG }),
      isCheckError('BLOB_MISSING', new RegExp(fixture.release.digest)),
    );
  });

  // The hosts of a 4.14 release read registries.conf with CRI-O 1.27's containers/image 5.25,
  // which keeps a mirror's trailing `/` (trimmed only from 5.35: postProcessRegistries), so the
  // rewritten reference is invalid and every pull through that table fails.
  test('trailingSlashMirrorsFailForTheReleasesHosts', async () => {
    const conf = `
[[registry]]
prefix = ""
location = "${RELEASE_SOURCE}"
[[registry.mirror]]
location = "localhost:5000/openshift/release-images/"
pull-from-mirror = "digest-only"
`;
    const report = await check(fixture.archive, {
      registriesConf: conf,
      registriesConfOrigin: 'slash.conf',
    });
    assert.equal(report.ok, false);
    const release = report.failures.find((image) => image.role === 'release');
    assert.match(release?.reason ?? '', /release-images\/@sha256:.*ends with "\/"/);
    const trimmed = await check(fixture.archive, {
      registriesConf: conf.replace('release-images/"', 'release-images"'),
      registriesConfOrigin: 'trimmed.conf',
    });
    assert.deepEqual(trimmed.registriesConf.containersImage, {
      version: '5.25',
      openshift: '4.14',
      crio: '1.27',
      basis: 'release',
    });
    assert.match(
      formatCheckReport(trimmed),
      /read as containers\/image 5\.25 does \(CRI-O 1\.27 of OpenShift 4\.14/,
    );
  });

  test('wrongRepositoryMappingFailsNamingTheMapping', async () => {
    const conf = `
[[registry]]
prefix = ""
location = "${RELEASE_SOURCE}"
[[registry.mirror]]
location = "localhost:5000/openshift/release-images"
pull-from-mirror = "digest-only"

[[registry]]
prefix = ""
location = "${COMPONENT_SOURCE}"
[[registry.mirror]]
location = "localhost:5000/openshift/release-components"
pull-from-mirror = "digest-only"
`;
    const report = await check(fixture.archive, {
      registriesConf: conf,
      registriesConfOrigin: 'wrong.conf',
    });
    assert.equal(report.ok, false);
    // The conf maps only the release repositories: the other images have no mirror at all.
    assert.deepEqual(
      report.failures.map((image) => [image.role, image.code]),
      [
        ['component', 'MIRROR_REPOSITORY_MISSING'],
        ['component', 'MIRROR_REPOSITORY_MISSING'],
        ['component', 'MIRROR_REPOSITORY_MISSING'],
        ['additional-image', 'NO_MIRROR_FOR_REFERENCE'],
        ['bundle', 'NO_MIRROR_FOR_REFERENCE'],
        ['related-image', 'NO_MIRROR_FOR_REFERENCE'],
      ],
    );
    for (const component of fixture.components) {
      const failed = failure(report, component.name);
      assert.equal(failed?.code, 'MIRROR_REPOSITORY_MISSING');
      assert.match(
        failed?.reason ?? '',
        /ocp-v4\.0-art-dev → localhost:5000\/openshift\/release-components/,
      );
      assert.match(failed?.fix ?? '', /openshift\/release\b/);
    }
  });

  test('digestOnlyMirrorAndTagReferenceFailWithThePolicyReason', async () => {
    const report = await check(fixture.archive, {
      release: `${RELEASE_SOURCE}:${RELEASE_TAG}`,
      additionalImages: [`${COMPONENT_SOURCE}:${RELEASE_TAG}-etcd`],
    });
    assert.equal(report.ok, false);
    for (const image of report.failures) {
      assert.equal(image.code, 'MIRROR_POLICY_SKIPS_REFERENCE');
      assert.match(
        image.reason ?? '',
        /pull-from-mirror = "digest-only" and the reference is by tag/,
      );
    }
    assert.deepEqual(
      report.failures.map((image) => image.role),
      ['release', 'additional-image'],
    );
  });

  test('releaseByDigestSpecIsResolvedLikeAnyImage', async () => {
    const report = await check(fixture.archive, {
      release: `${RELEASE_SOURCE}@${fixture.release.digest}`,
    });
    assert.equal(report.ok, true, formatCheckReport(report));
    assert.equal(report.release.components, 3);
  });

  test('severalReleasesNeedAChoice', async () => {
    await assert.rejects(
      check(fixture.archive, { release: undefined }),
      isCheckError('RELEASE_AMBIGUOUS'),
    );
    await assert.rejects(
      check(fixture.archive, { release: 'no-such-tag' }),
      isCheckError('RELEASE_NOT_FOUND'),
    );
  });

  test('corruptImageReferencesIsATypedErrorNamingTheFile', async () => {
    await assert.rejects(
      check(fixture.archive, { release: CORRUPT_RELEASE_TAG }),
      isCheckError(
        'IMAGE_REFERENCES_INVALID',
        /^release-manifests\/image-references in layer sha256:/,
      ),
    );
  });

  test('missingReleaseLayerIsATypedErrorNamingTheLayer', async () => {
    const archive = await fixture.variant('without-release-layer', [
      fixture.blobPath(fixture.release.lastLayer),
    ]);
    await assert.rejects(
      check(archive),
      isCheckError('BLOB_MISSING', new RegExp(fixture.release.lastLayer)),
    );
  });

  test('releaseManifestListWithoutTheClusterPlatformIsATypedError', async () => {
    await assert.rejects(
      check(fixture.archive, { release: ARM_ONLY_RELEASE_TAG, architectures: ['x86_64'] }),
      isCheckError('PLATFORM_MISSING', /openshift\/release-images@sha256:/),
    );
  });

  test('componentManifestListWithoutTheClusterPlatformFails', async () => {
    const report = await check(fixture.archive, { architectures: ['s390x'] });
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.failures.map((image) => [image.name, image.code]),
      [['machine-os', 'PLATFORM_MISSING']],
    );
    assert.match(
      report.failures[0]?.reason ?? '',
      /no linux\/s390x image \(it has linux\/amd64, linux\/arm64\)/,
    );
  });

  test('cliPrintsTextOrJsonAndExits1WhenAReferenceIsNotServed', async () => {
    const pass = await cli(['mirror', 'check', fixture.archive, '--release', RELEASE_TAG]);
    assert.equal(pass.code, 0, pass.stderr);
    assert.match(pass.stdout, /^PASS {2}mirror check: 8 of 8 images/);
    const wrong = await cli([
      'mirror',
      'check',
      fixture.archive,
      '--release',
      `${RELEASE_SOURCE}:${RELEASE_TAG}`,
      '--json',
    ]);
    assert.equal(wrong.code, 1);
    const report = JSON.parse(wrong.stdout) as MirrorCheckReport;
    assert.equal(report.ok, false);
    assert.equal(report.failures[0]?.code, 'MIRROR_POLICY_SKIPS_REFERENCE');
    const corrupt = await cli([
      'mirror',
      'check',
      fixture.archive,
      '--release',
      CORRUPT_RELEASE_TAG,
    ]);
    assert.equal(corrupt.code, 1);
    assert.match(corrupt.stderr, /image-references in layer sha256:[0-9a-f]{64} of release image/);
    assert.equal((await cli(['mirror', 'check'])).code, 2);
    const host = await cli([
      'mirror',
      'check',
      fixture.archive,
      '--release',
      RELEASE_TAG,
      '--host',
      'mirror.local:8443',
      '--json',
    ]);
    assert.equal(host.code, 0, host.stderr);
    const hosted = JSON.parse(host.stdout) as MirrorCheckReport;
    assert.deepEqual(hosted.registriesConf.mirrorHosts, ['mirror.local:8443']);
    assert.equal(
      hosted.release.servedBy,
      `mirror.local:8443/openshift/release-images@${fixture.release.digest}`,
    );
  });
  test('verdictsAgreeWithRealPullsThroughTheSameRegistriesConf', async () => {
    const etcd = fixture.components[0] as { name: string; digest: string };
    const withoutEtcd = await fixture.variant('without-etcd-pulled', [
      fixture.revisionPath('openshift/release', etcd.digest),
      fixture.tagPath('openshift/release', `${RELEASE_TAG}-etcd`),
    ]);
    const cli = fixture.components[1] as { name: string; digest: string };
    const complete = await MirrorArchive.open([fixture.archive]);
    const cliManifest = JSON.parse((await complete.readBlob(cli.digest)).toString()) as {
      layers: { digest: string }[];
    };
    const withoutCliLayer = await fixture.variant('without-cli-layer', [
      fixture.blobPath(cliManifest.layers[0]?.digest ?? ''),
    ]);
    const failing = [];
    for (const archivePath of [fixture.archive, withoutEtcd, withoutCliLayer]) {
      const archive = await MirrorArchive.open([archivePath]);
      // The drop-in hostmirror writes for this archive, made insecure for the plain-HTTP test registry.
      const rules = mirrorRulesFromArchive(await archive.readClusterResources(), archive, {
        host: 'localhost:5000',
      });
      const mirrorHost = '[[registry]]\nlocation = "localhost:5000"\ninsecure = true\n';
      const conf = `${renderRegistriesConf({ rules, insecure: true })}\n${mirrorHost}`;
      const report = await checkMirror({ archive, registriesConf: conf, release: RELEASE_TAG });
      const pulled = await pullEach(
        archivePath,
        conf,
        report.images.map((image) => image.reference),
      );
      assert.deepEqual(
        report.images.map((image) => [image.reference, image.ok]),
        report.images.map((image) => [image.reference, pulled.get(image.reference)]),
      );
      failing.push(report.failures.map((image) => [image.name, image.code]));
    }
    assert.deepEqual(failing, [[], [['etcd', 'MANIFEST_MISSING']], [['cli', 'BLOB_MISSING']]]);
  });
});

async function cli(args: string[]) {
  return runCliCaptured(args);
}

/** Pull each reference with skopeo from the archive served read-only (serve-and-pull.sh). */
async function pullEach(
  archivePath: string,
  conf: string,
  references: string[],
): Promise<Map<string, boolean>> {
  const folder = dirname(archivePath);
  const confPath = join(folder, 'pull.conf');
  const listPath = join(folder, 'references.txt');
  await writeFile(confPath, conf);
  await writeFile(listPath, `${references.join('\n')}\n`);
  const result = await runOk(join(here, 'serve-and-pull.sh'), [archivePath, confPath, listPath], {
    timeoutMs: 120_000,
  });
  if (process.env.HM_DEBUG_PULLS) console.log(result.stdout.toString());
  const verdicts = new Map<string, boolean>();
  for (const line of result.stdout.toString().split('\n')) {
    const [verdict, reference] = line.split(' ');
    if (reference !== undefined) verdicts.set(reference, verdict === 'ok');
  }
  return verdicts;
}
