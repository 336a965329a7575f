import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import {
  CLUSTER_RESOURCES_PREFIX,
  classifyMember,
  isV1ChunkName,
  REGISTRY_TREE_PREFIX,
  v2ChunkNumber,
} from './archive-layout.ts';
import { ARCHIVE_MEMBER_FIX, judgeArchiveMember, memberTypeOf } from './archive-member.ts';
import {
  type ClusterResources,
  collectClusterResources,
  dedupeConfigMaps,
  parseClusterResourceFile,
} from './cluster-resources.ts';
import { isDigest, parseDigest } from './digest.ts';
import { MirrorFormatError } from './errors.ts';
import {
  MAX_MANIFEST_BYTES,
  type ManifestReference,
  manifestReferences,
  parseImageManifest,
} from './manifest.ts';
import { readTarEntries, readTarEntriesSync, type TarEntry } from './tar-reader.ts';

/**
 * An index of one or more oc-mirror v2 archives (docs/mirror.md#v2-archives), built from tar headers
 * alone. Chunks are read in order (`mirror_000001.tar`, `mirror_000002.tar`, … per folder, the
 * folders in the order given), a later chunk's member replacing an earlier one as unpacking
 * would. Blobs are found across all chunks, so a differential archive given after its base
 * is complete.
 */

export const OC_MIRROR_V1_ADVICE =
  'oc-mirror v1 archives hold the `oc image mirror` file layout, not a registry storage tree, so they cannot be served by unpacking: publish it to a registry with `oc-mirror --from <archive> docker://HOST:PORT`, or make a v2 archive with `oc-mirror --v2 -c isc.yaml file://DIR`.';

/** Largest cluster-resources file read into memory (they are a few KiB in practice). */
const maxClusterResourceBytes = 16 * 1024 * 1024;
/** An ImageSetConfiguration is a few KiB; a larger `isc_` member is not one. */
const maxImageSetConfigBytes = 1024 * 1024;
/** `link` files hold a digest: "sha256:" + 64 hex digits, 71 bytes. */
const maxLinkBytes = 256;
/** A Cincinnati graph of every release of a channel is a few MB; 64 MiB is far beyond any. */
const maxReleaseGraphBytes = 64 * 1024 * 1024;

export type ArchiveKind = 'oc-mirror-v2' | 'oc-mirror-v1' | 'unknown';

export interface ArchiveChunk {
  path: string;
  /** The chunk number from its name (`mirror_000003.tar` → 3), when it has one. */
  sequence: number | undefined;
  size: number;
  members: number;
}

/** Where a member's bytes are: which chunk, from which byte, how many. */
export interface ByteRange {
  chunk: string;
  offset: number;
  size: number;
}

/** A top-level `isc_<time>` member: oc-mirror v2's copy of the ImageSetConfiguration it ran. */
export interface ImageSetConfigCopy {
  /** The member name, for example `isc_2026-11-30T00:00:00Z`. */
  name: string;
  range: ByteRange;
}

/**
 * `working-dir/hold-release/<release>/<tag>/release-manifests/image-references`: oc-mirror's
 * copy of a mirrored release's component list (archive-layout.ts HOLD_RELEASE_PREFIX).
 */
export interface ReleaseRecord {
  /** The last path component of the release's source, for example `ocp-release`. */
  release: string;
  /** The release tag oc-mirror mirrored it under, for example `4.14.3-x86_64`. */
  tag: string;
  member: string;
  range: ByteRange;
}

/** `working-dir/hold-release/cincinnati-graph-data/<arch>-<channel>.json` (archive-layout.ts). */
export interface ReleaseGraphRecord {
  /** `<arch>-<channel>.json`. */
  file: string;
  member: string;
  range: ByteRange;
}

/**
 * `working-dir/operator-catalogs/<catalog>/<digest>/filtered-catalogs/<filter>/digest`: the
 * rebuilt (filtered) catalog oc-mirror pushed to its cache as `<catalog repository>:<filter>`.
 */
