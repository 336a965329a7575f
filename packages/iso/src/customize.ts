/**
 * coreos-installer's `iso customize` and `pxe customize`, the options hostmirror supports, with
 * its semantics (coreos/coreos-installer at bee45001: src/live/customize.rs `LiveInitrd`,
 * src/live/mod.rs `iso_customize`/`pxe_customize`, src/io/ignition.rs, docs/cmd/iso.md):
 *
 * - `--live-ignition F`: merged into the live config through `ignition.config.merge`, in order
 *   (each a gzip data URL, as `Ignition::merge_config` makes it; the live config is spec 3.3.0).
 * - `--dest-ignition F`: the config of the installed system, written to `/etc/coreos/dest.ign`
 *   (0600) by the live config; exactly one config and no CA is embedded as the user wrote it
 *   (re-serialized), else a wrapper merges them. It makes the live system run coreos-installer:
 *   `/etc/coreos/installer.d/NNNN-customize.yaml` (0600) names `ignition-file`.
 * - `--dest-device D`, `--dest-console C`, `--dest-karg-append K`, `--dest-karg-delete K`: that
 *   installer config's `dest-device` ("install without confirmation"), `console` (console.rs
 *   syntax, written in full), `append-karg`, `delete-karg`.
 * - `--installer-config F`: `/etc/coreos/installer.d/NNNN-<name>` in order, before ours.
 * - `--pre-install S`, `--post-install S`: `/usr/local/bin/{pre,post}-install-<name>` (0700) and
 *   a unit ordered around coreos-installer.service (`install_hook`).
 * - `--network-keyfile F`: `etc/coreos-firstboot-network/<name>` in the embedded initrd, which the
 *   live initramfs applies; with the installer running, `copy-network: true` carries it over.
 * - `--ignition-ca F`: trusted by the live config's Ignition and, with a dest config, by it too.
 *
 * What the OS image supports is read from its `coreos/features.json` (`installer-config`,
 * `live-initrd-network`); an option it does not support is refused with coreos-installer's words.
 * An empty live config is never embedded (the ISO would turn autologin off, customize.rs).
 */
import { writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createWorkFolder } from '@hostmirror/atomic-file';
import { GZIP_BEST_LEVEL, gzipBytes } from '@hostmirror/codecs';
import type { NewcEntry } from '@hostmirror/cpio-stream';
import { type IgnitionConfig, validateConfig } from '@hostmirror/ignition';
import { type AppendResult, appendArchive, walkInitrd } from '@hostmirror/initrd/archives';
import { parseYamlDocuments, YamlInputError } from '@hostmirror/yaml-input';
import { isMap, stringify } from 'yaml';
import type { CoreosFeatures } from './coreos.ts';
import { encodeEmbedArea, IGNITION_MEMBER } from './embed-area.ts';
import { IsoError } from './errors.ts';

/** Where the live initramfs reads NetworkManager keyfiles from (embed.rs `INITRD_NETWORK_DIR`). */
export const INITRD_NETWORK_DIR = 'etc/coreos-firstboot-network';
/** The file a CoreOS live initramfs carries (mod.rs `INITRD_LIVE_STAMP_PATH`). */
export const INITRD_LIVE_STAMP = 'etc/coreos-live-initramfs';
/** The OS features inside a live initramfs (customize.rs `INITRD_FEATURES_PATH`). */
export const INITRD_FEATURES = 'etc/coreos/features.json';
/** Where the live config puts the dest config and the installer's config (customize.rs). */
export const DEST_IGNITION_PATH = '/etc/coreos/dest.ign';
export const INSTALLER_CONFIG_DIR = '/etc/coreos/installer.d';
/** The spec of the live config coreos-installer writes (src/io/ignition.rs uses ignition_config::v3_3). */
export const CUSTOMIZE_SPEC_VERSION = '3.3.0';

/** An input already read: its name (a path, or `-`) for messages, and its bytes. */
export interface NamedInput {
  name: string;
  bytes: Uint8Array;
}

/** The customizations of `iso customize` / `pxe customize` hostmirror supports. */
export interface LiveCustomization {
  liveIgnition?: readonly NamedInput[];
  destIgnition?: readonly NamedInput[];
  destDevice?: string;
  /** Kernel and bootloader consoles of the installed system (`ttyS0,115200n8`, `tty0`). */
  destConsole?: readonly string[];
  /** Kernel arguments the installer appends to / deletes from the installed system. */
  destKargAppend?: readonly string[];
  destKargDelete?: readonly string[];
  networkKeyfiles?: readonly NamedInput[];
  ignitionCa?: readonly NamedInput[];
  /** Scripts run before / after the installer, as units of the live system. */
  preInstall?: readonly NamedInput[];
  postInstall?: readonly NamedInput[];
  /** coreos-installer config files (YAML), applied in order before ours. */
  installerConfig?: readonly NamedInput[];
}

