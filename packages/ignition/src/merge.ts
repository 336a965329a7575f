/**
 * Merge a child config into a parent exactly as Ignition's `config/merge` does
 * (docs/ignition.md#merge). Both must be of the same spec; Ignition translates both to its
 * newest spec first (`mergeConfigs` does the same with `translateConfig`). The rules:
 *
 *  1. Objects (Go structs) merge member by member, recursively; an object missing on one side
 *     is taken whole from the other.
 *  2. Scalars: the child's value wins whenever the child sets it, including `false`, `0` and
 *     `""`; a member the child leaves out (or sets to `null`, which Go reads as "unset") keeps
 *     the parent's value. `ignition.version` is the child's.
 *  3. Lists marked "ignore duplicates" — `files[].append`, filesystem `options` and
 *     `mountOptions`, RAID `options`, LUKS `options` — are concatenated, parent then child,
 *     duplicates kept.
 *  4. Every other list is keyed (the key column of docs/ignition.md#duplicates: `path`, `name`, `device`, `source`,
 *     partition `number:N`/`label:L`, tang `url`, or the string itself). Walking the parent in
 *     order, an entry whose key the child also has in the same list is merged with the child's
 *     entry (rules 1–7, recursively); other parent entries stay. Then the child's entries with
 *     keys the parent's list lacks are appended, in the child's order.
 *  5. Lists that share a key space — `storage.files`/`directories`/`links`, and
 *     `kernelArguments.shouldExist`/`shouldNotExist` — are one list for keys: when the child
 *     has a key in a different list of the group, the parent's entry is dropped and the child's
 *     entry lands in the child's list (a parent file `/etc/b` and a child link `/etc/b` leave
 *     only the link).
 *  6. HTTP headers (keyed by `name`): a child header without a `value` (or with `null`) deletes
 *     the parent's header of that name and is not itself kept; with a value it replaces it.
 *  7. Empty lists are left out of the result, as Go's `omitempty` leaves them out.
 *
 * Merging two valid configs can give an invalid one (Ignition then fails with `merging configs
 * resulted in an invalid config`); validate the result.
 */
import { isSpecVersion, type SpecVersion } from '@hostmirror/ignition-config-types';
import type { IgnitionConfig } from './config.ts';
import { cloneJson, copyKnownFields } from './json-depth.ts';
import { compareSpecVersions } from './spec.ts';
import { requireSpecVersion, translateConfig } from './translate.ts';

type JsonObject = { [key: string]: unknown };
type KeyOf = (item: unknown) => string;

const isObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const field =
  (name: string): KeyOf =>
  (item) =>
    isObject(item) && typeof item[name] === 'string' ? (item[name] as string) : '';
const itself: KeyOf = (item) => String(item);
const partitionKey: KeyOf = (item) => {
  if (!isObject(item)) return '';
  if (typeof item.number === 'number' && item.number !== 0) return `number:${item.number}`;
  if (typeof item.label === 'string') return `label:${item.label}`;
  return '';
};

/** Rule 3: lists concatenated as they are, by their dotted path (list indexes left out). */
const concatenatedLists = new Set([
  'storage.files.append',
  'storage.filesystems.options',
  'storage.filesystems.mountOptions',
  'storage.raid.options',
  'storage.luks.options',
]);

/** Rule 4: the key of each keyed list, by dotted path. */
const listKeys: Readonly<Record<string, KeyOf>> = {
  'ignition.config.merge': field('source'),
  'ignition.security.tls.certificateAuthorities': field('source'),
  'ignition.proxy.noProxy': itself,
  'storage.disks': field('device'),
  'storage.disks.partitions': partitionKey,
  'storage.filesystems': field('device'),
  'storage.raid': field('name'),
  'storage.raid.devices': itself,
  'storage.luks': field('name'),
  'storage.luks.clevis.tang': field('url'),
  'storage.luks.openOptions': itself,
  'storage.files': field('path'),
  'storage.directories': field('path'),
  'storage.links': field('path'),
  'systemd.units': field('name'),
  'systemd.units.dropins': field('name'),
  'passwd.users': field('name'),
  'passwd.users.sshAuthorizedKeys': itself,
  'passwd.users.groups': itself,
  'passwd.groups': field('name'),
  'kernelArguments.shouldExist': itself,
  'kernelArguments.shouldNotExist': itself,
};

/** Rule 5: lists sharing one key space, by the dotted path of the object holding them. */
const sharedKeySpaces: Readonly<Record<string, readonly string[]>> = {
  storage: ['files', 'directories', 'links'],
  kernelArguments: ['shouldExist', 'shouldNotExist'],
};

const headersList = 'httpHeaders';