export interface CatalogFilterRecord {
  /** The last path component of the catalog (`redhat-operator-index`). */
  catalog: string;
  /** The unfiltered catalog's manifest digest (`sha256:…`). */
  catalogDigest: string;
  /** The cache tag of the rebuilt catalog (oc-mirror's filter digest). */
  filterTag: string;
  member: string;
  range: ByteRange;
}

export interface BlobLocation extends ByteRange {
  digest: string;
}

export interface TagInfo {
  tag: string;
  digest: string;
}

export interface RepositorySummary {
  name: string;
  tags: TagInfo[];
  manifests: string[];
  layers: number;
}

export interface NeededBy {
  /** The repository that links the manifest (the first in order when several do). */
  repository: string;
  manifest: string;
  role: ManifestReference['role'] | 'manifest' | 'tag';
  /**
   * How many other repositories link the same manifest: a manifest is read and its blobs
   * counted once however many repositories link it (one entry, not one per link).
   */
  otherRepositories?: number;
}

export type CompletenessProblem =
  | { kind: 'blob-missing'; digest: string; neededBy: NeededBy[] }
  | { kind: 'manifest-unreadable'; repository: string; manifest: string; reason: string };

export interface CompletenessReport {
  complete: boolean;
  manifestsChecked: number;
  blobsNeeded: number;
  problems: CompletenessProblem[];
}

export interface ArchiveSummary {
  kind: ArchiveKind;
  chunks: ArchiveChunk[];
  repositories: RepositorySummary[];
  blobs: { count: number; bytes: number };
  clusterResources: string[];
  workingDirMembers: number;
}

interface RepositoryState {
  tags: Map<string, string>;
  manifests: Set<string>;
  layers: Set<string>;
}

/** What a file is, from its name and members (`detectArchiveKind`). */
export interface ArchiveKindReport {
  kind: ArchiveKind;
  reason: string;
}

function orderChunks(paths: string[]): string[] {
  const absolute = paths.map((path) => resolve(path));
  const seen = new Set<string>();
  for (const path of absolute) {
    if (seen.has(path)) {
      throw new MirrorFormatError(
        'ARCHIVE_DUPLICATE_CHUNK',
        `${path} was given twice; give each archive chunk once.`,
        { path },
      );
    }
    seen.add(path);
  }
  const folderOrder = [...new Set(absolute.map((path) => dirname(path)))];
  return absolute
    .map((path, given) => ({ path, given }))
    .sort(
      (a, b) =>
        folderOrder.indexOf(dirname(a.path)) - folderOrder.indexOf(dirname(b.path)) ||
        (v2ChunkNumber(a.path) ?? 0) - (v2ChunkNumber(b.path) ?? 0) ||
        a.given - b.given,
    )
    .map(({ path }) => path);
}

function v1Error(path: string, why: string): MirrorFormatError {
  return new MirrorFormatError(
    'ARCHIVE_V1',
    `${path} is an oc-mirror v1 archive (${why}). ${OC_MIRROR_V1_ADVICE}`,
    { path },
  );
}

export class MirrorArchive {
  readonly chunks: readonly ArchiveChunk[];
  readonly #blobs: Map<string, BlobLocation>;
  readonly #repositories: Map<string, RepositoryState>;
  readonly #clusterResourceFiles: Map<string, ByteRange>;
  readonly #imageSetConfigCopies: ImageSetConfigCopy[];
  readonly #signatureFiles: Map<string, ByteRange>;
  readonly #releaseRecords: ReleaseRecord[];
  readonly #releaseGraphs: ReleaseGraphRecord[];
  readonly #catalogFilters: CatalogFilterRecord[];
  readonly #workingDirMembers: number;

  private constructor(state: ReturnType<IndexBuilder['finish']>) {
    this.chunks = state.chunks;
    this.#blobs = state.blobs;
    this.#repositories = state.repositories;
    this.#clusterResourceFiles = state.clusterResourceFiles;
    this.#imageSetConfigCopies = state.imageSetConfigCopies;
    this.#signatureFiles = state.signatureFiles;
    this.#releaseRecords = state.releaseRecords;
    this.#releaseGraphs = state.releaseGraphs;
    this.#catalogFilters = state.catalogFilters;
    this.#workingDirMembers = state.workingDirMembers;
  }

