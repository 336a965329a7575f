/**
 * The one archive-member rule (issue 20 item 1): the build-time judgment
 * (`judgeArchiveMember`, through the tar reader) and the boot-time one (`hm_judge_archive`
 * in hostmirror-lib.sh, an awk program over GNU tar's own listing) give the same verdict for every member
 * of one archive holding a table of cases; the hostile two-chunk archive (a
 * directory `docker/registry/v2/.` and a symlink named `docker/registry/v2`, then normal
 * content) is refused by the library, `mirror inspect`, `mirror check` and `build-iso`,
 * naming the member and the chunk; and the real unpack script refuses it and writes nothing
 * outside its root.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  mkdir,
  mkdtemp,
  open,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  makeImage,
  repoRoot,
  requireTool,
  runTool,
  tarHeaderBlock,
  writeChunk,
} from '@hostmirror/fixtures';
import { buildMirrorIso } from '../../packages/build-iso/src/index.ts';
import {
  judgeArchiveMember,
  type MemberVerdict,
  memberTypeOf,
} from '../../packages/oc-mirror-archive/src/archive-member.ts';
import { MirrorFormatError } from '../../packages/oc-mirror-archive/src/errors.ts';
import { MirrorArchive, readTarEntries } from '../../packages/oc-mirror-archive/src/index.ts';
import { demoInputs, optionsFor } from '../build-iso/support.ts';
import { hostmirror } from '../foundation/hostmirror-cli.ts';

const lib = join(repoRoot, 'packages/boot-sequence/src/scripts/hostmirror-lib.sh');
const unpackScript = join(repoRoot, 'packages/boot-sequence/src/scripts/hostmirror-unpack.sh');

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hm-member-rule-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Case {
  name: string;
  typeflag: string;
  linkName?: string;
  /** Write the name in a PAX `path` record over this innocent ustar name. */
  paxOver?: string;
  /** Write the name as a GNU `L` long name (typeflag `L` before the header). */
  gnuLong?: boolean;
  /** The verdict both sides must give: `unpack`, `skip` or `refuse <rule>`. */
  expect: string;
}

const longTree = `docker/registry/v2/repositories/${'a'.repeat(90)}/_layers/sha256/${'b'.repeat(64)}/link`;

const CASES: readonly Case[] = [
  { name: 'docker/registry/v2/blobs/sha256/aa/aabb/data', typeflag: '0', expect: 'unpack' },
  { name: 'docker/registry/v2/', typeflag: '5', expect: 'unpack' },
  { name: 'docker/registry/v2/.', typeflag: '5', expect: 'unpack' },
  { name: 'docker/registry/v2/./blobs/x', typeflag: '0', expect: 'unpack' },
  { name: 'docker/registry/v2/blobs/y', typeflag: '\0', expect: 'unpack' },
  { name: 'docker/registry/v2/blobs/slash/', typeflag: '0', expect: 'unpack' },
  { name: 'docker/registry/v2/blobs/contiguous', typeflag: '7', expect: 'unpack' },
  { name: longTree, typeflag: '0', expect: 'unpack' },
  { name: longTree, typeflag: '0', gnuLong: true, expect: 'unpack' },
  { name: 'docker/', typeflag: '5', expect: 'skip' },
  { name: 'docker/registry', typeflag: '5', expect: 'skip' },
  { name: './', typeflag: '5', expect: 'skip' },
  { name: 'working-dir/cluster-resources/idms-oc-mirror.yaml', typeflag: '0', expect: 'skip' },
  { name: 'isc_2026-11-30T00:00:00Z', typeflag: '0', expect: 'skip' },
  { name: 'docker/registry/v2x/y', typeflag: '0', expect: 'skip' },
  { name: 'working-dir/we"ird\nname -> x', typeflag: '0', expect: 'skip' },
  { name: '/etc/passwd', typeflag: '0', expect: 'refuse absolute-name' },
  { name: '../up', typeflag: '0', expect: 'refuse parent-reference' },
  { name: 'docker/registry/v2/../../../x', typeflag: '0', expect: 'refuse parent-reference' },
  {
    name: 'docker/registry/v2',
    typeflag: '2',
    linkName: '/tmp/x',
    expect: 'refuse link-on-registry-path',
  },
  {
    name: 'docker/registry/v2/',
    typeflag: '2',
    linkName: '/tmp/x',
    expect: 'refuse link-on-registry-path',
  },
  { name: 'docker', typeflag: '2', linkName: 'elsewhere', expect: 'refuse link-on-registry-path' },
  {
    name: './docker/registry',
    typeflag: '1',
    linkName: 'isc',
    expect: 'refuse link-on-registry-path',
  },
  {
    name: 'docker/registry/v2/blobs',
    typeflag: '2',
    linkName: '/etc',
    expect: 'refuse link-on-registry-path',
  },
  {
    name: 'docker/registry/v2/blobs/h',
    typeflag: '1',
    linkName: 'working-dir/a',
    expect: 'refuse link-on-registry-path',
  },
  {
    name: 'innocent',
    paxOver: 'docker/registry/v2',
    typeflag: '2',
    linkName: '/',
    expect: 'refuse link-on-registry-path',
  },
  {
    name: `${longTree}2`,
    gnuLong: true,
    typeflag: '2',
    linkName: '/',
    expect: 'refuse link-on-registry-path',
  },
  { name: 'working-dir/a', typeflag: '2', linkName: 'b', expect: 'refuse link' },
  { name: 'working-dir/b', typeflag: '1', linkName: '/etc/shadow', expect: 'refuse link' },
  { name: 'fifo', typeflag: '6', expect: 'refuse special-file' },
  { name: 'docker/registry/v2/char', typeflag: '3', expect: 'refuse special-file' },
  { name: 'block', typeflag: '4', expect: 'refuse special-file' },
  { name: 'docker/registry/v2/q', typeflag: 'Q', expect: 'refuse special-file' },
  { name: 'docker/registry/v2', typeflag: '0', expect: 'refuse not-a-directory-on-registry-path' },
  { name: 'docker', typeflag: '0', expect: 'refuse not-a-directory-on-registry-path' },
  {
    name: './docker/registry/v2/blobs/x',
    typeflag: '0',
    expect: 'refuse registry-name-not-unpacked',
  },
  { name: 'docker//registry/v2/x', typeflag: '0', expect: 'refuse registry-name-not-unpacked' },
  { name: 'docker/./registry/v2/', typeflag: '5', expect: 'refuse registry-name-not-unpacked' },
];

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let length = body.length + 1;
  while (`${length}${body}`.length !== length) length++;
  return `${length}${body}`;
}