function keyOfList(path: string): KeyOf | undefined {
  if (path === headersList || path.endsWith(`.${headersList}`)) return field('name');
  return listKeys[path];
}

const join = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);

function mergeLists(
  parent: unknown[],
  child: unknown[],
  path: string,
  takenElsewhere: ReadonlySet<string>,
): unknown[] {
  if (concatenatedLists.has(path)) return [...cloneJson(parent), ...cloneJson(child)];
  const keyOf = keyOfList(path);
  if (keyOf === undefined) return cloneJson(child);
  const isHeaders = path === headersList || path.endsWith(`.${headersList}`);
  const childByKey = new Map(child.map((item) => [keyOf(item), item]));
  const parentKeys = new Set(parent.map(keyOf));
  const merged: unknown[] = [];
  for (const item of parent) {
    const key = keyOf(item);
    if (takenElsewhere.has(key)) continue;
    const match = childByKey.get(key);
    if (match === undefined) merged.push(cloneJson(item));
    else if (isHeaders && (match as JsonObject).value === undefined) continue;
    else merged.push(mergeValues(item, match, path));
  }
  for (const item of child) {
    if (parentKeys.has(keyOf(item))) continue;
    if (isHeaders && (item as JsonObject).value === undefined) continue;
    merged.push(cloneJson(item));
  }
  return merged;
}

function mergeObjects(parent: JsonObject, child: JsonObject, path: string): JsonObject {
  const result: JsonObject = {};
  const group = sharedKeySpaces[path] ?? [];
  const keys = [...new Set([...Object.keys(parent), ...Object.keys(child)])];
  for (const key of keys) {
    const memberPath = join(path, key);
    const fromParent = parent[key];
    const fromChild = child[key];
    let value: unknown;
    if (Array.isArray(fromParent) && Array.isArray(fromChild)) {
      value = mergeLists(
        fromParent,
        fromChild,
        memberPath,
        keysInOtherLists(child, group, key, memberPath),
      );
    } else if (Array.isArray(fromParent) && group.includes(key)) {
      value = mergeLists(
        fromParent,
        [],
        memberPath,
        keysInOtherLists(child, group, key, memberPath),
      );
    } else {
      value = mergeValues(fromParent, fromChild, memberPath);
    }
    if (value === undefined || (Array.isArray(value) && value.length === 0)) continue;
    result[key] = value;
  }
  return result;
}

/** Keys the child holds in the other lists of `key`'s shared key space. */
function keysInOtherLists(
  child: JsonObject,
  group: readonly string[],
  key: string,
  memberPath: string,
): Set<string> {
  const taken = new Set<string>();
  if (!group.includes(key)) return taken;
  const keyOf = keyOfList(memberPath);
  if (keyOf === undefined) return taken;
  for (const other of group) {
    if (other === key) continue;
    const list = child[other];
    if (Array.isArray(list)) for (const item of list) taken.add(keyOf(item));
  }
  return taken;
}

function mergeValues(parent: unknown, child: unknown, path: string): unknown {
  if (child === undefined || child === null) return cloneJson(parent);
  if (parent === undefined || parent === null) return cloneJson(child);
  if (isObject(parent) && isObject(child)) return mergeObjects(parent, child, path);
  if (Array.isArray(parent) && Array.isArray(child))
    return mergeLists(parent, child, path, new Set());
  return cloneJson(child);
}

/**
 * Merge two configs of the same spec (rules above). No validation: the result may be invalid.
 */
export function mergeSameSpec(parent: IgnitionConfig, child: IgnitionConfig): IgnitionConfig {
  // Only the fields the spec defines are merged (Ignition merges its typed structs), so the
  // merge recurses no deeper than the spec (json-depth.ts).
  const known = (config: IgnitionConfig) =>
    isSpecVersion(config.ignition.version)
      ? copyKnownFields(config, config.ignition.version)
      : config;
  return mergeObjects(
    known(parent) as unknown as JsonObject,
    known(child) as unknown as JsonObject,
    '',
  ) as unknown as IgnitionConfig;
}

/**
 * Merge `child` into `parent` as Ignition does when `parent` lists `child` in
 * `ignition.config.merge`: both are first translated upward to the newer of their two specs
 * (or to `to`), then merged by the rules above.
 */
export function mergeConfigs(
  parent: IgnitionConfig,
  child: IgnitionConfig,
  to?: SpecVersion,
): IgnitionConfig {
  const target = to ?? newerSpec(parent.ignition.version, child.ignition.version);
  return mergeSameSpec(translateConfig(parent, target), translateConfig(child, target));
}

function newerSpec(a: string, b: string): SpecVersion {
  const first = requireSpecVersion(a);
  const second = requireSpecVersion(b);
  return compareSpecVersions(first, second) >= 0 ? first : second;
}
