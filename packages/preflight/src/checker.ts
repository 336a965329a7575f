/**
 * `checkMirror`: prove offline that every image the cluster will pull is served by the
 * archive. For each source reference (the release, every component in its image-references,
 * additional images, catalog images) the pull sources come from the registries.conf with
 * containers/image's rules (resolve.ts); the first source the archive can answer is the one
 * c/image would use, so that source must then serve every blob (and, for a manifest list, the
 * cluster's platforms). Only tar headers and small JSON blobs are read, plus the release's
 * last layer as a stream.
 */
import {
  containersImageRulesForOpenShift,
  mirrorRulesFor,
  type RegistriesConf,
} from '@hostmirror/host-config';
import {
  archiveMirrorResources,
  describeStale,
  judgeCompleteness,
  MirrorFormatError,
} from '@hostmirror/oc-mirror-archive';
import { buildLookup, type CheckableArchive } from './archive-lookup.ts';
import { checkCatalogs } from './catalog-check.ts';
import { archiveHosts, DEFAULT_CHECK_MIRROR_HOST, loadCheckedConf, loadConf } from './conf.ts';
import { checkImage } from './image-check.ts';
import { type ArchiveImageSetConfig, readArchiveImageSetConfigs } from './image-set-config.ts';
import { checkRelease, parseReleaseDigest, signatureWarning } from './release-check.ts';
import type { CheckWarning, ImageCheck, MirrorCheckReport } from './report.ts';
import { findReleaseSignatures } from './signatures.ts';

export interface CheckMirrorOptions {
  /** The opened archive index (`MirrorArchive.open(paths)`). */
  archive: CheckableArchive;
  /**
   * The registries.conf to resolve through: its text (with `registriesConfOrigin` naming it),
   * an already loaded configuration, or undefined to use the one hostmirror generates from
   * the archive's IDMS/ITMS for `mirrorHost`.
   */
  registriesConf?: string | RegistriesConf;
  registriesConfOrigin?: string;
  /** `host:port` the archive is served at; default: every mirror host of the registries.conf. */
  mirrorHost?: string;
  /**
   * The release to check: its source pull spec (`quay.io/…/ocp-release@sha256:…` or `:tag`),
   * or a tag of the archive's release-images repository. Default: the only release in the archive.
   */
  release?: string;
  /** Cluster architectures for manifest lists (`amd64`, `arm64`…); default: the release's. */
  architectures?: string[];
  /** More source references the cluster pulls, besides those of the archive's ImageSetConfiguration. */
  additionalImages?: string[];
  /**
   * Also check the `mirror.additionalImages` of the ImageSetConfiguration copy in the archive
   * (`isc_*`, minus its blockedImages). Default true.
   */
  imageSetConfigImages?: boolean;
  /** Make a missing release signature a failure instead of a warning. */
  requireReleaseSignature?: boolean;
}

/** The caller's additional images, then the archive ImageSetConfiguration's (each once). */
function additionalImagesToCheck(
  options: CheckMirrorOptions,
  archiveConfigs: readonly ArchiveImageSetConfig[],
): { image: string; origin: string | undefined }[] {
  const images = (options.additionalImages ?? []).map((image) => ({
    image,
    origin: undefined as string | undefined,
  }));
  if (options.imageSetConfigImages !== false) {
    for (const config of archiveConfigs) {
      const blocked = new Set(config.blockedImages);
      for (const image of config.additionalImages)
        if (!blocked.has(image))
          images.push({ image, origin: `ImageSetConfiguration ${config.origin}` });
    }
  }
  const seen = new Set<string>();
  return images.filter(({ image }) => !seen.has(image) && seen.add(image) !== undefined);
}

/**
 * Check that the archive serves every image the cluster pulls: the release, its components,
 * additional images (the caller's and the archive ImageSetConfiguration's), each CatalogSource
 * image and the bundles and related images of its catalog. Throws (typed `MirrorCheckError`)
 * only when the release itself cannot be read — no release, a corrupt image-references, a
 * missing release layer, a release manifest list without the cluster's platform; every other
 * problem is a failing entry in the returned report.
 */