export interface CustomizedInitrd {
  /** The embedded initrd's members (path → bytes), as the ISO area or a PXE initrd carries them. */
  members: Map<string, Buffer>;
  /** What coreos-installer says about the result ("Boot media will automatically …"). */
  notes: string[];
}

/** A file's place in `--network-keyfile` / a script: its name without folders (util.rs `filename`). */
function fileName(input: NamedInput): string {
  const name = input.name.split('/').pop() ?? '';
  if (name === '' || name === '.' || name === '..' || input.name === '-')
    throw new IsoError(
      'BAD_CUSTOMIZATION',
      `${input.name} names no file; the keyfile is installed under its file name, so give its path.`,
    );
  return name;
}

/** ignition.rs `make_resource`: the bytes gzip-compressed (best) in a base64 data URL. */
function resource(bytes: Uint8Array): { compression: string; source: string } {
  const gzipped = gzipBytes(bytes, GZIP_BEST_LEVEL);
  return { compression: 'gzip', source: `data:;base64,${gzipped.toString('base64')}` };
}

/** coreos-installer's own config wrapper (src/io/ignition.rs `Ignition`). */
class WrapperConfig {
  readonly merge: unknown[] = [];
  readonly cas: unknown[] = [];
  readonly files: Array<{ path: string; contents: unknown; mode: number }> = [];
  readonly units: Array<{ name: string; contents: string; enabled: boolean }> = [];

  mergeConfig(config: IgnitionConfig): void {
    this.merge.push(resource(Buffer.from(JSON.stringify(config))));
  }

  addCa(bytes: Uint8Array): void {
    this.cas.push(resource(bytes));
  }

  addFile(path: string, bytes: Uint8Array, mode: number): void {
    if (this.files.some((file) => file.path === path))
      throw new IsoError('BAD_CUSTOMIZATION', `config already specifies path ${path}`);
    this.files.push({ path, contents: resource(bytes), mode });
  }

  addUnit(name: string, contents: string): void {
    if (this.units.some((unit) => unit.name === name))
      throw new IsoError('BAD_CUSTOMIZATION', `config already specifies unit ${name}`);
    this.units.push({ name, contents, enabled: true });
  }

  toBytes(): Buffer {
    const ignition: Record<string, unknown> = {};
    if (this.merge.length > 0) ignition.config = { merge: this.merge };
    if (this.cas.length > 0) ignition.security = { tls: { certificateAuthorities: this.cas } };
    ignition.version = CUSTOMIZE_SPEC_VERSION;
    const config: Record<string, unknown> = { ignition };
    if (this.files.length > 0) config.storage = { files: this.files };
    if (this.units.length > 0) config.systemd = { units: this.units };
    return Buffer.from(`${JSON.stringify(config)}\n`);
  }
}

/**
 * An installer config's documents, read as before (YAML 1.2, yaml's default) by the one bounded
 * reader; a refusal (syntax, size, nesting, a duplicate key, an alias to no anchor) is
 * BAD_CUSTOMIZATION at its line and column.
 */
function installerConfigDocuments(config: NamedInput) {
  const text = Buffer.from(config.bytes).toString('utf8');
  try {
    return parseYamlDocuments(text, { path: config.name, version: '1.2', aliases: 'bounded' });
  } catch (error) {
    if (!(error instanceof YamlInputError)) throw error;
    throw new IsoError(
      'BAD_CUSTOMIZATION',
      `parsing installer config ${error.message}`,
      error.details,
    );
  }
}

/** A user's config, parsed and judged with Ignition's rules (coreos-installer parses it). */
function parseUserConfig(input: NamedInput, what: string): IgnitionConfig {
  const report = validateConfig(input.bytes);
  if (report.config === undefined || !report.valid) {
    const first = report.parseFailure?.message ?? report.errors[0]?.message ?? 'invalid';
    throw new IsoError(
      'BAD_CUSTOMIZATION',
      `The ${what} ${input.name} is not a valid Ignition config (${first}); check it with \`hostmirror ignition validate ${input.name}\`.`,
    );
  }
  return report.config;
}

