/**
 * Compose a config from files, directories, links, systemd units and drop-ins, with every
 * file inlined as a data URL (shortest of percent-encoding, base64 and gzip+base64, with
 * `compression` always written, docs/ignition.md#data-urls, docs/ignition.md#merge). Each value is checked with
 * Ignition's rules when it is added, so a mistake is reported at the call that made it;
 * `build()` validates the whole config. Output does not depend on the order of the calls:
 * entries are sorted by path (units by name) and serialised with sorted keys.
 *
 * ```ts
 * const config = new ConfigBuilder({ version: '3.2.0' })
 *   .addFile('/usr/local/bin/serve', script, { mode: 0o755 })
 *   .addUnit('serve.service', { contents: unitText, enabled: true })
 *   .addDropin('crio.service', '10-after-mirror.conf', '[Unit]\nAfter=serve.service\n')
 *   .build();
 * ```
 */
import { lstat, readdir, readFile, readlink, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { openshiftSpecVersion, type SpecVersion } from '@hostmirror/ignition-config-types';
import type {
  DirectoryNode,
  FileNode,
  IgnitionConfig,
  LinkNode,
  Owner,
  Unit,
  User,
} from './config.ts';
import { encodeDataUrl } from './data-url.ts';
import { IgnitionError } from './errors.ts';
import { pathProblem } from './paths.ts';
import { formatReport } from './report.ts';
import { sha512Hash } from './resource-data.ts';
import { dropinSuffix, unitSuffixes } from './rules.ts';
import { type SerializeOptions, serializeConfig } from './serialize.ts';
import { requireSpecVersion } from './translate.ts';
import { parseUnitText } from './unit-file.ts';
import { validateConfig } from './validate.ts';

/** Ignition's defaults, written explicitly so a config says what it does. */
export const defaultFileMode = 0o644;
export const defaultExecutableMode = 0o755;
export const defaultDirectoryMode = 0o755;
const maxMode = 0o7777;
const anyExecuteBit = 0o111;

export interface BuilderOptions {
  /** Spec of the output (default 3.2.0, what OpenShift's installer emits). */
  version?: SpecVersion | string;
  /** Gzip file contents when that gives a shorter data URL (default), or never. */
  compress?: 'auto' | 'never';
  /** Add `verification.hash` (sha512 of the contents) to every file (default false). */
  verify?: boolean;
}

export interface NodeOptions {
  /** Owner by id or by name (not both). Default: root. */
  user?: Owner;
  group?: Owner;
  /** Replace what is already at the path (default: Ignition's, false). */
  overwrite?: boolean;
}

export interface FileOptions extends NodeOptions {
  /** Permission bits, e.g. `0o755` (default 0o644). Special bits need spec 3.6.0. */
  mode?: number;
  /** Override the builder's `compress` for this file. */
  compress?: 'auto' | 'never';
}

export interface DirectoryOptions extends NodeOptions {
  /** Default 0o755. */
  mode?: number;
}

export interface LinkOptions extends NodeOptions {
  /** A hard link instead of a symbolic one. */
  hard?: boolean;
}

export interface UnitOptions {
  /** Unit text; omit to only enable, disable, mask or add drop-ins to an existing unit. */
  contents?: string;
  /** true: `enable` preset; false: `disable` preset; omitted: left alone. */
  enabled?: boolean;
  /** Symlink the unit to /dev/null. */
  mask?: boolean;
}

/** A user to create or update (`passwd.users`); only the fields given are written. */
export type UserOptions = Omit<User, 'name'>;

export class ConfigBuilder {
  readonly version: SpecVersion;
  private readonly compress: 'auto' | 'never';
  private readonly verify: boolean;
  private readonly files = new Map<string, FileNode>();
  private readonly directories = new Map<string, DirectoryNode>();
  private readonly links = new Map<string, LinkNode>();
  private readonly units = new Map<string, Unit>();
  private readonly users = new Map<string, User>();

  constructor(options: BuilderOptions = {}) {
    this.version = requireSpecVersion(options.version ?? openshiftSpecVersion);
    this.compress = options.compress ?? 'auto';
    this.verify = options.verify ?? false;
  }

  /** Whether a file, directory or link is already configured at `path`. */
  has(path: string): boolean {
    return this.files.has(path) || this.directories.has(path) || this.links.has(path);
  }

  /** A file with the given contents (text is written as UTF-8). */
  addFile(path: string, contents: string | Uint8Array, options: FileOptions = {}): this {
    this.claimPath(path);
    const bytes = typeof contents === 'string' ? Buffer.from(contents, 'utf8') : contents;
    const encoded = encodeDataUrl(bytes, { compress: options.compress ?? this.compress });
    const file: FileNode = {
      path,
      ...nodeFields(options),
      mode: checkedMode(options.mode ?? defaultFileMode, path),
      contents: {
        source: encoded.source,
        compression: encoded.compression,
        ...(this.verify ? { verification: { hash: sha512Hash(bytes) } } : {}),
      },
    };
    this.files.set(path, file);
    return this;
  }

  /**
   * A file with the contents of a local file. Without `mode`, it is 0o755 when the local file
   * has any execute bit and 0o644 otherwise (as Butane's trees do).
   */
  async addLocalFile(path: string, localPath: string, options: FileOptions = {}): Promise<this> {
    const [bytes, info] = await Promise.all([readFile(localPath), stat(localPath)]);
    const mode =
      options.mode ?? ((info.mode & anyExecuteBit) !== 0 ? defaultExecutableMode : defaultFileMode);
    return this.addFile(path, bytes, { ...options, mode });
  }

  /**
   * Every regular file and symbolic link under the local folder `localDir`, placed under
   * `destination` (as Butane's `storage.trees`): files keep the execute-bit rule of
   * `addLocalFile`, links keep their literal target; folders are not listed (Ignition makes
   * them). Other file types are refused.
   */
  async addTree(localDir: string, destination = '/'): Promise<this> {
    const walk = async (relative: string): Promise<void> => {
      const entries = (await readdir(join(localDir, relative))).sort();
      for (const name of entries) {
        const local = join(localDir, relative, name);
        const target = posix.join(destination, relative, name);
        const info = await lstat(local);
        if (info.isDirectory()) await walk(posix.join(relative, name));
        else if (info.isSymbolicLink()) this.addLink(target, await readlink(local));
        else if (info.isFile()) await this.addLocalFile(target, local);
        else
          throw new IgnitionError(
            'BUILDER_INVALID',
            `${local} is neither a regular file, a folder nor a symbolic link; Ignition cannot create it.`,
          );
      }
    };
    await walk('');
    return this;
  }

  /** A user (e.g. `core` with `sshAuthorizedKeys`); each name once. */
  addUser(name: string, options: UserOptions = {}): this {
    if (name === '' || this.users.has(name))
      throw new IgnitionError(
        'BUILDER_CONFLICT',
        name === ''
          ? 'A user needs a name.'
          : `The user ${name} is already configured; add it once.`,
      );
    this.users.set(name, { name, ...structuredClone(options) });
    return this;
  }

  addDirectory(path: string, options: DirectoryOptions = {}): this {
    this.claimPath(path);
    this.directories.set(path, {
      path,
      ...nodeFields(options),
      mode: checkedMode(options.mode ?? defaultDirectoryMode, path),
    });
    return this;
  }

  /** A symbolic link at `path` pointing to `target` (or a hard link with `hard: true`). */
  addLink(path: string, target: string, options: LinkOptions = {}): this {
    this.claimPath(path);
    if (target === '')
      throw new IgnitionError(
        'BUILDER_INVALID',
        `The link ${path} needs a target; got an empty string.`,
      );
    this.links.set(path, {
      path,
      ...nodeFields(options),
      target,
      ...(options.hard === undefined ? {} : { hard: options.hard }),
    });
    return this;
  }

  addUnit(name: string, options: UnitOptions = {}): this {
    checkUnitName(name);
    const existing = this.units.get(name);
    if (
      existing !== undefined &&
      (existing.contents !== undefined ||
        existing.enabled !== undefined ||
        existing.mask !== undefined)
    )
      throw new IgnitionError(
        'BUILDER_CONFLICT',
        `The unit ${name} is already configured; add it once.`,
      );
    if (options.contents !== undefined) checkUnitText(options.contents, `unit ${name}`);
    this.units.set(name, {
      name,
      ...(options.enabled === undefined ? {} : { enabled: options.enabled }),
      ...(options.mask === undefined ? {} : { mask: options.mask }),
      ...(options.contents === undefined ? {} : { contents: options.contents }),
      ...(existing?.dropins === undefined ? {} : { dropins: existing.dropins }),
    });
    return this;
  }

  /** A drop-in `/etc/systemd/system/<unit>.d/<name>`; the unit need not be configured. */
  addDropin(unitName: string, name: string, contents: string): this {
    checkUnitName(unitName);
    if (!name.endsWith(dropinSuffix) || name.includes('/'))
      throw new IgnitionError(
        'BUILDER_INVALID',
        `The drop-in name ${JSON.stringify(name)} must end in ${dropinSuffix} and have no slash (Ignition: invalid systemd drop-in extension).`,
      );
    checkUnitText(contents, `drop-in ${unitName}.d/${name}`);
    const unit = this.units.get(unitName) ?? { name: unitName };
    const dropins = unit.dropins ?? [];
    if (dropins.some((dropin) => dropin.name === name))
      throw new IgnitionError(
        'BUILDER_CONFLICT',
        `The drop-in ${unitName}.d/${name} is already configured; add it once.`,
      );
    unit.dropins = [...dropins, { name, contents }];
    this.units.set(unitName, unit);
    return this;
  }

  /**
   * The config, validated with Ignition's rules (unknown keys included); throws
   * `CONFIG_INVALID` with the report when it has errors.
   */
  build(): IgnitionConfig {
    const byKey = <T>(map: Map<string, T>) =>
      [...map.keys()].sort().map((key) => map.get(key) as T);
    const storage = {
      ...(this.directories.size > 0 ? { directories: byKey(this.directories) } : {}),
      ...(this.files.size > 0 ? { files: byKey(this.files) } : {}),
      ...(this.links.size > 0 ? { links: byKey(this.links) } : {}),
    };
    const units = byKey(this.units).map((unit) =>
      unit.dropins === undefined
        ? unit
        : { ...unit, dropins: [...unit.dropins].sort((a, b) => (a.name < b.name ? -1 : 1)) },
    );
    const config: IgnitionConfig = structuredClone({
      ignition: { version: this.version },
      ...(Object.keys(storage).length > 0 ? { storage } : {}),
      ...(units.length > 0 ? { systemd: { units } } : {}),
      ...(this.users.size > 0 ? { passwd: { users: byKey(this.users) } } : {}),
    });
    const report = validateConfig(config, { strict: true });
    if (!report.valid)
      throw new IgnitionError(
        'CONFIG_INVALID',
        `The built config is not valid:\n${formatReport(report)}`,
        { report },
      );
    return config;
  }

  /** `build()` serialised deterministically (sorted keys; compact unless `pretty`). */
  serialize(options: SerializeOptions = {}): string {
    return serializeConfig(this.build(), options);
  }

  private claimPath(path: string): void {
    const problem = pathProblem(path);
    if (problem !== undefined)
      throw new IgnitionError(
        'BUILDER_INVALID',
        `The path ${JSON.stringify(path)} is not usable (Ignition: ${problem}); give a clean absolute path such as /etc/example.`,
      );
    if (this.has(path))
      throw new IgnitionError(
        'BUILDER_CONFLICT',
        `${path} is already configured; files, directories and links share one set of paths.`,
      );
  }
}

function nodeFields(options: NodeOptions): Partial<FileNode> {
  for (const [role, owner] of [
    ['user', options.user],
    ['group', options.group],
  ] as const) {
    if (
      owner?.id !== undefined &&
      owner.id !== null &&
      owner.name !== undefined &&
      owner.name !== null
    )
      throw new IgnitionError(
        'BUILDER_INVALID',
        `Give the ${role} by id or by name, not both (got ${JSON.stringify(owner)}).`,
      );
  }
  return {
    ...(options.user === undefined ? {} : { user: { ...options.user } }),
    ...(options.group === undefined ? {} : { group: { ...options.group } }),
    ...(options.overwrite === undefined ? {} : { overwrite: options.overwrite }),
  };
}

function checkedMode(mode: number, path: string): number {
  if (!Number.isInteger(mode) || mode < 0 || mode > maxMode)
    throw new IgnitionError(
      'BUILDER_INVALID',
      `The mode ${mode} of ${path} is out of range 0..0o7777; write it in octal, e.g. 0o644.`,
    );
  return mode;
}

function checkUnitName(name: string): void {
  const extension = /(\.[^./]*)$/.exec(name)?.[1] ?? '';
  if (!unitSuffixes.includes(extension) || name.includes('/'))
    throw new IgnitionError(
      'BUILDER_INVALID',
      `The unit name ${JSON.stringify(name)} needs one of the suffixes ${unitSuffixes.join(' ')} (Ignition: invalid systemd unit extension).`,
    );
}

function checkUnitText(text: string, what: string): void {
  const parsed = parseUnitText(text);
  if ('problem' in parsed)
    throw new IgnitionError(
      'BUILDER_INVALID',
      `The ${what} cannot be parsed: invalid unit content: ${parsed.problem}.`,
    );
}
