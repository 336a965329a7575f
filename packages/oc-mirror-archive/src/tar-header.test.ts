import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MirrorFormatError } from './errors.ts';
import {
  decodeHeader,
  encodeHeader,
  TAR_BLOCK_SIZE,
  type TarHeaderFields,
  type TarHeaderFormat,
} from './tar-header.ts';

const work = mkdtempSync(join(tmpdir(), 'hostmirror-tar-header-'));
after(() => rmSync(work, { recursive: true, force: true }));

const base: TarHeaderFields = {
  name: 'docker/registry/v2/blobs/sha256/ab/abcd/data',
  mode: 0o644,
  mtime: 1_700_000_000,
  size: 12_345,
  typeflag: '0',
  linkName: '',
};

function roundTrip(fields: TarHeaderFields, format: TarHeaderFormat) {
  const block = encodeHeader(fields, format);
  assert.equal(block.length, TAR_BLOCK_SIZE);
  return decodeHeader(block, 'memory', 0);
}

function refusal(fields: TarHeaderFields, format: TarHeaderFormat = 'posix'): MirrorFormatError {
  try {
    encodeHeader(fields, format);
  } catch (error) {
    assert.ok(error instanceof MirrorFormatError, String(error));
    return error;
  }
  assert.fail(`${JSON.stringify(fields)} was encoded`);
}

/** The first header GNU tar writes for `name` (a file of `size` bytes) in `format`. */
function gnuTarHeader(name: string, size: number, format: 'ustar' | 'gnu'): Buffer {
  const dir = mkdtempSync(join(work, 'gnu-'));
  mkdirSync(join(dir, name, '..'), { recursive: true });
  writeFileSync(join(dir, name), Buffer.alloc(size, 0x61), { mode: 0o644 });
  const archive = join(dir, 'out.tar');
  execFileSync('tar', [
    `--format=${format}`,
    '--owner=0',
    '--group=0',
    '--numeric-owner',
    '--mode=0644',
    '--mtime=@1700000000',
    '-C',
    dir,
    '-cf',
    archive,
    name,
  ]);
  return readFileSync(archive).subarray(0, TAR_BLOCK_SIZE);
}

describe('encodeHeader', () => {
  for (const format of ['posix', 'gnu'] as const) {
    it(`decodes back to what it was given (${format})`, () => {
      assert.deepEqual(roundTrip(base, format), base);
      const link = { ...base, name: 'a/link', typeflag: '2', size: 0, linkName: 'target/file' };
      assert.deepEqual(roundTrip(link, format), link);
      const directory = { ...base, name: 'docker/registry/', typeflag: '5', size: 0, mode: 0o755 };
      assert.deepEqual(roundTrip(directory, format), directory);
    });
  }

  it('writes the bytes GNU tar writes for the same member (ustar and GNU formats)', () => {
    const name = 'dir/file.txt';
    for (const [format, ours] of [
      ['ustar', 'posix'],
      ['gnu', 'gnu'],
    ] as const) {
      const theirs = gnuTarHeader(name, 3, format);
      const decoded = decodeHeader(theirs, 'gnu-tar', 0);
      const devices = format === 'ustar' ? { devMajor: 0, devMinor: 0 } : {};
      assert.deepEqual(encodeHeader({ ...decoded, uid: 0, gid: 0, ...devices }, ours), theirs);
    }
  });

  it('splits a long name into prefix and name where GNU tar does', () => {
    const name = `${'deep/'.repeat(25)}registry/${'b'.repeat(90)}`;
    assert.ok(Buffer.byteLength(name) > 100);
    const theirs = gnuTarHeader(name, 0, 'ustar');
    const ours = encodeHeader({ ...base, name, size: 0, uid: 0, gid: 0, devMajor: 0, devMinor: 0 });
    assert.deepEqual(ours, theirs);
    assert.equal(decodeHeader(ours, 'memory', 0).name, name);
  });

  it('writes sizes of 8 GiB and more base-256 in the GNU format, as GNU tar reads them', () => {
    const size = 9 * 1024 ** 3;
    assert.equal(roundTrip({ ...base, size }, 'gnu').size, size);
    const block = encodeHeader({ ...base, size }, 'gnu');
    assert.equal(block[124], 0x80);
    // The header alone: tar lists the member, then stops at the missing data (exit 2).
    const listing = spawnSync('tar', ['-tvf', '-'], { input: block }).stdout.toString();
    assert.match(listing, new RegExp(`\\b${size}\\b`));
  });

  it('refuses what does not fit, naming the field, the member and the way out', () => {
    const tooBig = refusal({ ...base, size: 8 ** 11 });
    assert.equal(tooBig.code, 'TAR_FIELD_TOO_LARGE');
    assert.match(tooBig.message, /size 8589934592 of .*PAX record/);
    assert.equal(refusal({ ...base, name: `${'x'.repeat(101)}` }).code, 'TAR_FIELD_TOO_LARGE');
    assert.match(refusal({ ...base, name: `a/${'x'.repeat(101)}` }).message, /name/);
    assert.match(refusal({ ...base, name: `${'x'.repeat(101)}` }, 'gnu').message, /GNU long-name/);
    assert.match(refusal({ ...base, linkName: 'l'.repeat(101) }).message, /linkname/);
    assert.match(refusal({ ...base, mode: -1 }).message, /mode -1/);
    assert.match(refusal({ ...base, mtime: 1.5 }).message, /mtime 1.5/);
    assert.match(refusal({ ...base, typeflag: '' }).message, /typeflag/);
  });
});