function unsupported(what: string): IsoError {
  return new IsoError('UNSUPPORTED_CUSTOMIZATION', `This OS image does not support ${what}.`, {
    fix: 'Use a newer CoreOS image (its coreos/features.json names the feature), or leave the option out.',
  });
}

const SERIAL_CONSOLE =
  /^(?<prefix>ttyS|ttyAMA)(?<port>[0-9]+)(?:,(?<speed>[0-9]+)(?:(?<parity>n|o|e)(?<bits>[5-8])?)?)?$/;

/**
 * A console as coreos-installer's `Console` reads and writes it (src/cmdline/console.rs
 * `FromStr`, `Display`): a serial port `ttyS|ttyAMA<port>[,speed[n|o|e[bits]]]`, written in
 * full (`ttyS1` is `ttyS1,9600n8`), or one of the graphical `tty0`, `hvc0`, `ttysclp0`.
 */
export function parseConsole(spec: string): string {
  for (const prefix of ['console=', '/dev/'])
    if (spec.startsWith(prefix))
      throw new IsoError(
        'BAD_CUSTOMIZATION',
        `console ${spec}: spec should not start with "${prefix}"`,
      );
  const serial = SERIAL_CONSOLE.exec(spec)?.groups;
  if (serial !== undefined) {
    const { prefix, port, speed = '9600', parity = 'n', bits = '8' } = serial;
    if (Number(port) > 255 || Number(speed) > 0xffff_ffff)
      throw new IsoError('BAD_CUSTOMIZATION', `console ${spec}: couldn't parse port or speed`);
    return `${prefix}${Number(port)},${Number(speed)}${parity}${bits}`;
  }
  if (spec === 'tty0' || spec === 'hvc0' || spec === 'ttysclp0') return spec;
  throw new IsoError(
    'BAD_CUSTOMIZATION',
    `console ${spec}: invalid or unsupported console argument`,
  );
}

/**
 * console.rs `maybe_warn_on_kargs`: `console=` kargs that all parse as consoles are better given
 * as consoles (kernel and bootloader both); the note names the options (not wrapped).
 */
function consoleKargsNote(kargs: readonly string[]): string | undefined {
  const specs = kargs.filter((karg) => karg.startsWith('console=')).map((karg) => karg.slice(8));
  if (specs.length === 0) return undefined;
  try {
    for (const spec of specs) parseConsole(spec);
  } catch {
    return undefined;
  }
  return `Note: consider using "${specs.map((spec) => `--dest-console ${spec}`).join(' ')}" instead of "${specs.map((spec) => `--dest-karg-append console=${spec}`).join(' ')}" to configure both kernel and bootloader consoles.`;
}

/** customize.rs `install_hook`: the unit that runs a `--pre-install`/`--post-install` script. */
function installHookUnit(kind: 'pre' | 'post', name: string): string {
  const [deps, target] =
    kind === 'pre'
      ? [
          'After=coreos-installer-pre.target\nBefore=coreos-installer.service',
          'coreos-installer.service',
        ]
      : [
          'After=coreos-installer.service\nBefore=coreos-installer.target',
          'coreos-installer.target',
        ];
  const title = `${kind[0]?.toUpperCase()}${kind.slice(1)}`;
  return `# Generated by coreos-installer {iso|pxe} customize

[Unit]
Description=${title}-Install Script (${name})
Documentation=https://coreos.github.io/coreos-installer/customizing-install/
${deps}

[Service]
Type=oneshot
ExecStart=/usr/local/bin/${kind}-install-${name}
RemainAfterExit=true
StandardOutput=kmsg+console
StandardError=kmsg+console

[Install]
RequiredBy=${target}`;
}

/** coreos-installer's InstallConfig, the fields these options set (src/cmdline/install.rs). */
interface InstallerFields {
  ignitionFile?: string;
  console?: string[];
  appendKarg?: string[];
  deleteKarg?: string[];
  copyNetwork?: boolean;
  destDevice?: string;
}

/**
 * serde_yaml of InstallConfig: fields in declaration order, defaults left out, sequences
 * unindented (`- a` under its key), strings plain unless they would read as another type.
 */
function installerYaml(fields: InstallerFields): string {
  const document: Record<string, unknown> = {};
  if (fields.ignitionFile !== undefined) document['ignition-file'] = fields.ignitionFile;
  if ((fields.console?.length ?? 0) > 0) document.console = fields.console;
  if ((fields.appendKarg?.length ?? 0) > 0) document['append-karg'] = fields.appendKarg;
  if ((fields.deleteKarg?.length ?? 0) > 0) document['delete-karg'] = fields.deleteKarg;
  if (fields.copyNetwork === true) document['copy-network'] = true;
  if (fields.destDevice !== undefined) document['dest-device'] = fields.destDevice;
  return stringify(document, { indentSeq: false });
}