  /**
   * Index the given chunks. Throws `ARCHIVE_V1` (with the `oc-mirror --from` advice) for a
   * v1 archive, `ARCHIVE_NOT_OC_MIRROR` for a tar without a registry tree, and the tar
   * reader's errors for damaged files.
   */
  static async open(paths: string[]): Promise<MirrorArchive> {
    if (paths.length === 0) {
      throw new MirrorFormatError(
        'ARCHIVE_NONE',
        'No archive given; name one or more mirror_00000N.tar files.',
      );
    }
    const builder = new IndexBuilder();
    for (const path of orderChunks(paths)) {
      if (isV1ChunkName(path)) throw v1Error(path, 'its name is mirror_seq<N>_<chunk>.tar');
      await builder.addChunk(path);
    }
    return new MirrorArchive(builder.finish());
  }

  repositories(): string[] {
    return [...this.#repositories.keys()].sort();
  }

  hasRepository(name: string): boolean {
    return this.#repositories.has(name);
  }

  /** Tags of a repository, sorted, with the manifest digest each points at. */
  tags(repository: string): TagInfo[] {
    const state = this.#repositories.get(repository);
    if (!state) return [];
    return [...state.tags]
      .map(([tag, digest]) => ({ tag, digest }))
      .sort((a, b) => (a.tag < b.tag ? -1 : 1));
  }

  /** Manifest digests a repository holds (its `_manifests/revisions`), sorted. */
  manifests(repository: string): string[] {
    return [...(this.#repositories.get(repository)?.manifests ?? [])].sort();
  }

  /** Blob digests a repository links (`_layers`): the blobs it serves. */
  linkedBlobs(repository: string): string[] {
    return [...(this.#repositories.get(repository)?.layers ?? [])].sort();
  }

  hasBlob(digest: string): boolean {
    return this.#blobs.has(digest);
  }

  blob(digest: string): BlobLocation | undefined {
    return this.#blobs.get(digest);
  }

  blobs(): BlobLocation[] {
    return [...this.#blobs.values()].sort((a, b) => (a.digest < b.digest ? -1 : 1));
  }

  #requireBlob(digest: string): BlobLocation {
    const location = this.#blobs.get(parseDigest(digest, 'the blob digest'));
    if (!location) {
      throw new MirrorFormatError(
        'BLOB_NOT_IN_ARCHIVE',
        `Blob ${digest} is in none of the ${this.chunks.length} archive chunk(s); give the earlier archives too (a differential archive only carries new blobs).`,
      );
    }
    return location;
  }

  /** A stream of a blob's bytes, read by byte range from its chunk. */
  openBlob(digest: string): Readable {
    const { chunk, offset, size } = this.#requireBlob(digest);
    if (size === 0) return createReadStream(chunk, { start: 0, end: -1 });
    return createReadStream(chunk, { start: offset, end: offset + size - 1 });
  }

  /** A blob's bytes; refuses blobs larger than `maxBytes` (default 4 MiB, a manifest's limit). */
  async readBlob(digest: string, maxBytes = MAX_MANIFEST_BYTES): Promise<Buffer> {
    const location = this.#requireBlob(digest);
    if (location.size > maxBytes) {
      throw new MirrorFormatError(
        'BLOB_TOO_LARGE',
        `Blob ${digest} is ${location.size} bytes, more than the ${maxBytes} this read allows; stream it with openBlob instead.`,
        { path: location.chunk, offset: location.offset },
      );
    }
    return readRange(location);
  }

  /** Hash a blob's bytes and compare with its digest (`BLOB_DIGEST_MISMATCH` when they differ). */
  async verifyBlob(digest: string): Promise<void> {
    const location = this.#requireBlob(digest);
    const [algorithm, expected] = digest.split(':') as [string, string];
    const hash = createHash(algorithm);
    for await (const chunk of this.openBlob(digest)) hash.update(chunk as Buffer);
    const actual = hash.digest('hex');
    if (actual !== expected) {
      throw new MirrorFormatError(
        'BLOB_DIGEST_MISMATCH',
        `Blob ${digest} at byte ${location.offset} of ${location.chunk} hashes to ${algorithm}:${actual}; the archive is damaged, copy it again.`,
        { path: location.chunk, offset: location.offset },
      );
    }
  }

  /** Names of the files under `working-dir/cluster-resources/`, sorted. */
  clusterResourceFiles(): string[] {
    return [...this.#clusterResourceFiles.keys()].sort();
  }

  async readClusterResourceFile(name: string): Promise<string> {
    const range = this.#clusterResourceFiles.get(name);
    if (!range) {
      throw new MirrorFormatError(
        'RESOURCE_NOT_IN_ARCHIVE',
        `${CLUSTER_RESOURCES_PREFIX}${name} is not in the archive; it holds: ${this.clusterResourceFiles().join(', ') || 'no cluster resources'}.`,
      );
    }
    if (range.size > maxClusterResourceBytes) {
      throw new MirrorFormatError(
        'BLOB_TOO_LARGE',
        `${CLUSTER_RESOURCES_PREFIX}${name} is ${range.size} bytes; cluster resources over ${maxClusterResourceBytes} bytes are not plausible.`,
        { path: range.chunk, offset: range.offset },
      );
    }
    return (await readRange(range)).toString('utf8');
  }

  /** The top-level `isc_<time>` ImageSetConfiguration copies, in chunk order. */
  imageSetConfigCopies(): readonly ImageSetConfigCopy[] {
    return this.#imageSetConfigCopies;
  }

  /** The text of one `isc_*` copy; refuses one larger than any ImageSetConfiguration. */
  async readImageSetConfigCopy(copy: ImageSetConfigCopy): Promise<string> {
    if (copy.range.size > maxImageSetConfigBytes) {
      throw new MirrorFormatError(
        'BLOB_TOO_LARGE',
        `${copy.name} in ${copy.range.chunk} is ${copy.range.size} bytes; an ImageSetConfiguration over ${maxImageSetConfigBytes} bytes is not plausible.`,
        { path: copy.range.chunk, offset: copy.range.offset },
      );
    }
    return (await readRange(copy.range)).toString('utf8');
  }

  /** Names of the release signature files under `working-dir/signatures/`, sorted. */
  signatureFiles(): string[] {
    return [...this.#signatureFiles.keys()].sort();
  }

  /** The bytes of one `working-dir/signatures/` file (a release signature, a few KiB). */
  async readSignatureFile(name: string): Promise<Buffer> {
    const range = this.#signatureFiles.get(name);
    if (!range) {
      throw new MirrorFormatError(
        'RESOURCE_NOT_IN_ARCHIVE',
        `working-dir/signatures/${name} is not in the archive; it holds: ${this.signatureFiles().join(', ') || 'no signatures'}.`,
      );
    }
    if (range.size > maxClusterResourceBytes) {
      throw new MirrorFormatError(
        'BLOB_TOO_LARGE',
        `working-dir/signatures/${name} is ${range.size} bytes; a release signature over ${maxClusterResourceBytes} bytes is not plausible.`,
        { path: range.chunk, offset: range.offset },
      );
    }
    return readRange(range);
  }

  /** oc-mirror's records of the releases it mirrored (`working-dir/hold-release/…/image-references`), in chunk order. */
  releaseRecords(): readonly ReleaseRecord[] {
    return this.#releaseRecords;
  }

  /** The text of a release record's `image-references` (an ImageStream, JSON). */
  async readReleaseRecord(record: ReleaseRecord): Promise<string> {
    if (record.range.size > maxClusterResourceBytes) {
      throw new MirrorFormatError(
        'BLOB_TOO_LARGE',
        `${record.member} in ${record.range.chunk} is ${record.range.size} bytes; an image-references file over ${maxClusterResourceBytes} bytes is not plausible.`,
        { path: record.range.chunk, offset: record.range.offset },
      );
    }
    return (await readRange(record.range)).toString('utf8');
  }

  /** The Cincinnati graphs oc-mirror queried (`working-dir/hold-release/cincinnati-graph-data/`), in chunk order. */
  releaseGraphs(): readonly ReleaseGraphRecord[] {
    return this.#releaseGraphs;
  }

  /** The text of one graph (JSON); refuses one larger than any Cincinnati answer. */
  async readReleaseGraph(record: ReleaseGraphRecord): Promise<string> {
    if (record.range.size > maxReleaseGraphBytes) {
      throw new MirrorFormatError(
        'BLOB_TOO_LARGE',
        `${record.member} in ${record.range.chunk} is ${record.range.size} bytes; a Cincinnati graph over ${maxReleaseGraphBytes} bytes is not plausible.`,
        { path: record.range.chunk, offset: record.range.offset },
      );
    }
    return (await readRange(record.range)).toString('utf8');
  }

  /** oc-mirror's records of the catalogs it filtered and rebuilt, in chunk order. */
  catalogFilters(): readonly CatalogFilterRecord[] {
    return this.#catalogFilters;
  }

  /** The rebuilt catalog's manifest digest a filter record holds (`sha256:…`). */
  async readCatalogFilterDigest(record: CatalogFilterRecord): Promise<string> {
    const where = `${record.member} in ${record.range.chunk}`;
    if (record.range.size > maxLinkBytes) {
      throw new MirrorFormatError(
        'BAD_DIGEST',
        `${where} is ${record.range.size} bytes; it should hold one digest. The archive's working-dir is damaged: mirror the catalog again.`,
        { path: record.range.chunk, offset: record.range.offset },
      );
    }
    const text = (await readRange(record.range)).toString('utf8').trim();
    const digest = text.startsWith('sha256:') ? text : `sha256:${text}`;
    if (!isDigest(digest)) {
      throw new MirrorFormatError(
        'BAD_DIGEST',
        `${where} holds ${JSON.stringify(text.slice(0, 80))}, not a digest. The archive's working-dir is damaged: mirror the catalog again.`,
        { path: record.range.chunk, offset: record.range.offset },
      );
    }
    return digest;
  }

  /** Parse every YAML/JSON file under `working-dir/cluster-resources/`. */
  async readClusterResources(): Promise<ClusterResources> {
    const documents = [];
    for (const name of this.clusterResourceFiles()) {
      if (!/\.(ya?ml|json)$/.test(name)) continue;
      const text = await this.readClusterResourceFile(name);
      try {
        documents.push(...parseClusterResourceFile(name, text));
      } catch (error) {
        if (!(error instanceof MirrorFormatError) || !error.code.startsWith('YAML_')) throw error;
        // Name the member and its chunk: the file exists only inside the archive.
        const range = this.#clusterResourceFiles.get(name);
        throw new MirrorFormatError(
          error.code,
          `${CLUSTER_RESOURCES_PREFIX}${error.message} (in ${range?.chunk ?? 'the archive'})`,
          {
            path: range?.chunk,
            line: error.line,
            column: error.column,
            subject: error.subject,
            fix: error.fix,
          },
        );
      }
    }
    return collectClusterResources(dedupeConfigMaps(documents));
  }

  /**
   * Check that every blob each manifest needs is present across the chunks: the manifest
   * itself, its config and layers, and an index's child manifests. Each missing blob is
   * reported once with every manifest that needs it. A manifest linked from many
   * repositories is read and counted once (issue 20: one manifest of 24,000 missing layers
   * linked from hundreds of repositories made one entry per link, 985 MB and 11.5 s), so the
   * work and the report grow with the distinct manifests and blobs, not with the links.
   */
  async checkCompleteness(): Promise<CompletenessReport> {
    const missing = new Map<string, NeededBy[]>();
    const recorded = new Set<string>();
    const problems: CompletenessProblem[] = [];
    const needed = new Set<string>();
    const need = (digest: string, by: NeededBy) => {
      needed.add(digest);
      if (this.#blobs.has(digest)) return;
      const key = `${digest} ${by.manifest} ${by.role}`;
      if (recorded.has(key)) return;
      recorded.add(key);
      const list = missing.get(digest) ?? [];
      list.push(by);
      missing.set(digest, list);
    };
    // Which repositories link each manifest (sorted, as repositories() is).
    const linkedFrom = new Map<string, string[]>();
    for (const repository of this.repositories()) {
      const state = this.#repositories.get(repository);
      for (const { tag, digest } of this.tags(repository)) {
        if (!state?.manifests.has(digest))
          need(digest, { repository, manifest: `${repository}:${tag}`, role: 'tag' });
      }
      for (const manifest of state?.manifests ?? []) {
        const list = linkedFrom.get(manifest);
        if (list === undefined) linkedFrom.set(manifest, [repository]);
        else list.push(repository);
      }
    }
    const files = new ChunkRangeReader();
    try {
      for (const manifest of [...linkedFrom.keys()].sort()) {
        const repositories = linkedFrom.get(manifest) ?? [];
        const repository = repositories[0] ?? '';
        const others = repositories.length - 1;
        const by = (role: NeededBy['role']): NeededBy => ({
          repository,
          manifest,
          role,
          ...(others > 0 ? { otherRepositories: others } : {}),
        });
        need(manifest, by('manifest'));
        const location = this.#blobs.get(manifest);
        if (!location) continue;
        const parsed = readManifestReferences(files, location, `${repository}@${manifest}`);
        if (typeof parsed === 'string') {
          problems.push({ kind: 'manifest-unreadable', repository, manifest, reason: parsed });
          continue;
        }
        for (const reference of parsed) need(reference.digest, by(reference.role));
      }
    } finally {
      files.close();
    }
    const blobProblems: CompletenessProblem[] = [...missing]
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([digest, neededBy]) => ({ kind: 'blob-missing', digest, neededBy }));
    return {
      complete: blobProblems.length + problems.length === 0,
      manifestsChecked: linkedFrom.size,
      blobsNeeded: needed.size,
      problems: [...blobProblems, ...problems],
    };
  }

  summary(): ArchiveSummary {
    let bytes = 0;
    for (const blob of this.#blobs.values()) bytes += blob.size;
    return {
      kind: 'oc-mirror-v2',
      chunks: [...this.chunks],
      repositories: this.repositories().map((name) => ({
        name,
        tags: this.tags(name),
        manifests: this.manifests(name),
        layers: this.#repositories.get(name)?.layers.size ?? 0,
      })),
      blobs: { count: this.#blobs.size, bytes },
      clusterResources: this.clusterResourceFiles(),
      workingDirMembers: this.#workingDirMembers,
    };
  }
}

async function readRange({ chunk, offset, size }: ByteRange): Promise<Buffer> {
  const handle = await open(chunk, 'r');
  try {
    const buffer = Buffer.alloc(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(buffer, filled, size - filled, offset + filled);
      if (bytesRead === 0) throw truncatedAfterIndexing({ chunk, offset, size }, filled);
      filled += bytesRead;
    }
    return buffer;
  } finally {
    await handle.close();
  }
}

/**
 * Synchronous byte-range reads of the chunk files, one descriptor per chunk, for many small
 * reads in a row (positional reads of files; streams are read with cpio-stream's ByteReader).
 */
class ChunkRangeReader {
  readonly #fds = new Map<string, number>();

  read({ chunk, offset, size }: ByteRange): Buffer {
    let fd = this.#fds.get(chunk);
    if (fd === undefined) {
      fd = openSync(chunk, 'r');
      this.#fds.set(chunk, fd);
    }
    const buffer = Buffer.alloc(size);
    let filled = 0;
    while (filled < size) {
      const bytesRead = readSync(fd, buffer, filled, size - filled, offset + filled);
      if (bytesRead === 0) throw truncatedAfterIndexing({ chunk, offset, size }, filled);
      filled += bytesRead;
    }
    return buffer;
  }

  close(): void {
    for (const fd of this.#fds.values()) closeSync(fd);
    this.#fds.clear();
  }
}

function truncatedAfterIndexing(
  { chunk, offset, size }: ByteRange,
  filled: number,
): MirrorFormatError {
  return new MirrorFormatError(
    'TAR_TRUNCATED',
    `${chunk} ended at byte ${offset + filled} while reading ${size} bytes from byte ${offset}; the file changed or was truncated after indexing.`,
    { path: chunk, offset },
  );
}

/** What a stored manifest needs, or why it cannot be read (the parser's message). */
function readManifestReferences(
  files: ChunkRangeReader,
  location: BlobLocation,
  where: string,
): ManifestReference[] | string {
  if (location.size > MAX_MANIFEST_BYTES)
    return `${location.size} bytes, larger than any manifest (distribution refuses over ${MAX_MANIFEST_BYTES})`;
  try {
    return manifestReferences(parseImageManifest(files.read(location), where));
  } catch (error) {
    if (error instanceof MirrorFormatError) return error.message;
    throw error;
  }
}

/**
 * The member's name as unpacking resolves it, after judging it by the one member rule
 * (archive-member.ts); throws `ARCHIVE_UNSAFE_MEMBER` naming the member, the chunk and the
 * rule when it is refused.
 */
export function judgedName(entry: TarEntry, chunk: string, chunkNumber: number): string {
  const verdict = judgeArchiveMember({
    storedName: entry.storedName,
    type: memberTypeOf(entry.kind),
    linkName: entry.linkName,
  });
  if (verdict.verdict !== 'refuse') return verdict.path;
  throw new MirrorFormatError(
    'ARCHIVE_UNSAFE_MEMBER',
    `The member ${JSON.stringify(entry.storedName)} at byte ${entry.headerOffset} of chunk ${chunkNumber} (${chunk}) is refused (${verdict.rule}): ${verdict.why}. Fix: ${ARCHIVE_MEMBER_FIX}.`,
    { path: chunk, offset: entry.headerOffset, value: entry.storedName, fix: ARCHIVE_MEMBER_FIX },
  );
}

/** Collects the index while chunks are read. */
class IndexBuilder {
  readonly chunks: ArchiveChunk[] = [];
  readonly blobs = new Map<string, BlobLocation>();
  readonly repositories = new Map<string, RepositoryState>();
  readonly clusterResourceFiles = new Map<string, ByteRange>();
  readonly imageSetConfigCopies: ImageSetConfigCopy[] = [];
  readonly signatureFiles = new Map<string, ByteRange>();
  readonly releaseRecords: ReleaseRecord[] = [];
  readonly releaseGraphs: ReleaseGraphRecord[] = [];
  readonly catalogFilters: CatalogFilterRecord[] = [];
  workingDirMembers = 0;

  #repository(name: string): RepositoryState {
    let state = this.repositories.get(name);
    if (!state) {
      state = { tags: new Map(), manifests: new Set(), layers: new Set() };
      this.repositories.set(name, state);
    }
    return state;
  }

  async addChunk(path: string): Promise<void> {
    const handle: FileHandle = await open(path, 'r');
    let registryMembers = 0;
    let members = 0;
    const chunkNumber = this.chunks.length + 1;
    try {
      const { size } = await handle.stat();
      const entries = readTarEntriesSync(handle.fd, size, path, {
        inline: (entry) => entry.kind === 'file' && entry.name.endsWith('/current/link'),
        maxInlineBytes: maxLinkBytes,
      });
      for (const entry of entries) {
        members++;
        const name = judgedName(entry, path, chunkNumber);
        if (name.startsWith(REGISTRY_TREE_PREFIX)) registryMembers++;
        this.#add(path, entry, name);
      }
      if (registryMembers === 0) {
        throw new MirrorFormatError(
          'ARCHIVE_NOT_OC_MIRROR',
          `${path} holds no ${REGISTRY_TREE_PREFIX} members (${members} members), so it is not an oc-mirror v2 archive; make one with \`oc-mirror --v2 -c isc.yaml file://DIR\`.`,
          { path },
        );
      }
      this.chunks.push({ path, sequence: v2ChunkNumber(path), size, members });
    } finally {
      await handle.close();
    }
  }

  #add(chunk: string, entry: TarEntry, name: string): void {
    const role = classifyMember(name);
    if (role.role === 'v1-content') throw v1Error(chunk, `it has the member ${entry.name}`);
    if (entry.kind !== 'file') return;
    const range = { chunk, offset: entry.dataOffset, size: entry.size };
    switch (role.role) {
      case 'blob':
        this.blobs.set(role.digest, { digest: role.digest, ...range });
        return;
      case 'manifest-revision':
        this.#repository(role.repository).manifests.add(role.digest);
        return;
      case 'layer-link':
        this.#repository(role.repository).layers.add(role.digest);
        return;
      case 'tag': {
        const digest = entry.data?.toString('utf8').trim() ?? '';
        if (!isDigest(digest)) {
          throw new MirrorFormatError(
            'BAD_DIGEST',
            `The tag link ${entry.name} at byte ${entry.dataOffset} of ${chunk} holds ${JSON.stringify(digest.slice(0, 80))}, not a digest; the archive is damaged.`,
            { path: chunk, offset: entry.dataOffset },
          );
        }
        this.#repository(role.repository).tags.set(role.tag, digest);
        return;
      }
      case 'cluster-resource':
        this.clusterResourceFiles.set(role.file, range);
        this.workingDirMembers++;
        return;
      case 'signature':
        this.signatureFiles.set(role.file, range);
        this.workingDirMembers++;
        return;
      case 'release-record': {
        // A later chunk's copy replaces an earlier one, as unpacking would.
        const known = this.releaseRecords.findIndex((record) => record.member === entry.name);
        const record = { release: role.release, tag: role.tag, member: entry.name, range };
        if (known === -1) this.releaseRecords.push(record);
        else this.releaseRecords[known] = record;
        this.workingDirMembers++;
        return;
      }
      case 'release-graph': {
        const known = this.releaseGraphs.findIndex((record) => record.member === entry.name);
        const record = { file: role.file, member: entry.name, range };
        if (known === -1) this.releaseGraphs.push(record);
        else this.releaseGraphs[known] = record;
        this.workingDirMembers++;
        return;
      }
      case 'catalog-filter': {
        const known = this.catalogFilters.findIndex((record) => record.member === entry.name);
        const { catalog, catalogDigest, filterTag } = role;
        const record = { catalog, catalogDigest, filterTag, member: entry.name, range };
        if (known === -1) this.catalogFilters.push(record);
        else this.catalogFilters[known] = record;
        this.workingDirMembers++;
        return;
      }
      case 'working-dir':
        this.workingDirMembers++;
        return;
      case 'isc-copy':
        this.imageSetConfigCopies.push({ name: entry.name, range });
        return;
      default:
        return;
    }
  }

  finish() {
    return {
      chunks: this.chunks,
      blobs: this.blobs,
      repositories: this.repositories,
      clusterResourceFiles: this.clusterResourceFiles,
      imageSetConfigCopies: this.imageSetConfigCopies,
      signatureFiles: this.signatureFiles,
      releaseRecords: this.releaseRecords,
      releaseGraphs: this.releaseGraphs,
      catalogFilters: this.catalogFilters,
      workingDirMembers: this.workingDirMembers,
    };
  }
}

/**
 * Tell what a file is without refusing it: v2, v1 or not an oc-mirror archive. Reads
 * headers only.
 */
export async function detectArchiveKind(path: string): Promise<ArchiveKindReport> {
  if (isV1ChunkName(path))
    return { kind: 'oc-mirror-v1', reason: 'named mirror_seq<N>_<chunk>.tar' };
  const handle = await open(path, 'r');
  try {
    for await (const entry of readTarEntries(handle, path)) {
      const role = classifyMember(entry.name);
      if (role.role === 'v1-content')
        return { kind: 'oc-mirror-v1', reason: `member ${entry.name}` };
      if (entry.name.startsWith(REGISTRY_TREE_PREFIX))
        return { kind: 'oc-mirror-v2', reason: `member ${entry.name}` };
    }
  } finally {
    await handle.close();
  }
  return { kind: 'unknown', reason: `no ${REGISTRY_TREE_PREFIX} or v2/<repo>/blobs members` };
}
