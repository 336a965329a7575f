/**
 * The registry program vetting with real programs: Debian's docker-registry (dynamic, needs
 * GLIBC_2.34) and busybox-static (a static ELF), judged against RHCOS volume ids.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { requireTool, runTool } from '@hostmirror/fixtures';
import { readElfProgram } from '../../packages/build-iso/src/elf.ts';
import { BuildIsoError } from '../../packages/build-iso/src/errors.ts';
import {
  targetOsFromVolumeId,
  vetRegistryProgram,
} from '../../packages/build-iso/src/registry-program.ts';

describe('registry program vetting with real programs', () => {
  test("Debian's dynamic docker-registry: refused for a RHEL 8 RHCOS ISO, accepted for RHEL 9", async () => {
    const registry = await requireTool('docker-registry');
    const program = await readElfProgram(registry);
    // What objdump says the program needs is what we read.
    const objdump = await runTool(await requireTool('objdump'), ['-p', registry], {
      timeoutMs: 30_000,
    });
    const needed = [...objdump.stdout.toString('utf8').matchAll(/NEEDED\s+(\S+)/g)].map(
      (m) => m[1],
    );
    assert.deepEqual(program.needed, needed);
    const highest = [...objdump.stdout.toString('utf8').matchAll(/GLIBC_(\d+\.\d+)/g)]
      .map((m) => m[1] as string)
      .sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]))
      .at(-1);
    assert.equal(highest, '2.34', 'bookworm docker-registry needs GLIBC_2.34');
    await assert.rejects(
      vetRegistryProgram(registry, 'amd64', targetOsFromVolumeId('rhcos-412.86.202402271800-0')),
      (error: unknown) => {
        assert.ok(error instanceof BuildIsoError);
        assert.equal(error.code, 'REGISTRY_BINARY_UNFIT');
        assert.match(
          error.message,
          /is dynamically linked and needs GLIBC_2\.34, but the ISO \(volume id rhcos-412\.86\.202402271800-0: RHEL CoreOS 8\.6\) has glibc 2\.28/,
        );
        return true;
      },
    );
    const rhel9 = await vetRegistryProgram(
      registry,
      'amd64',
      targetOsFromVolumeId('rhcos-418.94.202501221327-0'),
    );
    assert.deepEqual(
      { linkage: rhel9.linkage, glibcNeeded: rhel9.glibcNeeded, glibcChecked: rhel9.glibcChecked },
      { linkage: 'dynamic', glibcNeeded: '2.34', glibcChecked: true },
    );
    await assert.rejects(
      vetRegistryProgram(registry, 'arm64', targetOsFromVolumeId('rhcos-9.6.20250701-0')),
      /a 64-bit amd64 program, but the ISO's hosts are arm64/,
    );
  });

  test('a static program (busybox-static) is accepted even for RHEL 8', async () => {
    const busybox = await requireTool('busybox');
    const vetting = await vetRegistryProgram(
      busybox,
      'amd64',
      targetOsFromVolumeId('rhcos-412.86.202402271800-0'),
    );
    assert.equal(vetting.linkage, 'static');
    assert.equal(vetting.glibcChecked, true);
  });
});
