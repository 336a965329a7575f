import type { TarEntryKind } from './tar-header.ts';

/**
 * The one rule for what an archive member may be: every member of every chunk is judged as
 * the boot-time unpack treats it. That unpack is GNU tar, one chunk after another into the
 * same registry root, selecting members by the name `docker/registry/v2`
 * (`@hostmirror/boot-sequence` `src/scripts/hostmirror-unpack.sh`), so a member that a later chunk writes through (a link on the
 * path to the root) or that tar would place outside the root is refused here, before any
 * output exists. The boot script mirrors this function (the awk `judge` of `hm_judge_archive` in
 * `hostmirror-lib.sh`) and judges GNU tar's own listing of each archive, so the two agree on
 * what tar will do; `test/mirror/archive-member-rule.test.ts` checks they agree on a table of
 * cases through real GNU tar and bash.
 *
 * oc-mirror v2 writes regular files only (its adder walks the folders with `os.Stat` and
 * skips directories: openshift/oc-mirror `v2/internal/pkg/archive/strict_adder.go`
 * `addAllFolder`), and its own unarchiver takes `tar.TypeReg` members only
 * (`v2/internal/pkg/archive/unarchive.go` `unarchiveChunkTarFile`), so refusing links and
 * special files anywhere refuses nothing oc-mirror makes.
 */

/** The registry storage tree: unpacked under the registry's `rootdirectory`. */
export const REGISTRY_ROOT = 'docker/registry/v2';

/** What a member is, in the unpack's terms (devices, fifos and unknown types are `special`). */
export type MemberType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'special';

export interface ArchiveMemberFacts {
  /** The member's name exactly as stored (after PAX `path` / GNU `L`), as `tar -t` lists it. */
  storedName: string;
  type: MemberType;
  /** The link target of a symlink or hard link. */
  linkName?: string;
}

export type MemberRule =
  | 'absolute-name'
  | 'parent-reference'
  | 'empty-name'
  | 'unreadable-name'
  | 'link-on-registry-path'
  | 'link'
  | 'special-file'
  | 'not-a-directory-on-registry-path'
  | 'registry-name-not-unpacked';

export type MemberVerdict =
  /** Unpacked at boot into the registry root, at `path` (the name with `.`/`//` resolved). */
  | { verdict: 'unpack'; path: string }
  /** Not unpacked at boot (working-dir, the ISC copy, folders above the root). */
  | { verdict: 'skip'; path: string }
  | { verdict: 'refuse'; rule: MemberRule; why: string };

/** Every rule's fix is the same: an archive as oc-mirror writes it. */
export const ARCHIVE_MEMBER_FIX =
  'make the archive again with `oc-mirror --v2 -c isc.yaml file://DIR` (it writes regular files only) and never re-pack or edit it by hand';

const registryAncestors = new Set(['docker', 'docker/registry']);

/**
 * The name with empty and `.` components dropped (what the file system resolves the path
 * to), or undefined when a component is `..`.
 */
function resolveName(name: string): string | undefined {
  const parts: string[] = [];
  for (const part of name.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') return undefined;
    parts.push(part);
  }
  return parts.join('/');
}

/** The kind the tar reader gives, in the unpack's terms. */
export function memberTypeOf(kind: TarEntryKind): MemberType {
  return kind === 'other' ? 'special' : kind;
}

/** Judge one member. Pure: the same facts always give the same verdict. */
export function judgeArchiveMember(member: ArchiveMemberFacts): MemberVerdict {
  const { storedName: stored, type } = member;
  if (stored.includes('\0'))
    return { verdict: 'refuse', rule: 'unreadable-name', why: 'its name holds a NUL byte' };
  if (stored.startsWith('/'))
    return {
      verdict: 'refuse',
      rule: 'absolute-name',
      why: 'its name is absolute, so it names a place outside the folder it is unpacked into',
    };
  const path = resolveName(stored);
  if (path === undefined)
    return {
      verdict: 'refuse',
      rule: 'parent-reference',
      why: 'its name climbs out with "..", so it names a place outside the folder it is unpacked into',
    };
  if (path === '') {
    if (type === 'directory') return { verdict: 'skip', path };
    return { verdict: 'refuse', rule: 'empty-name', why: `it is a ${type} with an empty name` };
  }
  const onRegistryPath = path === REGISTRY_ROOT || registryAncestors.has(path);
  const inRegistry = path === REGISTRY_ROOT || path.startsWith(`${REGISTRY_ROOT}/`);
  if (type === 'symlink' || type === 'hardlink') {
    const target = JSON.stringify(member.linkName ?? '');
    if (onRegistryPath || inRegistry)
      return {
        verdict: 'refuse',
        rule: 'link-on-registry-path',
        why: `it is a ${type} to ${target} ${onRegistryPath ? `on the path to the registry root ${REGISTRY_ROOT}` : 'inside the registry tree'}: the unpack would write the files of this and every later chunk through it, wherever it points`,
      };
    return {
      verdict: 'refuse',
      rule: 'link',
      why: `it is a ${type} to ${target}; oc-mirror archives hold regular files only, and a link can make a later member land outside the folder it is unpacked into`,
    };
  }
  if (type === 'special')
    return {
      verdict: 'refuse',
      rule: 'special-file',
      why: 'it is a device, fifo, sparse or unknown-type member; oc-mirror archives hold regular files only',
    };
  if (type === 'file' && onRegistryPath)
    return {
      verdict: 'refuse',
      rule: 'not-a-directory-on-registry-path',
      why: `it is a regular file where the registry storage needs the folder ${path}`,
    };
  if (!inRegistry) return { verdict: 'skip', path };
  if (stored !== REGISTRY_ROOT && !stored.startsWith(`${REGISTRY_ROOT}/`))
    return {
      verdict: 'refuse',
      rule: 'registry-name-not-unpacked',
      why: `it belongs in the registry tree as ${path}, but the boot-time unpack selects members by the name ${REGISTRY_ROOT} and would skip it, leaving the registry without it`,
    };
  return { verdict: 'unpack', path };
}
