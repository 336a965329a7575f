import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readElfProgram } from './elf.ts';
import { BuildIsoError } from './errors.ts';
import { targetOsFromVolumeId, vetRegistryProgram } from './registry-program.ts';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hostmirror-elf-'));
});
after(async () => {
  if (work) await rm(work, { recursive: true, force: true });
});

/**
 * A minimal 64-bit little-endian ELF: header, one PT_INTERP program header when `interpreter`
 * is given, no sections. Enough for the class, machine and linkage checks.
 */
function tinyElf(machine: number, interpreter?: string): Buffer {
  const header = Buffer.alloc(64);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(header);
  header.writeUInt16LE(2, 16); // ET_EXEC
  header.writeUInt16LE(machine, 18);
  header.writeUInt32LE(1, 20);
  const phnum = interpreter === undefined ? 0 : 1;
  header.writeBigUInt64LE(64n, 0x20); // e_phoff
  header.writeUInt16LE(64, 0x34); // e_ehsize
  header.writeUInt16LE(56, 0x36); // e_phentsize
  header.writeUInt16LE(phnum, 0x38);
  header.writeUInt16LE(64, 0x3a);
  if (interpreter === undefined) return header;
  const text = Buffer.from(`${interpreter}\0`, 'latin1');
  const program = Buffer.alloc(56);
  program.writeUInt32LE(3, 0); // PT_INTERP
  program.writeBigUInt64LE(BigInt(64 + 56), 8);
  program.writeBigUInt64LE(BigInt(text.length), 32);
  return Buffer.concat([header, program, text]);
}

async function file(name: string, bytes: Buffer | string): Promise<string> {
  const path = join(work, name);
  await writeFile(path, bytes);
  await chmod(path, 0o755);
  return path;
}

describe('the ISO OS from its volume id', () => {
  for (const [volumeId, name, glibc] of [
    ['rhcos-412.86.202402271800-0', 'RHEL CoreOS 8.6', '2.28'],
    ['rhcos-47.84.202102111302-0', 'RHEL CoreOS 8.4', '2.28'],
    ['rhcos-418.94.202501221327-0', 'RHEL CoreOS 9.4', '2.34'],
    ['rhcos-9.6.20250701-0', 'RHEL CoreOS 9.6', '2.34'],
    ['rhcos-10.0.20260101-0', 'RHEL CoreOS 10.0', '2.39'],
    ['scos-418.9.202501221327-0', 'CentOS Stream CoreOS 9', '2.34'],
    ['fedora-coreos-38.20230718.dev.0', 'Fedora CoreOS 38', '2.37'],
  ] as const)
    test(`${volumeId} is ${name} with glibc ${glibc}`, () => {
      assert.deepEqual(targetOsFromVolumeId(volumeId), { volumeId, name, glibc });
    });

  test('a volume id that names no known release says so (null), never a guess', () => {
    assert.deepEqual(targetOsFromVolumeId('fedora-coreos-hostmirror-fixture'), {
      volumeId: 'fedora-coreos-hostmirror-fixture',
      name: null,
      glibc: null,
    });
    assert.equal(targetOsFromVolumeId('rhcos-7.9.20200101-0').glibc, null);
  });
});

describe('vetting the registry program', () => {
  const rhel9 = targetOsFromVolumeId('rhcos-418.94.202501221327-0');

  test('a shell script is refused: not an ELF program', async () => {
    const script = await file('registry.sh', '#!/bin/sh\nexec docker-registry "$@"\n');
    await assert.rejects(vetRegistryProgram(script, 'amd64', rhel9), (error: unknown) => {
      assert.ok(error instanceof BuildIsoError);
      assert.equal(error.code, 'REGISTRY_BINARY_UNFIT');
      assert.match(error.message, /registry\.sh is not an ELF program \(it starts with "#!\/b"/);
      assert.match(error.message, /--registry-binary with a static distribution registry/);
      return true;
    });
  });

  test('a program for another architecture is refused, naming both', async () => {
    const arm = await file('arm', tinyElf(183));
    await assert.rejects(
      vetRegistryProgram(arm, 'amd64', rhel9),
      /a 64-bit arm64 program, but the ISO's hosts are amd64/,
    );
    const vetting = await vetRegistryProgram(arm, 'arm64', rhel9);
    assert.equal(vetting.linkage, 'static');
  });

  test('a truncated header is refused with the offset that lies outside the file', async () => {
    const broken = await file(
      'broken',
      tinyElf(62, '/lib64/ld-linux-x86-64.so.2').subarray(0, 100),
    );
    await assert.rejects(
      readElfProgram(broken),
      /program header table \(56 bytes at byte 64\) lies outside the 100-byte file/,
    );
  });
});