export async function checkMirror(options: CheckMirrorOptions): Promise<MirrorCheckReport> {
  const started = performance.now();
  // The archive's mirror sets, or those oc-mirror's disk-to-mirror would write (from its records),
  // and the completeness rule build-iso and the boot follow (stale repositories are named).
  const host = options.mirrorHost ?? DEFAULT_CHECK_MIRROR_HOST;
  const mirrored = await mirrorRulesFor(options.archive, host, { neverContactSource: false }).catch(
    async (error: unknown) => {
      // The caller's registries.conf is checked as given even when the archive's own mirror
      // sets name repositories it lacks; then every repository counts as needed.
      if (!(error instanceof MirrorFormatError) || options.registriesConf === undefined)
        throw error;
      return {
        mirror: await archiveMirrorResources(options.archive, host),
        needs: () => true,
      };
    },
  );
  const { mirror } = mirrored;
  const { resources } = mirror;
  const verdict = await judgeCompleteness(options.archive, mirrored.needs);
  const loaded = loadConf(options, resources);
  let conf = loaded.conf;
  const generated = loaded.generated;
  const hosts = archiveHosts(
    conf,
    generated ? (options.mirrorHost ?? DEFAULT_CHECK_MIRROR_HOST) : options.mirrorHost,
  );
  const lookup = buildLookup(options.archive, hosts);
  const warnings: CheckWarning[] = conf.ignoredKeys.map(({ origin, key }) => ({
    code: 'REGISTRIES_CONF_IGNORED_KEY',
    message: `${origin}: containers/image ignores the key ${key} (a typo?); it has no effect.`,
  }));
  for (const message of mirror.warnings) warnings.push({ code: 'ARCHIVE_RECORDS', message });
  for (const stale of verdict.stale)
    warnings.push({ code: 'STALE_REPOSITORY', message: describeStale(stale) });
  let release = await checkRelease(lookup, conf, options);
  // The hosts read the file with the c/image of the release's CRI-O: read it again as they do
  // (a refusal is thrown; a mirror keeping its trailing `/` fails its pulls) and check again.
  const target = containersImageRulesForOpenShift(release.payload?.metadata?.version ?? '');
  if (
    target !== undefined &&
    target.version !== conf.containersImage &&
    typeof options.registriesConf === 'string'
  ) {
    conf = loadCheckedConf(
      options.registriesConf,
      `${options.registriesConfOrigin ?? 'registries.conf'} (as OpenShift ${target.host.openshift} hosts read it)`,
      target.version,
    );
    release = await checkRelease(lookup, conf, options);
  }
  const { architectures, payload } = release;
  const images: ImageCheck[] = [release.check];
  for (const component of payload?.components ?? [])
    images.push(
      await checkImage(
        lookup,
        conf,
        component.reference,
        'component',
        component.name,
        architectures,
      ),
    );
  const archiveConfigs = await readArchiveImageSetConfigs(options.archive);
  for (const { image, origin } of additionalImagesToCheck(options, archiveConfigs))
    images.push(await checkImage(lookup, conf, image, 'additional-image', origin, architectures));
  await checkCatalogs(lookup, conf, resources, architectures, images, warnings);

  const releaseDigest = parseReleaseDigest(release.check, release.location);
  const signatures = findReleaseSignatures(
    resources,
    releaseDigest,
    options.archive.signatureFiles(),
  );
  if (!signatures.present) warnings.push(signatureWarning(releaseDigest));
  const failures = images.filter((image) => !image.ok);
  const signatureFails = options.requireReleaseSignature === true && !signatures.present;
  return {
    ok: failures.length === 0 && !signatureFails,
    archives: options.archive.chunks.map((chunk) => chunk.path),
    registriesConf: {
      origin: conf.origins.join(', '),
      generated,
      mirrorHosts: hosts,
      // A generated file reads the same in every supported c/image (validateRegistriesConf
      // loads it with each); a caller's text was read again above; a caller's loaded object keeps
      // the version it was loaded with.
      containersImage:
        target !== undefined && (generated || conf.containersImage === target.version)
          ? {
              version: target.version,
              openshift: target.host.openshift,
              crio: target.host.crio,
              basis: 'release',
            }
          : {
              version: conf.containersImage,
              openshift: undefined,
              crio: undefined,
              basis: 'default',
            },
    },
    release: {
      reference: release.check.reference,
      digest: releaseDigest,
      version: payload?.metadata?.version ?? payload?.name,
      architecture: payload?.metadata?.architecture ?? release.architecture,
      architectures,
      servedBy: release.check.servedBy,
      components: payload?.components.length ?? 0,
    },
    counts: {
      images: images.length,
      passed: images.length - failures.length,
      failed: failures.length,
      sigstorePresent: images.filter((image) => image.sigstore === 'present').length,
      sigstoreAbsent: images.filter((image) => image.sigstore === 'absent').length,
    },
    signatures: { release: { ...signatures, required: options.requireReleaseSignature === true } },
    images,
    failures,
    warnings,
    durationMs: Math.round(performance.now() - started),
    overridden: undefined,
  };
}
