import {
  CA_FILE,
  ENV_FILE,
  MANIFEST_FILE,
  PRELOAD_LIST_FILE,
  READ_ONLY_DATA_DIR,
  REGISTRY_BINARY,
  REGISTRY_CONFIG_FILE,
  SCRIPT_DIR,
  SCRIPT_LIBRARY,
  SKIP_REPOSITORIES_FILE,
  STAGED_REGISTRIES_CONF,
  STATE_DIR,
  SYNC_REPOSITORY,
  TLS_CERTIFICATE_FILE,
  TLS_KEY_FILE,
  VOLUME_MOUNT,
  VOLUME_WAIT_SECONDS,
} from './constants.ts';
import { mirrorEndpoints, registryListensOnEveryAddress } from './endpoints.ts';
import { BootSequenceError } from './errors.ts';
import { sha256Hex } from './inventory.ts';
import { SHA256_DIGEST } from './plan.ts';
import { STEP_SCRIPTS, SYNC_SCRIPT, scriptText } from './scripts.ts';
import type {
  BootAssets,
  BootFile,
  BootFileSet,
  BootPhase,
  BootPlan,
  BootSettings,
  BootStep,
  BootSyncAssets,
} from './types.ts';
import { consoleDropins, gateDropins, stepUnits } from './units.ts';

/** An archive's file name on the volume: one path component, no shell or sha256sum specials. */
const ARCHIVE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
/** A repository as pods name it: a registry host, optional port, then path components. */
const SOURCE_REPOSITORY = /^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** The settings file the scripts read (`hostmirror-lib.sh` hm_load_config). */
export function renderEnvFile(
  settings: BootSettings,
  phase: BootPhase,
  options: { sync?: BootSyncAssets; pool?: 'master' | 'worker' } = {},
): string {
  const sync = settings.controlPlaneCopy ? requireSync(options.sync) : null;
  const entries: [string, string | number | null][] = [
    ['HOSTMIRROR_MODE', settings.mode],
    ['HOSTMIRROR_TOPOLOGY', settings.topology],
    ['HOSTMIRROR_PHASE', phase],
    ['HOSTMIRROR_STATE_DIR', STATE_DIR],
    ['HOSTMIRROR_MOUNT', VOLUME_MOUNT],
    ['HOSTMIRROR_VOLUME_LABEL', settings.volumeLabel],
    ['HOSTMIRROR_VOLUME_MATCH', settings.volumeMatch.join(',')],
    ['HOSTMIRROR_VOLUME_WAIT', VOLUME_WAIT_SECONDS],
    ['HOSTMIRROR_VOLUME_ACCESS', settings.volumeAccess],
    ['HOSTMIRROR_DATA_DIR', READ_ONLY_DATA_DIR],
    ['HOSTMIRROR_REGISTRY_NAME', settings.registryName],
    ['HOSTMIRROR_REGISTRY_PORT', settings.registryPort],
    ['HOSTMIRROR_REGISTRY_BIN', REGISTRY_BINARY],
    // endpoints.ts decides both: the mirrors in the order clients try them (certs.d for each,
    // the readiness probe tries them in turn), and whether the registry listens beyond loopback.
    [
      'HOSTMIRROR_MIRRORS',
      mirrorEndpoints(settings, phase)
        .map((endpoint) => endpoint.hostPort)
        .join(' '),
    ],
    [
      'HOSTMIRROR_REGISTRY_LISTEN',
      registryListensOnEveryAddress(settings, phase) ? 'all' : 'loopback',
    ],
    ['HOSTMIRROR_RENDEZVOUS_IP', settings.rendezvousIP],
    ['HOSTMIRROR_RELEASE_REPOSITORY', settings.release?.repository ?? null],
    ['HOSTMIRROR_RELEASE_DIGEST', settings.release?.digest ?? null],
    ['HOSTMIRROR_READY_TIMEOUT', settings.readyTimeoutSeconds[phase]],
    // The control-plane copy (mode node0): where node0 publishes the registry program and the
    // inventory, and their digests (node0 checks what it publishes, the copy what it fetches).
    ['HOSTMIRROR_SYNC_REPOSITORY', sync === null ? null : SYNC_REPOSITORY],
    ['HOSTMIRROR_SYNC_INVENTORY_SHA256', sync === null ? null : sha256Hex(sync.inventory)],
    ['HOSTMIRROR_SYNC_PROGRAM_SHA256', sync?.registryProgramSha256 ?? null],
    ['HOSTMIRROR_SYNC_TREE_BYTES', sync?.treeBytes ?? null],
    // Installed control-plane nodes only (the master pool's MachineConfig): a host without the
    // volume copies node0's storage (the volume step then marks it `sync`). Workers never copy.
    [
      'HOSTMIRROR_COPY',
      sync !== null && phase === 'installed' && (options.pool ?? 'master') === 'master'
        ? 'on'
        : null,
    ],
  ];
  const lines = entries
    .filter((entry): entry is [string, string | number] => entry[1] !== null)
    .map(([key, value]) => `${key}=${value}`);
  return `# hostmirror boot sequence settings (written at build time)\n${lines.join('\n')}\n`;
}

