/**
 * The way out (issue #15 item 3): what removes hostmirror from an installed cluster once the
 * administrator's own registry serves it. Derived from the manifests a build wrote (its
 * `99-<pool>-hostmirror` MachineConfigs and `99-hostmirror-*` cluster manifests), so it removes
 * exactly what that build put there:
 *
 * - `oc` commands that delete our mirror sets, CatalogSources and trusted-CA ConfigMap and take
 *   our ConfigMap out of `image.config.openshift.io/cluster` (the release signature ConfigMaps
 *   stay: they vouch for the release by digest, whichever registry serves it);
 * - per pool, a `99-<pool>-hostmirror-teardown` MachineConfig to apply in the same step as
 *   deleting `99-<pool>-hostmirror`: MCO then removes the files and units our MachineConfig
 *   wrote (the machine-config-daemon deletes what the new rendered config no longer has), and
 *   its one-shot `hostmirror-teardown.service` removes what our scripts wrote at run time —
 *   the restored registry program and TLS pair, certs.d entries, the `/etc/hosts` alias, the
 *   registry storage on the volume or in `/var/lib/hostmirror` — after stopping the registry.
 *
 * Upstream's registry-less design ends the same way: deleting its `InternalReleaseImage` "will
 * stop all the registry services running on the control plane nodes ... all the currently
 * stored release payloads will be deleted from the nodes disk, and all the previously resources
 * created will be removed as well (such as the IDMS ones)", once the cluster runs a release from
 * the user's own registry (openshift/enhancements
 * enhancements/agent-installer/simplified-registry-less-cluster-operations.md at 019ed2a8).
 */
import { readDataResource, validateConfig } from '@hostmirror/ignition';
import { readYamlAll } from '@hostmirror/oc-mirror-archive';
import { stringify } from 'yaml';
import {
  CA_ANCHOR_FILE,
  CERTS_D,
  ENV_FILE,
  INVENTORY_FILE,
  MACHINE_CONFIG_API_VERSION,
  MACHINE_CONFIG_ROLE_LABEL,
  READ_ONLY_DATA_DIR,
  REGISTRIES_CONF_DROP_IN,
  REGISTRY_BINARY,
  SCRIPT_DIR,
  STATE_DIR,
  TEARDOWN_DIR,
  TEARDOWN_SCRIPT,
  TEARDOWN_UNIT,
  TLS_CERTIFICATE_FILE,
  TLS_KEY_FILE,
  VOLUME_MOUNT,
} from './constants.ts';
import { BootSequenceError } from './errors.ts';
import { fileSetToIgnition } from './ignition.ts';
import { TRUSTED_CA_CONFIGMAP, TRUSTED_CA_NAMESPACE } from './manifests.ts';
import { scriptText } from './scripts.ts';
import type { BootFile, BootFileSet } from './types.ts';

/** A manifest file a build wrote, by name and text. */
export interface TeardownSource {
  fileName: string;
  text: string;
}

/** One object to delete from the cluster. */
export interface TeardownObject {
  kind: string;
  name: string;
  namespace: string | null;
  /** The file it came from. */
  fileName: string;
}

export interface Teardown {
  /** Per pool: the MachineConfig to apply while deleting ours, and the file set it carries. */
  machineConfigs: {
    pool: string;
    name: string;
    fileName: string;
    yaml: string;
    files: BootFileSet;
  }[];
  /** Our MachineConfigs to delete (in the same step as applying the teardown ones). */
  deleteMachineConfigs: TeardownObject[];
  /** Our cluster objects to delete: mirror sets, CatalogSources, the trusted-CA ConfigMap. */
  deleteObjects: TeardownObject[];
  /** Whether `image.config.openshift.io/cluster` names our ConfigMap (and must stop naming it). */
  unsetTrustedCa: boolean;
  /** A shell script of the `oc` steps, in order, with comments. */
  script: string;
  /** Every path the teardown unit removes on a node, per pool (for the record and the tests). */
  paths: Record<string, string[]>;
}

