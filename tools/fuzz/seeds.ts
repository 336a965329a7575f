/**
 * The seed corpus: for each target a few well-formed inputs, built here from the project's own
 * writers (never stored as binaries), and the findings of the adversarial run of issue #20:
 * the 2,500-record multi-extent igninfo.json ISO, an embed area over the volume descriptors, a
 * symlink then a same-named directory in a cpio, a `docker/registry/v2` symlink in an archive,
 * YAML aliases (`x: *nope`) and alias bombs in every YAML reader, and Ignition nested 5,000
 * levels deep under an unknown key. `findings()` names them for the CLI test.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import {
  demoAgentConfig,
  demoInstallConfig,
  makeDemoArchive,
  makeDemoCoreosIso,
  tarHeaderBlock,
} from '@hostmirror/fixtures';
import { createCompressor } from '../../packages/codecs/src/index.ts';
import { type NewcEntryInput, writeNewc } from '../../packages/cpio-stream/src/index.ts';
import { IsoImage, SECTOR_SIZE } from '../../packages/iso/src/index.ts';
import { writeBothEndian32 } from '../../packages/iso/src/iso9660.ts';
import { BufferSource } from '../../packages/iso/src/source.ts';
import { multiExtentIgninfoIso } from '../../test/iso/hostile.ts';

const EPOCH = 1_700_000_000;
const repoRoot = join(import.meta.dirname, '..', '..');

export interface Finding {
  /** File name for the finding (the extension tells the reader). */
  name: string;
  target: string;
  bytes: Buffer;
  /** What issue #20 found with it. */
  finding: string;
}

async function collect(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const newc = (entries: NewcEntryInput[]) => collect(writeNewc(entries, { mtime: EPOCH }));

async function compressed(codec: 'gzip' | 'xz' | 'zstd', bytes: Buffer): Promise<Buffer> {
  const compressor = await createCompressor(codec);
  Readable.from([bytes]).pipe(compressor);
  return collect(compressor);
}

/** A ustar archive of members given as (name, bytes) or (name, symlink target). */
function tar(
  members: { name: string; data?: Buffer; link?: string; directory?: boolean }[],
): Buffer {
  const blocks: Buffer[] = [];
  for (const member of members) {
    const data = member.data ?? Buffer.alloc(0);
    const typeflag = member.link !== undefined ? '2' : member.directory ? '5' : '0';
    blocks.push(
      tarHeaderBlock(member.name, data.length, 'pax', {
        typeflag,
        mode: member.directory ? 0o755 : 0o644,
        ...(member.link !== undefined && { linkName: member.link }),
      }),
      data,
      Buffer.alloc((512 - (data.length % 512)) % 512),
    );
  }
  return Buffer.concat([...blocks, Buffer.alloc(1024)]);
}

/** Finding 6: images/ignition.img's record moved onto the volume descriptors (sector 16). */
async function unsafeAreaIso(base: Buffer): Promise<Buffer> {
  const image = await IsoImage.fromSource(new BufferSource(base));
  const ignition = await image.findByIdentifier('IMAGES/IGNITION.IMG');
  const out = Buffer.from(base);
  writeBothEndian32(out, (ignition?.recordOffsets[0] as number) + 2, 16);
  return out;
}

/** YAML whose aliases expand to 9^depth nodes: the "billion laughs". */
function aliasBomb(key: string, depth = 9): string {
  const lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let level = 1; level <= depth; level++) {
    const previous = `*a${level - 1}`;
    lines.push(`a${level}: &a${level} [${Array(9).fill(previous).join(',')}]`);
  }
  lines.push(`${key}: *a${depth}`);
  return `${lines.join('\n')}\n`;
}

function deepIgnition(levels: number): Buffer {
  return Buffer.from(
    `{"ignition":{"version":"3.4.0"},"x-unknown":${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}}`,
  );
}