function padded(data: Buffer): Buffer {
  return Buffer.concat([data, Buffer.alloc((512 - (data.length % 512)) % 512)]);
}

/** One member's blocks (empty data), with a PAX or GNU long name when the case asks. */
function memberBlocks(entry: Case): Buffer[] {
  const options = {
    typeflag: entry.typeflag,
    ...(entry.linkName ? { linkName: entry.linkName } : {}),
  };
  if (entry.paxOver !== undefined || (Buffer.byteLength(entry.name) > 100 && !entry.gnuLong)) {
    const data = Buffer.from(paxRecord('path', entry.paxOver ?? entry.name));
    return [
      tarHeaderBlock('PaxHeaders/member', data.length, 'pax', { typeflag: 'x' }),
      padded(data),
      tarHeaderBlock(
        entry.paxOver !== undefined ? entry.name : entry.name.slice(0, 99),
        0,
        'pax',
        options,
      ),
    ];
  }
  if (entry.gnuLong) {
    const data = Buffer.from(`${entry.name}\0`);
    return [
      tarHeaderBlock('././@LongLink', data.length, 'gnu', { typeflag: 'L' }),
      padded(data),
      tarHeaderBlock(entry.name.slice(0, 99), 0, 'gnu', options),
    ];
  }
  return [tarHeaderBlock(entry.name, 0, 'pax', options)];
}

function verdictText(verdict: MemberVerdict): string {
  return verdict.verdict === 'refuse' ? `refuse ${verdict.rule}` : verdict.verdict;
}

async function buildVerdicts(path: string): Promise<string[]> {
  const handle = await open(path, 'r');
  const verdicts: string[] = [];
  try {
    for await (const entry of readTarEntries(handle, path)) {
      verdicts.push(
        verdictText(
          judgeArchiveMember({
            storedName: entry.storedName,
            type: memberTypeOf(entry.kind),
            linkName: entry.linkName,
          }),
        ),
      );
    }
  } finally {
    await handle.close();
  }
  return verdicts;
}