/** Kinds whose objects a build wrote for the mirror and the teardown deletes. */
const DELETED_KINDS = new Map<string, string>([
  ['ImageDigestMirrorSet', 'imagedigestmirrorset.config.openshift.io'],
  ['ImageTagMirrorSet', 'imagetagmirrorset.config.openshift.io'],
  ['ImageContentSourcePolicy', 'imagecontentsourcepolicy.operator.openshift.io'],
  ['CatalogSource', 'catalogsource.operators.coreos.com'],
  ['ConfigMap', 'configmap'],
]);

type Json = Record<string, unknown>;

function record(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : {};
}

/** `KEY=value` lines of a settings file, as hostmirror-lib.sh reads them (a later line wins). */
function readEnv(text: string): Map<string, string> {
  const values = new Map<string, string>();
  for (const line of text.split('\n')) {
    const match = /^(HOSTMIRROR_[A-Z0-9_]+)=(.*)$/.exec(line);
    if (match) values.set(match[1] as string, match[2] as string);
  }
  return values;
}

/** What one of our MachineConfigs put on its pool's nodes. */
interface PoolInstall {
  pool: string;
  name: string;
  fileName: string;
  files: string[];
  units: string[];
  dropins: string[];
  env: Map<string, string>;
}

function readPoolInstall(source: TeardownSource, document: Json): PoolInstall {
  const metadata = record(document.metadata);
  const name = String(metadata.name);
  const pool = String(record(metadata.labels)[MACHINE_CONFIG_ROLE_LABEL] ?? '');
  if (pool === '')
    throw new BootSequenceError(
      'BOOT_BAD_TEARDOWN_INPUT',
      `${source.fileName}: MachineConfig ${name} has no ${MACHINE_CONFIG_ROLE_LABEL} label; give the MachineConfigs build-iso wrote, unchanged.`,
      {
        path: source.fileName,
        jsonPath: '$.metadata.labels',
        fix: 'use the files of build-iso --manifests-dir as written',
      },
    );
  // The file and unit lists are read from Ignition's own shape check (validateConfig), so an
  // edited MachineConfig is refused with the place, not a TypeError.
  const report = validateConfig(record(record(document.spec).config));
  const config = report.config;
  if (config === undefined) {
    const why = report.parseFailure ?? report.errors[0];
    const at = report.parseFailure === undefined ? (report.errors[0]?.path ?? '$') : '$';
    throw new BootSequenceError(
      'BOOT_BAD_TEARDOWN_INPUT',
      `${source.fileName}: MachineConfig ${name}: spec.config is not an Ignition config (${at}: ${why?.message ?? 'unreadable'}); give the MachineConfigs build-iso wrote, unchanged.`,
      {
        path: source.fileName,
        jsonPath: `$.spec.config${at.slice(1)}`,
        fix: 'use the files of build-iso --manifests-dir as written',
      },
    );
  }
  const files = (config.storage?.files ?? []).map((file) => file.path);
  const units: string[] = [];
  const dropins: string[] = [];
  for (const unit of config.systemd?.units ?? []) {
    if (unit.contents !== undefined && unit.contents !== null) units.push(unit.name);
    for (const dropin of unit.dropins ?? [])
      dropins.push(`/etc/systemd/system/${unit.name}.d/${dropin.name}`);
  }
  const envIndex = (config.storage?.files ?? []).findIndex((file) => file.path === ENV_FILE);
  const envFile = config.storage?.files?.[envIndex];
  if (envFile?.contents === undefined || envFile.contents === null)
    throw new BootSequenceError(
      'BOOT_BAD_TEARDOWN_INPUT',
      `${source.fileName}: MachineConfig ${name} carries no ${ENV_FILE}, so it is not one of ours; give the 99-<pool>-hostmirror MachineConfigs build-iso wrote.`,
      {
        path: source.fileName,
        jsonPath: '$.spec.config.storage.files',
        fix: 'use the files of build-iso --manifests-dir as written',
      },
    );
  let envText: string;
  try {
    envText = readDataResource(envFile.contents).toString('utf8');
  } catch (error) {
    throw new BootSequenceError(
      'BOOT_BAD_TEARDOWN_INPUT',
      `${source.fileName}: MachineConfig ${name}: the contents of ${ENV_FILE} cannot be read (${(error as Error).message}); give the MachineConfigs build-iso wrote, unchanged.`,
      {
        path: source.fileName,
        jsonPath: `$.spec.config.storage.files[${envIndex}].contents.source`,
        fix: 'use the files of build-iso --manifests-dir as written',
        cause: error,
      },
    );
  }
  const env = readEnv(envText);
  return { pool, name, fileName: source.fileName, files, units, dropins, env };
}