const REGISTRIES_CONF = `unqualified-search-registries = ["registry.example.com"]
short-name-mode = "enforcing"

[[registry]]
prefix = ""
location = "quay.io/openshift-release-dev/ocp-release"

[[registry.mirror]]
location = "mirror.example.com:8443/openshift/release-images"
pull-from-mirror = "digest-only"

[[registry]]
location = "registry.redhat.io"
insecure = false
blocked = false
`;

const IDMS = `apiVersion: config.openshift.io/v1
kind: ImageDigestMirrorSet
metadata:
  name: idms-release-0
spec:
  imageDigestMirrors:
  - mirrors:
    - mirror.example.com:8443/openshift/release
    source: quay.io/openshift-release-dev/ocp-v4.0-art-dev
  - mirrors:
    - mirror.example.com:8443/openshift/release-images
    source: quay.io/openshift-release-dev/ocp-release
`;

const MANIFEST = JSON.stringify({
  schemaVersion: 2,
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  config: {
    mediaType: 'application/vnd.oci.image.config.v1+json',
    digest: `sha256:${'1'.repeat(64)}`,
    size: 2,
  },
  layers: [
    {
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip',
      digest: `sha256:${'2'.repeat(64)}`,
      size: 3,
    },
  ],
});

/** The findings of issue #20, one file each, named for the reader they hit. */
export async function findings(): Promise<Finding[]> {
  const iso = await makeDemoCoreosIso(EPOCH);
  // Two archives back to back, as initrd segments are: the link, then a directory of its name.
  const symlinkThenDirectory = Buffer.concat([
    await newc([
      { path: 'etc', type: 'directory', mode: 0o755 },
      { path: 'etc/hm', type: 'symlink', mode: 0o777, target: '/tmp/outside' },
    ]),
    await newc([
      { path: 'etc/hm', type: 'directory', mode: 0o700 },
      { path: 'etc/hm/file', type: 'file', mode: 0o644, data: Buffer.from('x\n') },
    ]),
  ]);
  const registryLink = tar([
    { name: 'docker/registry/v2/.', directory: true },
    { name: 'docker/registry/v2', link: '/etc' },
    { name: 'working-dir/.x', data: Buffer.from('x') },
  ]);
  return [
    {
      name: 'igninfo-multi-extent.iso',
      target: 'iso',
      bytes: await multiExtentIgninfoIso(iso, 2500),
      finding: '5: 2,500 multi-extent igninfo.json records each covering the image (8.7 s, 2 GB)',
    },
    {
      name: 'embed-area-over-descriptors.iso',
      target: 'iso',
      bytes: await unsafeAreaIso(iso),
      finding: '6: iso reset --in-place wrote its area over the volume descriptors',
    },
    {
      name: 'symlink-then-directory.cpio',
      target: 'cpio',
      bytes: symlinkThenDirectory,
      finding: '6: extractInitrd followed a symlink when a same-named directory followed',
    },
    {
      name: 'registry-root-symlink.tar',
      target: 'archive',
      bytes: registryLink,
      finding: '1: a symlink named docker/registry/v2 passed mirror inspect',
    },
    {
      name: 'undefined-alias.yaml',
      target: 'cluster-config',
      bytes: Buffer.from(`${demoInstallConfig()}x: *nope\n`),
      finding: '3: a YAML alias to nothing crashed with ReferenceError',
    },
    {
      name: 'alias-bomb.yaml',
      target: 'cluster-config',
      bytes: Buffer.from(aliasBomb('platform')),
      finding: '3: an alias bomb crashed with "Excessive alias count"',
    },
    {
      name: 'spec-alias-bomb.yaml',
      target: 'initrd-spec',
      bytes: Buffer.from(aliasBomb('files')),
      finding: '3: alias bomb, in the overlay spec reader',
    },
    {
      name: 'idms-alias-bomb.yaml',
      target: 'cluster-resources',
      bytes: Buffer.from(`${IDMS}${aliasBomb('extra')}`),
      finding: "3: alias bomb in an archive's cluster-resources YAML",
    },
    {
      name: 'flow-list-1mib.yaml',
      target: 'cluster-config',
      bytes: Buffer.from(`${demoInstallConfig()}x: [${'a,'.repeat(512 * 1024)}]\n`),
      finding:
        'fuzz: 1 MiB of a flow list exhausted a 192 MiB heap (the process died with a native stack)',
    },
    {
      name: 'duplicate-keys.yaml',
      target: 'cluster-resources',
      bytes: Buffer.from(
        `${IDMS}${Array.from({ length: 5_000 }, (_, i) => `k${i}: v\n`).join('')}k1: again\n`,
      ),
      finding:
        "fuzz: yaml's duplicate-key check is quadratic (25,000 keys: 9 s of CPU; 5,000 here)",
    },
    {
      name: 'deep-flow-nesting.yaml',
      target: 'initrd-spec',
      bytes: Buffer.from(`files: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`),
      finding: "fuzz: 20,000 nested lists read as yaml's bare 'Maximum call stack size exceeded'",
    },
    {
      name: 'unclosed-flow-list.yaml',
      target: 'initrd-spec',
      bytes: Buffer.from(`files: [x\n${'  - path: /e\n'.repeat(5_000)}`),
      finding:
        "fuzz: block lines inside an unclosed '[' overflowed yaml's CST parser (a bare RangeError; seed 20 input 57984)",
    },
    {
      name: 'deep-nesting.ign',
      target: 'ignition',
      bytes: deepIgnition(5000),
      finding: '3: 5,000 levels under an unknown key crashed translate/merge (RangeError)',
    },
  ];
}