/**
 * The initrd `LiveInitrd::into_initrd` makes from `customization` for an OS with `features`:
 * `config.ign` (the live config, when there is one) and the network keyfiles. Options are
 * taken in `LiveInitrd::from_common`'s order.
 */
export function customizeLiveInitrd(
  customization: LiveCustomization,
  features: CoreosFeatures,
): CustomizedInitrd {
  const members = new Map<string, Buffer>();
  const notes: string[] = [];
  let live: WrapperConfig | undefined;
  const liveConfig = () => {
    live ??= new WrapperConfig();
    return live;
  };
  let installer: InstallerFields | undefined;
  const installerFields = () => {
    installer ??= {};
    return installer;
  };
  let serial = 0;
  const installerConfigBytes = (name: string, bytes: Uint8Array) => {
    if (features['installer-config'] !== true)
      throw unsupported('customizing installer configuration');
    liveConfig().addFile(
      `${INSTALLER_CONFIG_DIR}/${String(serial).padStart(4, '0')}-${name}`,
      bytes,
      0o600,
    );
    serial++;
  };
  const userDest = (customization.destIgnition ?? []).map((input) =>
    parseUserConfig(input, 'destination Ignition config'),
  );
  if (customization.destDevice !== undefined)
    installerFields().destDevice = customization.destDevice;
  const consoles = customization.destConsole ?? [];
  if (consoles.length > 0) {
    if (features['installer-config-directives']?.console !== true)
      throw unsupported('customizing the destination console');
    installerFields().console = consoles.map(parseConsole);
  }
  const { destKargAppend = [], destKargDelete = [] } = customization;
  const consoleNote = consoleKargsNote(destKargAppend);
  if (consoleNote !== undefined) notes.push(consoleNote);
  if (destKargAppend.length > 0) installerFields().appendKarg = [...destKargAppend];
  if (destKargDelete.length > 0) installerFields().deleteKarg = [...destKargDelete];
  let copyNetwork = false;
  for (const keyfile of customization.networkKeyfiles ?? []) {
    if (features['live-initrd-network'] !== true) throw unsupported('customizing network settings');
    const name = fileName(keyfile);
    const path = `${INITRD_NETWORK_DIR}/${name}`;
    if (members.has(path))
      throw new IsoError('BAD_CUSTOMIZATION', `config already specifies keyfile ${name}`);
    members.set(path, Buffer.from(keyfile.bytes));
    copyNetwork = true;
  }
  const destCas: Uint8Array[] = [];
  for (const ca of customization.ignitionCa ?? []) {
    liveConfig().addCa(ca.bytes);
    destCas.push(ca.bytes);
  }
  for (const [kind, scripts] of [
    ['pre', customization.preInstall],
    ['post', customization.postInstall],
  ] as const)
    for (const script of scripts ?? []) {
      const name = fileName(script);
      liveConfig().addFile(`/usr/local/bin/${kind}-install-${name}`, script.bytes, 0o700);
      liveConfig().addUnit(`${kind}-install-${name}.service`, installHookUnit(kind, name));
    }
  for (const config of customization.installerConfig ?? []) {
    // coreos-installer parses it as its InstallConfig (and does not validate further); read by
    // the one bounded YAML reader, aliases left to coreos-installer (only an undefined one refused).
    const [parsed] = installerConfigDocuments(config);
    if (parsed !== undefined && parsed.contents !== null && !isMap(parsed.contents))
      throw new IsoError(
        'BAD_CUSTOMIZATION',
        `parsing installer config ${config.name}: not a mapping of coreos-installer install options`,
        { path: config.name },
      );
    installerConfigBytes(fileName(config), config.bytes);
  }
  for (const input of customization.liveIgnition ?? [])
    liveConfig().mergeConfig(parseUserConfig(input, 'live Ignition config'));

  if (userDest.length > 0) {
    let destBytes: Buffer;
    const [only] = userDest;
    if (destCas.length === 0 && userDest.length === 1 && only !== undefined) {
      // customize.rs: exactly one dest config and nothing of ours: embedded directly.
      destBytes = Buffer.from(`${JSON.stringify(only)}\n`);
    } else {
      const dest = new WrapperConfig();
      for (const ca of destCas) dest.addCa(ca);
      for (const config of userDest) dest.mergeConfig(config);
      destBytes = dest.toBytes();
    }
    liveConfig().addFile(DEST_IGNITION_PATH, destBytes, 0o600);
    installerFields().ignitionFile = DEST_IGNITION_PATH;
  }
  if (serial > 0 || installer !== undefined) {
    // The installer will run: say so, and have it carry the network settings over.
    const device = installer?.destDevice;
    notes.push(
      device !== undefined
        ? `Boot media will automatically install to ${device} without confirmation.`
        : 'Boot media will automatically run installer.',
    );
    if (copyNetwork) installerFields().copyNetwork = true;
  }
  if (installer !== undefined)
    installerConfigBytes('customize.yaml', Buffer.from(installerYaml(installer)));
  if (live !== undefined) members.set(IGNITION_MEMBER, live.toBytes());
  return { members, notes };
}