/**
 * Every path the teardown removes on a node of this pool, in order: the files and units of our
 * MachineConfig (MCO removes them first on a cluster; removing them again is for hosts MCO does
 * not manage), then what the scripts wrote at run time. Folders end with `/`: removed only once
 * empty. The registry storage on the volume is found at run time (the volume is mounted then).
 */
function poolPaths(install: PoolInstall): string[] {
  const mirrors = (install.env.get('HOSTMIRROR_MIRRORS') ?? '').split(' ').filter(Boolean);
  const dataDir = install.env.get('HOSTMIRROR_DATA_DIR') ?? READ_ONLY_DATA_DIR;
  const units = install.units.flatMap((unit) => [
    `/etc/systemd/system/${unit}`,
    `/etc/systemd/system/multi-user.target.wants/${unit}`,
  ]);
  const folderOf = (path: string) => `${path.slice(0, path.lastIndexOf('/'))}/`;
  const files = [
    ...install.files,
    ...units,
    ...install.dropins,
    // Written by the scripts (hostmirror-registry-files.sh restore, hostmirror-configure.sh,
    // hostmirror-sync.sh: the program it fetched from node0) and the live ISO's pre-pivot hook.
    REGISTRY_BINARY,
    INVENTORY_FILE,
    TLS_CERTIFICATE_FILE,
    TLS_KEY_FILE,
    REGISTRIES_CONF_DROP_IN,
    CA_ANCHOR_FILE,
    ...mirrors.map((mirror) => `${CERTS_D}/${mirror}/ca.crt`),
  ];
  // Folders after the files, deepest first, so each is empty by its turn: the drop-in folders,
  // certs.d/<mirror>/, our /etc/hostmirror tree, and the data, state and mount folders.
  const folders = [
    ...install.dropins.map(folderOf),
    ...mirrors.map((mirror) => `${CERTS_D}/${mirror}/`),
    ...[...install.files, TLS_CERTIFICATE_FILE]
      .map(folderOf)
      .filter((folder) => folder.startsWith('/etc/hostmirror/')),
    '/etc/hostmirror/',
    `${dataDir}/`,
    `${STATE_DIR}/`,
    `${VOLUME_MOUNT}/`,
  ];
  const depth = (path: string) => path.split('/').length;
  return [
    ...new Set(files),
    ...[...new Set(folders)].sort((a, b) => depth(b) - depth(a) || (a < b ? -1 : 1)),
  ];
}

/** The teardown unit: once at every boot (idempotent), after our units if any are still there. */
function teardownUnit(install: PoolInstall): string {
  return `${[
    '[Unit]',
    'Description=hostmirror: remove the mirror registry, its storage and every file hostmirror wrote',
    'DefaultDependencies=no',
    'After=local-fs.target',
    // Ordering only: on a node where our units still exist, the registry stops after its start.
    ...(install.units.length === 0 ? [] : [`After=${install.units.join(' ')}`]),
    'Before=crio.service kubelet.service',
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    `EnvironmentFile=${TEARDOWN_DIR}/teardown.env`,
    `ExecStart=${SCRIPT_DIR}/${TEARDOWN_SCRIPT}`,
    'StandardOutput=journal',
    'StandardError=journal+console',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
  ].join('\n')}\n`;
}