/** sha256sum(1) check lines, one per archive, in the order they are unpacked. */
export function renderManifest(assets: BootAssets): string {
  if (assets.archives.length === 0)
    throw new BootSequenceError(
      'BOOT_BAD_ARCHIVE',
      'The archive list is empty; give at least one oc-mirror archive (mirror_000001.tar).',
    );
  const seen = new Set<string>();
  for (const [index, archive] of assets.archives.entries()) {
    if (!ARCHIVE_NAME.test(archive.name))
      throw new BootSequenceError(
        'BOOT_BAD_ARCHIVE',
        `archives[${index}].name '${archive.name}' is not a plain file name (letters, digits, '.', '_', '-'); the archives sit in the volume's top folder.`,
      );
    if (!SHA256_HEX.test(archive.sha256))
      throw new BootSequenceError(
        'BOOT_BAD_DIGEST',
        `archives[${index}].sha256 '${archive.sha256}' for ${archive.name} is not 64 lower-case hex digits (hash the archive again).`,
      );
    if (seen.has(archive.name))
      throw new BootSequenceError(
        'BOOT_BAD_ARCHIVE',
        `archives[${index}]: ${archive.name} is listed twice.`,
      );
    seen.add(archive.name);
  }
  return assets.archives.map((archive) => `${archive.sha256}  ${archive.name}\n`).join('');
}

/** The preload list: `<repository> <digest> [<tag>]` lines. */
export function renderPreloadList(assets: BootAssets): string {
  const images = assets.preload ?? [];
  if (images.length === 0)
    throw new BootSequenceError(
      'BOOT_PRELOAD_LIST_REQUIRED',
      "Mode 'preload' needs the list of images to copy into container storage (assets.preload).",
    );
  return images
    .map((image, index) => {
      if (!SOURCE_REPOSITORY.test(image.repository))
        throw new BootSequenceError(
          'BOOT_BAD_NAME',
          `preload[${index}].repository '${image.repository}' is not a repository name like quay.io/openshift-release-dev/ocp-v4.0-art-dev.`,
        );
      if (!SHA256_DIGEST.test(image.digest))
        throw new BootSequenceError(
          'BOOT_BAD_DIGEST',
          `preload[${index}].digest '${image.digest}' is not sha256:<64 lower-case hex digits>.`,
        );
      if (image.tag !== undefined && !TAG.test(image.tag))
        throw new BootSequenceError(
          'BOOT_BAD_NAME',
          `preload[${index}].tag '${image.tag}' is not a valid image tag.`,
        );
      return [image.repository, image.digest, image.tag].filter(Boolean).join(' ');
    })
    .join('\n')
    .concat('\n');
}

/** An archive repository path (distribution's grammar): lower-case components separated by `/`. */
const ARCHIVE_REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;

/** The repositories the unpack step leaves out, one a line. */
export function renderSkipRepositories(repositories: readonly string[]): string {
  for (const [index, repository] of repositories.entries())
    if (!ARCHIVE_REPOSITORY.test(repository))
      throw new BootSequenceError(
        'BOOT_BAD_NAME',
        `skipRepositories[${index}] '${repository}' is not an archive repository path like openshift/release.`,
      );
  return repositories.map((repository) => `${repository}\n`).join('');
}

function requirePem(text: string, kind: string, where: string): string {
  if (!text.includes('-----BEGIN ') || !text.includes(`${kind}-----`))
    throw new BootSequenceError(
      'BOOT_BAD_ARCHIVE',
      `${where} is not a PEM ${kind}; give the PEM text made at build time.`,
    );
  return text.endsWith('\n') ? text : `${text}\n`;
}