export type Corpus = Record<string, Buffer[]> & {
  installConfig: Buffer[];
  agentConfig: Buffer[];
};

/** Every target's seeds: well-formed inputs first, then the findings for it. */
export async function seedCorpus(): Promise<Corpus> {
  const iso = await makeDemoCoreosIso(EPOCH);
  const archive = makeDemoArchive(EPOCH).bytes;
  const plain = await newc([
    { path: 'etc', type: 'directory', mode: 0o755 },
    { path: 'etc/hostmirror', type: 'file', mode: 0o644, data: Buffer.from('hello\n') },
    { path: 'usr/bin/hm', type: 'symlink', mode: 0o777, target: '../../etc/hostmirror' },
  ]);
  const spec = await readFile(join(repoRoot, 'examples', 'overlay.yaml'));
  const found = await findings();
  const of = (target: string) => found.filter((f) => f.target === target).map((f) => f.bytes);
  return {
    installConfig: [Buffer.from(demoInstallConfig())],
    agentConfig: [Buffer.from(demoAgentConfig())],
    cpio: [plain, ...of('cpio')],
    initrd: [
      plain,
      Buffer.concat([plain, await compressed('gzip', plain)]),
      await compressed('xz', plain),
      Buffer.concat([
        await compressed('zstd', plain),
        Buffer.alloc(512),
        await compressed('xz', plain),
      ]),
    ],
    iso: [iso, ...of('iso')],
    archive: [archive, ...of('archive')],
    manifest: [Buffer.from(MANIFEST)],
    'initrd-spec': [spec, ...of('initrd-spec')],
    ignition: [
      Buffer.from('{"ignition":{"version":"3.4.0"}}'),
      Buffer.from(
        '{"ignition":{"version":"3.2.0"},"storage":{"files":[{"path":"/etc/a","mode":420,"contents":{"source":"data:,x"}}]},"systemd":{"units":[{"name":"a.service","enabled":true,"contents":"[Unit]\\n"}]}}',
      ),
      ...of('ignition'),
    ],
    'cluster-config': [
      Buffer.from(demoInstallConfig()),
      Buffer.from(demoAgentConfig()),
      ...of('cluster-config'),
    ],
    'cluster-resources': [Buffer.from(IDMS), ...of('cluster-resources')],
    'registries-conf': [Buffer.from(REGISTRIES_CONF)],
  };
}

export { SECTOR_SIZE };