function teardownEnv(install: PoolInstall): string {
  const keep = [
    'HOSTMIRROR_MOUNT',
    'HOSTMIRROR_VOLUME_LABEL',
    'HOSTMIRROR_VOLUME_MATCH',
    'HOSTMIRROR_VOLUME_WAIT',
    'HOSTMIRROR_DATA_DIR',
    'HOSTMIRROR_STATE_DIR',
    'HOSTMIRROR_REGISTRY_NAME',
    'HOSTMIRROR_MIRRORS',
  ];
  const lines = keep
    .filter((key) => install.env.has(key))
    .map((key) => `${key}=${install.env.get(key)}`);
  lines.push(`HOSTMIRROR_TEARDOWN_UNITS=${install.units.join(' ')}`);
  return `# hostmirror teardown settings (from ${install.name}'s ${ENV_FILE})\n${lines.join('\n')}\n`;
}

/** The file set of one pool's teardown MachineConfig. */
function teardownFileSet(install: PoolInstall): BootFileSet {
  const files: BootFile[] = [
    {
      path: `${SCRIPT_DIR}/${TEARDOWN_SCRIPT}`,
      mode: 0o755,
      contents: scriptText(TEARDOWN_SCRIPT),
    },
    { path: `${TEARDOWN_DIR}/teardown.env`, mode: 0o644, contents: teardownEnv(install) },
    { path: `${TEARDOWN_DIR}/paths`, mode: 0o644, contents: `${poolPaths(install).join('\n')}\n` },
  ];
  return {
    phase: 'installed',
    files,
    units: [{ name: TEARDOWN_UNIT, contents: teardownUnit(install), enabled: true }],
    dropins: [],
  };
}

