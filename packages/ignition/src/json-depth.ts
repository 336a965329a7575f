import { type FieldTree, fieldTrees, type SpecVersion } from '@hostmirror/ignition-config-types';

/**
 * Nesting bounds for configs, handled without recursion (issue 20: an Ignition config nested
 * ~5,000 levels under an unknown key crashed translate, merge and build-iso --ignition with
 * "Maximum call stack size exceeded").
 *
 * Ignition reads configs with coreos/go-json, a fork of Go's encoding/json, whose scanner
 * refuses nesting deeper than `maxNestingDepth = 10000` ("exceeded max depth":
 * golang/go src/encoding/json/scanner.go `pushParseState`). We refuse the same configs, found
 * by a scan of the text that keeps no stack, and never recurse over a config's depth: copies
 * are iterative, and keys no spec defines (which Ignition drops when it unmarshals into its
 * typed structs, warning "unused key") are dropped before translate and merge, so what those
 * walk is as deep as the spec (a handful of levels).
 */
export const MAX_JSON_DEPTH = 10_000;

/** The deepest nesting of `[`/`{` in JSON text (strings skipped), without recursion. */
export function jsonTextDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (inString) {
      if (code === 0x5c)
        index++; // backslash: skip the escaped character
      else if (code === 0x22) inString = false;
    } else if (code === 0x22) inString = true;
    else if (code === 0x7b || code === 0x5b) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (code === 0x7d || code === 0x5d) depth--;
  }
  return deepest;
}

/** The deepest nesting of arrays and objects in a JSON value, without recursion. */
export function jsonValueDepth(value: unknown): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 0]];
  while (pending.length > 0) {
    const [item, depth] = pending.pop() as [unknown, number];
    if (typeof item !== 'object' || item === null) continue;
    const here = depth + 1;
    if (here > deepest) deepest = here;
    for (const member of Array.isArray(item) ? item : Object.values(item))
      if (typeof member === 'object' && member !== null) pending.push([member, here]);
  }
  return deepest;
}

/** A deep copy of a JSON value (objects, arrays, scalars), without recursion. */
export function cloneJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  const root: unknown = Array.isArray(value) ? [] : {};
  const pending: [unknown, Record<string, unknown> | unknown[]][] = [
    [value, root as Record<string, unknown>],
  ];
  while (pending.length > 0) {
    const [source, target] = pending.pop() as [
      Record<string, unknown> | unknown[],
      Record<string, unknown> | unknown[],
    ];
    for (const [key, member] of Object.entries(source)) {
      let copy: unknown = member;
      if (typeof member === 'object' && member !== null) {
        copy = Array.isArray(member) ? [] : {};
        pending.push([member, copy as Record<string, unknown>]);
      }
      if (Array.isArray(target)) target[Number(key)] = copy;
      else target[key] = copy;
    }
  }
  return root as T;
}

/**
 * A copy of `config` with only the keys the spec defines (its field tree), as Ignition's
 * typed unmarshal keeps them; the values of known leaves are copied whole (iteratively).
 */
export function copyKnownFields<T>(config: T, spec: SpecVersion): T {
  const tree = fieldTrees[spec];
  if (tree === undefined || typeof config !== 'object' || config === null) return cloneJson(config);
  const root: Record<string, unknown> = {};
  const pending: [unknown, FieldTree, Record<string, unknown> | unknown[]][] = [
    [config, tree, root],
  ];
  while (pending.length > 0) {
    const [source, node, target] = pending.pop() as [
      unknown,
      FieldTree,
      Record<string, unknown> | unknown[],
    ];
    const put = (key: string, value: unknown, child: FieldTree | undefined) => {
      let copy: unknown;
      if (typeof value !== 'object' || value === null) copy = value;
      else if (child === undefined || (child.f === undefined && child.i === undefined))
        copy = cloneJson(value); // a leaf holding an object: the validator reports its type
      else {
        copy = Array.isArray(value) ? [] : {};
        pending.push([value, child, copy as Record<string, unknown>]);
      }
      if (Array.isArray(target)) target.push(copy);
      else target[key] = copy;
    };
    if (Array.isArray(source)) {
      for (const item of source) put('', item, node.i ?? {});
    } else if (typeof source === 'object' && source !== null) {
      for (const [key, value] of Object.entries(source)) {
        const child = node.f?.[key];
        if (node.f !== undefined && child === undefined) continue; // unknown to the spec: dropped
        put(key, value, child);
      }
    }
  }
  return root as T;
}
