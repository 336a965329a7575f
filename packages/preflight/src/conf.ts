/**
 * The registries.conf the check resolves through: the caller's (text read with containers/image's
 * rules, refusals relabelled as `MirrorCheckError`s, or a loaded one), or the one hostmirror
 * generates for the archive; and the hosts that serve the archive.
 */
import {
  type ContainersImageVersion,
  loadRegistriesConf,
  mirrorRulesFromArchive,
  type RegistriesConf,
  renderRegistriesConf,
} from '@hostmirror/host-config';
import type { ClusterResources } from '@hostmirror/oc-mirror-archive';
import type { CheckableArchive } from './archive-lookup.ts';
import type { CheckMirrorOptions } from './checker.ts';
import { asCheckError } from './errors.ts';

/** The host:port used for a generated registries.conf when none is given. */
export const DEFAULT_CHECK_MIRROR_HOST = 'localhost:5000';
/** Hosts that serve the archive: the given one, or every mirror host in the registries.conf. */
export function archiveHosts(conf: RegistriesConf, mirrorHost: string | undefined): string[] {
  if (mirrorHost !== undefined) return [mirrorHost];
  const hosts = new Set<string>();
  for (const registry of conf.registries) {
    for (const mirror of registry.mirrors) hosts.add(mirror.location.split('/')[0] as string);
    // A table rewriting its prefix to another host points at a mirror too.
    const locationHost = registry.location.split('/')[0] as string;
    if (registry.location !== '' && locationHost !== registry.prefix.split('/')[0])
      hosts.add(locationHost);
  }
  return [...hosts].sort();
}

/** The registries.conf hostmirror writes for this archive (formats' writer), read back. */
export function generatedConf(
  resources: ClusterResources,
  archive: CheckableArchive,
  host: string,
): RegistriesConf {
  // The archive's mirror sets, or those made from its records (archiveMirrorResources): an
  // archive without IDMS/ITMS gets what oc-mirror's disk-to-mirror would write, not a guess.
  const rules = mirrorRulesFromArchive(resources, archive, { host });
  return loadRegistriesConf(renderRegistriesConf({ rules }), {
    origin: `the registries.conf hostmirror generates for ${host}`,
  });
}

export function loadConf(
  options: CheckMirrorOptions,
  resources: ClusterResources,
): {
  conf: RegistriesConf;
  generated: boolean;
} {
  if (options.registriesConf === undefined)
    return {
      conf: generatedConf(
        resources,
        options.archive,
        options.mirrorHost ?? DEFAULT_CHECK_MIRROR_HOST,
      ),
      generated: true,
    };
  if (typeof options.registriesConf === 'string')
    return {
      conf: loadCheckedConf(options.registriesConf, options.registriesConfOrigin),
      generated: false,
    };
  return { conf: options.registriesConf, generated: false };
}

/** The caller's registries.conf with c/image's rules; refusals become `MirrorCheckError`s. */
export function loadCheckedConf(
  text: string,
  origin = 'registries.conf',
  containersImage?: ContainersImageVersion,
): RegistriesConf {
  try {
    return loadRegistriesConf(text, {
      origin,
      ...(containersImage === undefined ? {} : { containersImage }),
    });
  } catch (error) {
    throw asCheckError(error) ?? error;
  }
}