/** The sync assets a control-plane copy needs, or the typed refusal naming what is missing. */
function requireSync(sync: BootSyncAssets | undefined): BootSyncAssets {
  if (sync === undefined)
    throw new BootSequenceError(
      'BOOT_SYNC_INPUTS_MISSING',
      'The control-plane copy is on (mode node0 with other control-plane nodes) but the assets carry no sync inventory and registry program digest (assets.sync).',
    );
  if (!SHA256_HEX.test(sync.registryProgramSha256))
    throw new BootSequenceError(
      'BOOT_BAD_DIGEST',
      `sync.registryProgramSha256 '${sync.registryProgramSha256}' is not 64 lower-case hex digits (sha256sum of the registry program).`,
    );
  if (!Number.isSafeInteger(sync.treeBytes) || sync.treeBytes < 0)
    throw new BootSequenceError(
      'BOOT_SYNC_INPUTS_MISSING',
      `sync.treeBytes ${sync.treeBytes} is not a byte count (budget's registryTreeBytes of the archive set).`,
    );
  return sync;
}

function scriptFiles(steps: readonly BootStep[]): BootFile[] {
  const hasSync = steps.some((step) => step.id === 'sync');
  // The sync script goes where its unit goes (the master pool's MachineConfig).
  return STEP_SCRIPTS.filter((name) => hasSync || name !== SYNC_SCRIPT).map((name) => ({
    path: `${SCRIPT_DIR}/${name}`,
    // The library is sourced, never run.
    mode: name === SCRIPT_LIBRARY ? 0o644 : 0o755,
    contents: scriptText(name),
  }));
}

/**
 * Everything one phase puts on a host of a pool (default master: the installed phase's
 * MachineConfigs differ by pool): scripts, settings, manifest, the staged host configuration,
 * units and gate drop-ins. The installed phase carries no TLS pair, as the installed system
 * takes it from the volume — except the master pool's when the control-plane copy is on: a
 * control-plane node that copies node0's storage has no volume, and must serve with the same
 * certificate (the server key, never the CA key; MachineConfigs are readable by cluster-admins
 * and served by the machine-config-server, as the pull secret already is).
 */
export function bootFileSet(
  plan: BootPlan,
  phase: BootPhase,
  assets: BootAssets,
  options: { pool?: 'master' | 'worker' } = {},
): BootFileSet {
  const { settings } = plan;
  const pool = options.pool ?? 'master';
  const phasePlan = plan.phases[phase];
  const steps = phasePlan.steps.filter((step) => step.pools.includes(pool));
  const envOptions = {
    pool,
    ...(assets.sync === undefined ? {} : { sync: assets.sync }),
  };
  const files: BootFile[] = [
    ...scriptFiles(steps),
    { path: ENV_FILE, mode: 0o644, contents: renderEnvFile(settings, phase, envOptions) },
    { path: MANIFEST_FILE, mode: 0o644, contents: renderManifest(assets) },
    { path: REGISTRY_CONFIG_FILE, mode: 0o644, contents: assets.registryConfig },
    {
      path: CA_FILE,
      mode: 0o644,
      contents: requirePem(assets.caCertificate, 'CERTIFICATE', 'caCertificate'),
    },
  ];
  const copies = steps.some((step) => step.id === 'sync');
  if (phase === 'live' || copies)
    files.push(
      // Live only. Installed, the mirror rules come from MCO, which renders the IDMS/ITMS of the
      // extra manifests into /etc/containers/registries.conf (openshift/machine-config-operator
      // pkg/controller/bootstrap/bootstrap.go at 02910734: containerruntimeconfig.RunImageBootstrap
      // over the manifests' ImageDigestMirrorSets). A drop-in of ours would replace MCO's entry
      // for the same prefix ("[[registry]] tables merged by overwriting existing items if the
      // prefixes are identical", containers/image/docs/containers-registries.conf.d.5.md at
      // 3d43ff2d), and so hide every mirror an administrator adds later.
      {
        path: TLS_CERTIFICATE_FILE,
        mode: 0o644,
        contents: requirePem(assets.tls.certificate, 'CERTIFICATE', 'tls.certificate'),
      },
      {
        path: TLS_KEY_FILE,
        mode: 0o600,
        contents: requirePem(assets.tls.key, 'PRIVATE KEY', 'tls.key'),
      },
    );
  if (phase === 'live')
    files.push({ path: STAGED_REGISTRIES_CONF, mode: 0o644, contents: assets.registriesConf });
  if (settings.mode === 'preload')
    files.push({ path: PRELOAD_LIST_FILE, mode: 0o644, contents: renderPreloadList(assets) });
  if ((assets.skipRepositories ?? []).length > 0)
    files.push({
      path: SKIP_REPOSITORIES_FILE,
      mode: 0o644,
      contents: renderSkipRepositories(assets.skipRepositories ?? []),
    });
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return {
    phase,
    files,
    units: stepUnits(steps),
    dropins: [...gateDropins(phasePlan.gate), ...consoleDropins(phasePlan.console)],
  };
}