/** hm_judge_archive's verdicts, with `awk` being the given program (gawk is RHCOS's awk). */
async function bootVerdicts(path: string, awk: string): Promise<string[]> {
  const bash = await requireTool('bash', 'bash');
  await requireTool('tar', 'tar');
  const bin = join(work, `awk-${awk.replaceAll('/', '_')}`);
  await mkdir(bin, { recursive: true });
  await rm(join(bin, 'awk'), { force: true });
  await symlink(awk, join(bin, 'awk'));
  const result = await runTool(
    bash,
    ['-c', 'set -o pipefail; . "$1"; hm_judge_archive "$2"', 'judge', lib, path],
    { timeoutMs: 30_000, env: { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` } },
  );
  assert.equal(result.exitCode, 0, result.stderr.toString());
  return result.stdout
    .toString('utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.split('\t')[0] ?? '');
}

describe('one member rule at build and at boot', () => {
  test('agreement: the TypeScript judgment and hm_judge_archive over GNU tar (under gawk and mawk) give the table’s verdict for every case', async () => {
    const path = join(work, 'table.tar');
    await writeFile(path, Buffer.concat([...CASES.flatMap(memberBlocks), Buffer.alloc(1024)]));
    const build = await buildVerdicts(path);
    const expected = CASES.map((entry) => entry.expect);
    assert.deepEqual(build, expected, 'build side');
    for (const awk of [await requireTool('gawk'), await requireTool('mawk', 'mawk')]) {
      const boot = await bootVerdicts(path, awk);
      const rows = CASES.map(
        (entry, index) =>
          `${JSON.stringify(entry.paxOver ?? entry.name)} ${JSON.stringify(entry.typeflag)}: expected ${expected[index]}, build ${build[index]}, boot ${boot[index]}`,
      );
      assert.deepEqual(boot, expected, `boot side under ${awk}:\n${rows.join('\n')}`);
    }
  });

  test('sparseRefusedAtBuild: a GNU sparse member is refused at build (its bytes are a sparse map, not the blob)', () => {
    // The one place the two sides differ: GNU tar lists a sparse member as a file, so the
    // boot side would unpack it (harmless: it is a file); the index cannot place its bytes.
    assert.deepEqual(
      judgeArchiveMember({ storedName: 'docker/registry/v2/blobs/s', type: memberTypeOf('other') }),
      {
        verdict: 'refuse',
        rule: 'special-file',
        why: 'it is a device, fifo, sparse or unknown-type member; oc-mirror archives hold regular files only',
      },
    );
  });
});

/** The archive: chunk 1 a directory `docker/registry/v2/.` and a symlink named `docker/registry/v2`; chunk 2 normal content. */
async function hostileArchive(folder: string, outside: string): Promise<string[]> {
  await mkdir(folder, { recursive: true });
  const first = join(folder, 'mirror_000001.tar');
  await writeFile(
    first,
    Buffer.concat([
      tarHeaderBlock('docker/registry/v2/.', 0, 'pax', { typeflag: '5', mode: 0o755 }),
      tarHeaderBlock('docker/registry/v2', 0, 'pax', { typeflag: '2', linkName: outside }),
      Buffer.alloc(1024),
    ]),
  );
  const second = join(folder, 'mirror_000002.tar');
  await writeChunk(second, {
    images: [
      makeImage({ repository: 'openshift/release-images', tag: '4.14.3-x86_64', layers: ['x'] }),
    ],
  });
  return [first, second];
}

const REFUSAL =
  /The member "docker\/registry\/v2" at byte 512 of chunk 1 \(\S*mirror_000001\.tar\) is refused \(link-on-registry-path\)/;

describe('the hostile archive of issue 20', () => {
  test('library: MirrorArchive.open refuses it with ARCHIVE_UNSAFE_MEMBER naming the member, chunk and fix', async () => {
    const outside = join(work, 'lib-outside');
    await mkdir(outside);
    const chunks = await hostileArchive(join(work, 'lib'), outside);
    await assert.rejects(MirrorArchive.open(chunks), (error: unknown) => {
      assert.ok(error instanceof MirrorFormatError, String(error));
      assert.equal(error.code, 'ARCHIVE_UNSAFE_MEMBER');
      assert.equal(error.value, 'docker/registry/v2');
      assert.equal(error.path, chunks[0]);
      assert.equal(error.offset, 512);
      assert.match(error.fix ?? '', /oc-mirror --v2/);
      assert.match(error.message, REFUSAL);
      return true;
    });
    // Given alone, the normal second chunk is accepted: the refusal is the symlink's.
    assert.ok(
      (await MirrorArchive.open([chunks[1] ?? ''])).hasRepository('openshift/release-images'),
    );
  });

  test('cli: mirror inspect and mirror check exit 1 with one line naming the member and the chunk', async () => {
    const chunks = await hostileArchive(join(work, 'cli'), join(work, 'cli-outside'));
    for (const verb of [
      ['mirror', 'inspect'],
      ['mirror', 'check'],
    ]) {
      const run = await hostmirror([...verb, ...chunks]);
      assert.equal(run.exitCode, 1, `${verb.join(' ')}: ${run.stderrText}`);
      // pnpm adds its own ELIFECYCLE line; ours are the ones starting with "hostmirror: ".
      const lines = run.stderrText.split('\n').filter((line) => line.startsWith('hostmirror: '));
      assert.equal(lines.length, 1, run.stderrText);
      assert.match(lines[0] ?? '', REFUSAL);
      assert.doesNotMatch(run.stderrText, /\n\s+at /);
    }
  });

  test('build-iso: refused before any output exists (library and CLI)', async () => {
    const { work: buildWork, inputs } = await demoInputs('member-rule');
    try {
      const chunks = await hostileArchive(join(buildWork, 'hostile'), join(buildWork, 'outside'));
      const output = join(buildWork, 'out.iso');
      await assert.rejects(
        buildMirrorIso(optionsFor(inputs, output, { mirror: chunks })),
        (error: unknown) =>
          error instanceof MirrorFormatError &&
          error.code === 'ARCHIVE_UNSAFE_MEMBER' &&
          REFUSAL.test(error.message),
      );
      await assert.rejects(stat(output), { code: 'ENOENT' });
      const run = await hostmirror([
        'build-iso',
        '--iso',
        inputs.iso,
        '--install-config',
        inputs.installConfig,
        '--agent-config',
        inputs.agentConfig,
        ...chunks.flatMap((chunk) => ['--mirror', chunk]),
        '--registry-binary',
        '/bin/busybox',
        '-o',
        output,
      ]);
      assert.equal(run.exitCode, 1, run.stderrText);
      const errors = run.stderrText.split('\n').filter((line) => line.startsWith('hostmirror: '));
      assert.equal(errors.length, 1, run.stderrText);
      assert.match(errors[0] ?? '', REFUSAL);
      await assert.rejects(stat(output), { code: 'ENOENT' });
    } finally {
      await rm(buildWork, { recursive: true, force: true });
    }
  });

  test('boot: the real hostmirror-unpack.sh under bash with GNU tar refuses it and writes nothing outside its root', async () => {
    const bash = await requireTool('bash', 'bash');
    await requireTool('tar', 'tar');
    const host = join(work, 'host');
    const outside = join(work, 'boot-outside');
    await mkdir(outside);
    const volume = join(host, 'volume');
    const chunks = await hostileArchive(volume, outside);
    const manifestLines: string[] = [];
    for (const chunk of chunks)
      manifestLines.push(
        `${createHash('sha256')
          .update(await readFile(chunk))
          .digest('hex')}  ${chunk.slice(volume.length + 1)}`,
      );
    const manifest = `${manifestLines.join('\n')}\n`;
    await mkdir(join(host, 'etc/hostmirror'), { recursive: true });
    await writeFile(join(host, 'etc/hostmirror/archives.sha256'), manifest);
    await writeFile(
      join(host, 'etc/hostmirror/hostmirror.env'),
      [
        'HOSTMIRROR_MODE=every-node',
        'HOSTMIRROR_PHASE=live',
        'HOSTMIRROR_STATE_DIR=/run/hostmirror',
        'HOSTMIRROR_MOUNT=/var/mnt/hostmirror',
        'HOSTMIRROR_REGISTRY_NAME=registry.hostmirror.internal',
        'HOSTMIRROR_REGISTRY_PORT=5000',
        'HOSTMIRROR_REGISTRY_BIN=/usr/local/bin/hostmirror-registry',
        '',
      ].join('\n'),
    );
    const state = join(host, 'run/hostmirror');
    await mkdir(state, { recursive: true });
    await writeFile(join(state, 'serve'), '');
    await writeFile(join(state, 'volume'), volume);
    const id = createHash('sha256').update(manifest).digest('hex');
    await writeFile(join(state, 'verified'), `${id}\n`);
    const result = await runTool(bash, [unpackScript], {
      timeoutMs: 30_000,
      env: { ...process.env, HOSTMIRROR_ROOT: host },
    });
    const stderr = result.stderr.toString('utf8');
    assert.equal(result.exitCode, 1, stderr);
    assert.match(
      stderr,
      /^<3>hostmirror: archive \S*mirror_000001\.tar has the member "docker\/registry\/v2", refused \(link-on-registry-path\)/m,
    );
    assert.deepEqual(await readdir(outside), [], 'nothing written through the symlink');
    const root = join(volume, 'hostmirror/registry');
    assert.deepEqual(await readdir(root), [], 'nothing of the archive unpacked');
  });
});