/** Whether an embedded initrd's members already customize the live system (config or network). */
export function isCustomized(members: ReadonlyMap<string, Uint8Array>): boolean {
  return [...members.keys()].some(
    (path) => path === IGNITION_MEMBER || path.startsWith(`${INITRD_NETWORK_DIR}/`),
  );
}

export interface PxeCustomizeResult extends CustomizedInitrd {
  /** The output initrd: the input unchanged, zeros to 4, the customization's xz archive. */
  append: AppendResult;
}

/**
 * coreos-installer's `pxe customize INITRD -o OUT` (mod.rs `pxe_customize`): the live initramfs
 * must carry `etc/coreos-live-initramfs` and no customization yet (`config.ign`, network
 * keyfiles); its `etc/coreos/features.json` says what it supports; the output is the input with
 * the customization appended as one more initrd segment (the base bytes untouched).
 */
export async function customizePxeInitrd(
  input: string,
  customization: LiveCustomization,
  output: string,
  options: { overwrite?: boolean } = {},
): Promise<PxeCustomizeResult> {
  let stamp = false;
  let customized: string | undefined;
  let featuresText: string | undefined;
  const walk = await walkInitrd(input, {
    collectEntries: false,
    async onEntry(entry: NewcEntry) {
      const path = entry.path.replace(/^\/+/, '');
      if (path === INITRD_LIVE_STAMP) stamp = true;
      else if (path === INITRD_FEATURES && entry.type === 'file')
        featuresText = Buffer.from(await entry.bytes()).toString('utf8');
      else if (path === IGNITION_MEMBER || path.startsWith(`${INITRD_NETWORK_DIR}/`))
        customized ??= path;
    },
  });
  const [fault] = walk.faults;
  if (fault !== undefined || !stamp)
    throw new IsoError(
      'NOT_LIVE_INITRD',
      fault !== undefined
        ? `${input} cannot be read as an initrd at byte ${fault.offset}: ${fault.message}`
        : `${input} is not a CoreOS live initramfs image (it has no ${INITRD_LIVE_STAMP}).`,
      {
        path: input,
        offset: fault?.offset,
        fix: 'Give the live initramfs of a CoreOS release (images/pxeboot/initrd.img of its live ISO, or `hostmirror iso extract pxe`).',
      },
    );
  if (customized !== undefined)
    throw new IsoError(
      'ALREADY_CUSTOMIZED',
      `${input} is already customized (it carries ${customized}).`,
      { path: input, fix: 'Customize the initramfs as released, not an output of pxe customize.' },
    );
  let features: CoreosFeatures = {};
  if (featuresText !== undefined) {
    try {
      features = JSON.parse(featuresText) as CoreosFeatures;
    } catch (error) {
      throw new IsoError(
        'BAD_METADATA',
        `${input}: ${INITRD_FEATURES} is not JSON (${(error as Error).message}).`,
        { path: input, fix: 'Use an unmodified CoreOS live initramfs.' },
      );
    }
  }
  const result = customizeLiveInitrd(customization, features);
  if (result.members.has(IGNITION_MEMBER))
    result.notes.push(
      'PXE configuration must include kernel arguments:\n\tignition.firstboot ignition.platform.id=metal',
    );
  const work = await createWorkFolder(dirname(resolve(output)), '.hostmirror-pxe-customize-');
  try {
    const archive = join(work.path, 'customize.img');
    await writeFile(archive, await encodeEmbedArea(result.members));
    const append = await appendArchive(input, archive, output, {
      overwrite: options.overwrite ?? false,
    });
    return { ...result, append };
  } finally {
    await work.dispose();
  }
}