function shellQuote(value: string): string {
  return /^[A-Za-z0-9_./:@=-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The teardown of a build, from the manifests it wrote (build-iso `--manifests-dir`, or the
 * agent ISO's extra manifests). Refuses input holding none of our MachineConfigs.
 */
export function renderTeardown(sources: readonly TeardownSource[]): Teardown {
  const installs: PoolInstall[] = [];
  const deleteObjects: TeardownObject[] = [];
  let unsetTrustedCa = false;
  for (const source of sources) {
    let documents: unknown[];
    try {
      // The bounded reader every user-given YAML goes through (size, nesting, first error).
      documents = readYamlAll(source.text, { path: source.fileName, aliases: 'refuse' });
    } catch (error) {
      throw new BootSequenceError(
        'BOOT_BAD_TEARDOWN_INPUT',
        `${source.fileName} is not YAML (${(error as Error).message}); give the manifests build-iso wrote.`,
        {
          path: source.fileName,
          fix: 'use the files of build-iso --manifests-dir as written',
          cause: error,
        },
      );
    }
    for (const value of documents) {
      const document = record(value);
      const kind = String(document.kind ?? '');
      const metadata = record(document.metadata);
      const name = String(metadata.name ?? '');
      const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : null;
      if (kind === 'MachineConfig' && /^99-[a-z0-9-]+-hostmirror$/.test(name))
        installs.push(readPoolInstall(source, document));
      else if (kind === 'Image' && name === 'cluster')
        unsetTrustedCa =
          record(record(document.spec).additionalTrustedCA).name === TRUSTED_CA_CONFIGMAP;
      else if (
        DELETED_KINDS.has(kind) &&
        // Ours: the cluster manifests (99-hostmirror-*) and the mirror sets build-iso makes for
        // an archive without any (idms-hostmirror, itms-hostmirror).
        (source.fileName.startsWith('99-hostmirror-') || /^(idms|itms)-hostmirror$/.test(name))
      ) {
        // Release signatures stay: they vouch for the release by digest, wherever it is served.
        const signatures =
          kind === 'ConfigMap' &&
          'release.openshift.io/verification-signatures' in record(metadata.labels);
        const ourCa =
          kind === 'ConfigMap' &&
          name === TRUSTED_CA_CONFIGMAP &&
          namespace === TRUSTED_CA_NAMESPACE;
        if (kind !== 'ConfigMap' || (!signatures && ourCa))
          deleteObjects.push({ kind, name, namespace, fileName: source.fileName });
      }
    }
  }
  if (installs.length === 0)
    throw new BootSequenceError(
      'BOOT_BAD_TEARDOWN_INPUT',
      `None of the ${sources.length} manifests given is a 99-<pool>-hostmirror MachineConfig; give the folder build-iso wrote with --manifests-dir (or the agent ISO's openshift/ manifests).`,
      { fix: 'pass the manifests folder of the build that installed the cluster' },
    );
  installs.sort((a, b) => (a.pool < b.pool ? -1 : 1));
  const machineConfigs = installs.map((install) => {
    const files = teardownFileSet(install);
    const name = `${install.name}-teardown`;
    const document = {
      apiVersion: MACHINE_CONFIG_API_VERSION,
      kind: 'MachineConfig',
      metadata: { name, labels: { [MACHINE_CONFIG_ROLE_LABEL]: install.pool } },
      spec: { config: fileSetToIgnition(files, { spec: '3.2.0', compress: 'never' }) },
    };
    return {
      pool: install.pool,
      name,
      fileName: `${name}.yaml`,
      yaml: stringify(document, { version: '1.1', lineWidth: 0 }),
      files,
    };
  });
  const deleteMachineConfigs = installs.map((install) => ({
    kind: 'MachineConfig',
    name: install.name,
    namespace: null,
    fileName: install.fileName,
  }));
  const del = (object: TeardownObject) =>
    `oc delete --ignore-not-found ${DELETED_KINDS.get(object.kind) ?? 'machineconfig'} ${shellQuote(object.name)}${object.namespace === null ? '' : ` -n ${shellQuote(object.namespace)}`}`;
  const script = [
    '#!/bin/bash',
    '# hostmirror teardown (hostmirror teardown-manifests): run with cluster-admin rights once the',
    "# cluster's release and operators are served by your own registry and your own",
    '# ImageDigestMirrorSet/ImageTagMirrorSet point at it (oc get clusterversion: the release',
    '# image must resolve there). Every step can run again.',
    'set -euo pipefail',
    'here=$(dirname "$0")',
    '',
    '# 1. Our mirror rules, catalogs and trusted CA. MCO renders registries.conf again without them.',
    ...deleteObjects.map(del),
    ...(unsetTrustedCa
      ? [
          `if [ "$(oc get image.config.openshift.io/cluster -o jsonpath='{.spec.additionalTrustedCA.name}')" = ${TRUSTED_CA_CONFIGMAP} ]; then`,
          `  oc patch image.config.openshift.io/cluster --type=json -p '[{"op":"remove","path":"/spec/additionalTrustedCA"}]'`,
          'fi',
        ]
      : []),
    '',
    '# 2. One rolling update per pool: the teardown MachineConfig replaces ours. MCO removes the',
    '#    files and units ours wrote; hostmirror-teardown.service stops the registry and removes',
    '#    its storage and every file our scripts wrote.',
    ...machineConfigs.map((config) => `oc apply -f "$here/${config.fileName}"`),
    ...deleteMachineConfigs.map(del),
    ...installs.map(
      (install) =>
        `oc wait mcp/${shellQuote(install.pool)} --for=condition=Updated=True --timeout=2h`,
    ),
    '',
    '# 3. Afterwards (optional): the teardown MachineConfigs can go too; their unit finds nothing',
    '#    left to remove at each boot.',
    ...machineConfigs.map((config) => `# oc delete machineconfig ${config.name}`),
    '',
  ].join('\n');
  const paths = Object.fromEntries(installs.map((install) => [install.pool, poolPaths(install)]));
  return { machineConfigs, deleteMachineConfigs, deleteObjects, unsetTrustedCa, script, paths };
}
