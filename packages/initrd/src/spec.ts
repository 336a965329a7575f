/**
 * The overlay spec of `hostmirror initrd build` (docs/design.md#initrd-spec). YAML is read in 1.1 mode, as
 * openshift-install reads YAML, so `mode: 0755` is octal 493 (docs/deps.md#yaml).
 */
import { CODECS, type Codec } from '@hostmirror/codecs';
import { type ParsedYaml, parseYaml, YamlInputError } from '@hostmirror/yaml-input';
import { type Document, isMap, isScalar, isSeq, type Node, parseDocument } from 'yaml';
import { InitrdError } from './errors.ts';

export interface OverlayFile {
  /** Path on the target system. */
  path: string;
  /** A local file, relative to the spec's folder; streamed. */
  source?: string;
  /** Inline contents (UTF-8). */
  contents?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface OverlayDirectory {
  path: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

export interface OverlaySymlink {
  path: string;
  target: string;
}

export interface OverlaySpec {
  compress: Codec;
  /** Compression level (codec-specific range; default per codec). */
  level?: number;
  files: OverlayFile[];
  directories: OverlayDirectory[];
  symlinks: OverlaySymlink[];
}

/** Default codec: zstd is 4× gzip's speed and smaller (docs/deps.md#zstd). */
export const DEFAULT_OVERLAY_CODEC: Codec = 'zstd';
/** The largest overlay spec read (bytes). */
export const MAX_SPEC_BYTES = 256 * 1024;
const TOP_KEYS = ['compress', 'level', 'files', 'directories', 'symlinks'];
const FILE_KEYS = ['path', 'source', 'contents', 'mode', 'uid', 'gid'];
const DIRECTORY_KEYS = ['path', 'mode', 'uid', 'gid'];
const SYMLINK_KEYS = ['path', 'target'];
const MAX_MODE = 0o7777;
const MAX_ID = 0xffff_ffff;

type PathPart = string | number;

/**
 * The spec's one YAML document, read by the one bounded reader (`@hostmirror/yaml-input`: YAML
 * 1.1, a token bound, the first syntax error, nesting, duplicate keys, aliases refused) and
 * checked field by field; every refusal is an `InitrdError` at the spec's line and column.
 */
class SpecReader {
  private readonly specPath: string;
  private readonly place: ParsedYaml['place'];
  private readonly document: Document.Parsed;

  constructor(text: string, specPath: string) {
    this.specPath = specPath;
    let parsed: ParsedYaml;
    try {
      parsed = parseYaml(text, {
        path: specPath,
        tooLargeFix: 'a spec lists paths, put large contents in files named by `source:`',
      });
    } catch (error) {
      if (!(error instanceof YamlInputError)) throw error;
      throw new InitrdError('SPEC_SYNTAX', error.message, error.details);
    }
    this.place = parsed.place;
    const [document, second] = parsed.documents;
    this.document = document ?? parseDocument('');
    if (second !== undefined)
      this.fail(
        [],
        'the spec holds more than one YAML document (a second `---`); write one',
        'SPEC_SYNTAX',
        second.range[0],
      );
  }

  fail(
    path: PathPart[],
    message: string,
    code: 'SPEC_INVALID' | 'SPEC_SYNTAX' = 'SPEC_INVALID',
    at?: number,
  ): never {
    const node =
      path.length === 0
        ? this.document.contents
        : (this.document.getIn(path, true) as Node | undefined);
    const { line, column } = this.place(at ?? node?.range?.[0] ?? 0);
    const where = path
      .map((part) => (typeof part === 'number' ? `[${part}]` : `.${part}`))
      .join('');
    throw new InitrdError(
      code,
      `${this.specPath}:${line}:${column}: ${where ? `${where.replace(/^\./, '')}: ` : ''}${message}`,
      { file: this.specPath, line, column },
    );
  }

  /** `file:line:column` of the node at `path`. */
  where(path: PathPart[]): string {
    const { line, column } = this.place(this.node(path)?.range?.[0] ?? 0);
    return `${this.specPath}:${line}:${column}`;
  }

  value(path: PathPart[]): unknown {
    return this.document.getIn(path);
  }

  node(path: PathPart[]): Node | undefined {
    const node = path.length === 0 ? this.document.contents : this.document.getIn(path, true);
    return (node ?? undefined) as Node | undefined;
  }

  keys(path: PathPart[], allowed: string[]): void {
    const node = this.node(path);
    if (!isMap(node)) this.fail(path, `must be a mapping with keys ${allowed.join(', ')}.`);
    for (const pair of node.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
      if (!allowed.includes(key)) {
        const at = isScalar(pair.key) ? pair.key.range?.[0] : undefined;
        this.fail(
          [...path, key],
          `unknown key "${key}"; allowed: ${allowed.join(', ')}.`,
          'SPEC_INVALID',
          at,
        );
      }
    }
  }

  list(key: string): number {
    const node = this.node([key]);
    if (node === undefined || node === null) return 0;
    if (!isSeq(node)) this.fail([key], 'must be a list.');
    return node.items.length;
  }

  string(path: PathPart[], required: boolean): string | undefined {
    const value = this.value(path);
    if (value === undefined || value === null) {
      if (required) this.fail(path.slice(0, -1), `needs "${String(path.at(-1))}".`);
      return undefined;
    }
    if (typeof value !== 'string' || value === '')
      this.fail(path, `must be a non-empty string; got ${JSON.stringify(value)}.`);
    return value;
  }

  integer(path: PathPart[], max: number): number | undefined {
    const value = this.value(path);
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
      this.fail(path, `must be a whole number from 0 to ${max}; got ${JSON.stringify(value)}.`);
    }
    return value;
  }

  /**
   * A mode written in octal: `0755` (YAML 1.1 octal), quoted `"0755"` or `0o755`. The source
   * text is checked, not the parsed value: YAML 1.1 reads `0999` (no octal digits) as decimal
   * 999, and a decimal `644` or `420` cannot tell whether its writer thought in octal (0644) or
   * in Ignition's decimal (420 = 0644), so both are refused with the octal spellings.
   */
  mode(path: PathPart[]): number | undefined {
    const node = this.node(path);
    if (node === undefined || node === null) return undefined;
    if (!isScalar(node)) this.fail(path, 'must be an octal mode such as 0755.');
    const text = node.type === 'PLAIN' ? (node.source ?? String(node.value)) : String(node.value);
    const octal = OCTAL_MODE.exec(text);
    if (octal !== null) {
      const value = Number.parseInt(octal[1] || '0', 8);
      if (value <= MAX_MODE) return value;
      this.fail(path, `${text} is over 07777; a mode holds permission bits only.`);
    }
    this.fail(path, `${JSON.stringify(text)} is not an octal mode; ${modeHint(text)}`);
  }
}

/** Octal permission bits: a leading 0 (YAML 1.1 octal) or 0o, then at most 4 octal digits. */
const OCTAL_MODE = /^0o?([0-7]{0,4})$/;

function modeHint(text: string): string {
  if (/^[1-9][0-9]*$/.test(text)) {
    const decimal = Number(text);
    const asOctal = /^[0-7]{1,4}$/.test(text) ? `0${text} if you meant octal` : undefined;
    const asDecimal =
      decimal <= MAX_MODE
        ? `0${decimal.toString(8).padStart(3, '0')} if you meant decimal ${decimal}`
        : undefined;
    const meanings = [asOctal, asDecimal].filter((meaning) => meaning !== undefined);
    if (meanings.length > 0)
      return `write it in octal with a leading zero: ${meanings.join(', or ')}.`;
  }
  return 'write permission bits in octal with a leading zero, e.g. 0755 or 0644.';
}

function parseCodec(reader: SpecReader): Codec {
  const value = reader.value(['compress']);
  if (value === undefined || value === null) return DEFAULT_OVERLAY_CODEC;
  if (typeof value !== 'string' || !(CODECS as readonly string[]).includes(value)) {
    reader.fail(['compress'], `must be one of ${CODECS.join(', ')}; got ${JSON.stringify(value)}.`);
  }
  return value as Codec;
}

/** The optional `mode`, `uid` and `gid` of a file or directory: only the keys given. */
function modeAndOwner(
  reader: SpecReader,
  at: PathPart[],
): Pick<OverlayDirectory, 'mode' | 'uid' | 'gid'> {
  const given: Pick<OverlayDirectory, 'mode' | 'uid' | 'gid'> = {};
  const mode = reader.mode([...at, 'mode']);
  if (mode !== undefined) given.mode = mode;
  const uid = reader.integer([...at, 'uid'], MAX_ID);
  if (uid !== undefined) given.uid = uid;
  const gid = reader.integer([...at, 'gid'], MAX_ID);
  if (gid !== undefined) given.gid = gid;
  return given;
}

function parseFile(reader: SpecReader, index: number): OverlayFile {
  const at: PathPart[] = ['files', index];
  reader.keys(at, FILE_KEYS);
  const file: OverlayFile = { path: reader.string([...at, 'path'], true) as string };
  const source = reader.string([...at, 'source'], false);
  const contents = reader.value([...at, 'contents']);
  if (source !== undefined && contents !== undefined)
    reader.fail(at, 'give either "source" or "contents", not both.');
  if (source === undefined && contents === undefined)
    reader.fail(at, 'needs "source" (a local file) or "contents" (text).');
  if (source !== undefined) file.source = source;
  if (contents !== undefined) {
    if (typeof contents !== 'string')
      reader.fail([...at, 'contents'], `must be text; got ${JSON.stringify(contents)} (quote it).`);
    file.contents = contents;
  }
  return { ...file, ...modeAndOwner(reader, at) };
}

function parseDirectory(reader: SpecReader, index: number): OverlayDirectory {
  const at: PathPart[] = ['directories', index];
  reader.keys(at, DIRECTORY_KEYS);
  return { path: reader.string([...at, 'path'], true) as string, ...modeAndOwner(reader, at) };
}

function parseSymlink(reader: SpecReader, index: number): OverlaySymlink {
  const at: PathPart[] = ['symlinks', index];
  reader.keys(at, SYMLINK_KEYS);
  return {
    path: reader.string([...at, 'path'], true) as string,
    target: reader.string([...at, 'target'], true) as string,
  };
}

function normalised(path: string): string {
  return path
    .split('/')
    .filter((part) => part !== '' && part !== '.')
    .join('/');
}

type PathGroup = keyof Pick<OverlaySpec, 'files' | 'directories' | 'symlinks'>;

interface Placed {
  group: PathGroup;
  index: number;
}

function pathGroups(spec: OverlaySpec): [PathGroup, { path: string }[]][] {
  return [
    ['files', spec.files],
    ['directories', spec.directories],
    ['symlinks', spec.symlinks],
  ];
}

function ancestors(name: string): string[] {
  const parts = name.split('/');
  return parts.slice(1).map((_, depth) => parts.slice(0, depth + 1).join('/'));
}

function checkPaths(reader: SpecReader, spec: OverlaySpec): void {
  const seen = new Map<string, Placed>();
  for (const [group, items] of pathGroups(spec)) {
    items.forEach((item, index) => {
      const name = normalised(item.path);
      if (name === '' || name.split('/').includes('..')) {
        reader.fail(
          [group, index, 'path'],
          `path ${JSON.stringify(item.path)} must name something below / without "..".`,
        );
      }
      const earlier = seen.get(name);
      if (earlier !== undefined)
        reader.fail(
          [group, index, 'path'],
          `path /${name} is already given at ${reader.where([earlier.group, earlier.index, 'path'])}.`,
        );
      seen.set(name, { group, index });
    });
  }
  for (const [group, items] of pathGroups(spec)) {
    items.forEach((item, index) => {
      for (const folder of ancestors(normalised(item.path))) {
        const holder = seen.get(folder);
        if (holder !== undefined && holder.group !== 'directories')
          failBelow(reader, [group, index, 'path'], item.path, folder, holder);
      }
    });
  }
}

/**
 * The kernel's unpacker creates no folders and resolves paths as the running system does: below
 * a file it drops the entry without a message, below a symlink it follows the link and writes
 * wherever that points (both seen booting Debian's kernel; test/foundation/library-bugs.test.ts).
 */
function failBelow(
  reader: SpecReader,
  at: PathPart[],
  path: string,
  folder: string,
  holder: Placed,
): never {
  const where = reader.where([holder.group, holder.index, 'path']);
  if (holder.group === 'symlinks') {
    reader.fail(
      at,
      `path ${path} is below /${folder}, a symlink (${where}); the kernel would follow the link and write the file where it points. Give the real path instead.`,
    );
  }
  reader.fail(
    at,
    `path ${path} is below /${folder}, a file (${where}); the kernel drops anything below a file without a message. Make /${folder} a directory or move ${path}.`,
  );
}

/**
 * Parse and check an overlay spec. Errors are InitrdError SPEC_SYNTAX / SPEC_INVALID with the
 * spec's file, line and column.
 */
export function parseOverlaySpec(
  yamlText: string,
  options: { specPath?: string } = {},
): OverlaySpec {
  const specPath = options.specPath ?? '<spec>';
  const size = Buffer.byteLength(yamlText);
  // A YAML document costs many times its size to parse: bound it before parsing (a spec lists
  // paths; large contents belong in files named by `source:`).
  if (size > MAX_SPEC_BYTES)
    throw new InitrdError(
      'SPEC_INVALID',
      `${specPath}: the spec is ${size} bytes, more than the ${MAX_SPEC_BYTES}-byte limit; put large contents in files and name them with \`source:\`.`,
      { file: specPath },
    );
  const reader = new SpecReader(yamlText, specPath);
  reader.keys([], TOP_KEYS);
  const spec: OverlaySpec = {
    compress: parseCodec(reader),
    files: [],
    directories: [],
    symlinks: [],
  };
  const level = reader.integer(['level'], 22);
  if (level !== undefined) spec.level = level;
  for (let index = 0; index < reader.list('files'); index++)
    spec.files.push(parseFile(reader, index));
  for (let index = 0; index < reader.list('directories'); index++)
    spec.directories.push(parseDirectory(reader, index));
  for (let index = 0; index < reader.list('symlinks'); index++)
    spec.symlinks.push(parseSymlink(reader, index));
  checkPaths(reader, spec);
  return spec;
}
