/**
 * Issue 2, "Proof with real tools": Debian's kernel unpacks an overlay that
 * `hostmirror initrd append` put after a busybox initrd, once per codec; and a CRC64 xz archive
 * appended with plain `cat` (not our tool) is refused by the kernel and flagged by
 * `hostmirror initrd verify` at its byte offset, so these boots can fail.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { requireTool, runOk } from '@hostmirror/fixtures';
import {
  assertCleanBoot,
  bootKernel,
  buildBaseInitrd,
  extractPvhKernel,
  findDebianKernel,
  markerValues,
} from '../support/qemu.ts';
import { hostmirror, hostmirrorOk } from './hostmirror-cli.ts';
import {
  binaryPath,
  deepPath,
  executablePath,
  type OverlayFixture,
  overriddenPath,
  symlinkPath,
  unicodePath,
  writeOverlayFixture,
} from './overlay-fixture.ts';

const codecs = ['gzip', 'xz', 'zstd', 'none'] as const;
/** An xz stream header: magic (6), stream flags (2), CRC32 (4) (xz-file-format §2.1.1). */
const xzStreamHeaderBytes = 12;
type Codec = (typeof codecs)[number];

/** What `/init` prints: one marker line per fact, read back with `markerValues`. */
const checks = `
for f in /${overriddenPath} /${deepPath} /${unicodePath} /etc/hm-overlay/inline.conf; do
  if [ -f "$f" ]; then echo "HM-FILE $f $(cat "$f")"; else echo "HM-MISSING $f"; fi
done
echo "HM-SHA $(sha256sum /${binaryPath} 2>&1 | cut -d' ' -f1)"
echo "HM-MODE $(stat -c %a /${executablePath} 2>&1) $(stat -c %a /${deepPath} 2>&1)"
echo "HM-LINK $(readlink /${symlinkPath} 2>&1)"
if [ -x /${executablePath} ]; then /${executablePath}; else echo "HM-NOEXEC"; fi
/${symlinkPath} | sed 's/^/HM-VIA-LINK /'
`;

let work: string;
/** Debian's kernel, uncompressed for qemu's PVH entry (3–4× faster boots under TCG). */
let kernel: string;
let base: string;

before(async () => {
  for (const tool of ['cpio', 'gzip', 'xz', 'qemu-system-x86_64', 'busybox'] as const)
    await requireTool(tool);
  work = await mkdtemp(join(tmpdir(), 'hm-kernel-boot-'));
  kernel = await extractPvhKernel(await findDebianKernel());
  base = await buildBaseInitrd({
    outPath: join(work, 'base.cpio.gz'),
    checks,
    files: { [overriddenPath]: 'base\n' },
  });
});

after(async () => {
  await rm(work, { recursive: true, force: true });
});

/** Build the overlay with `initrd build` and append it with `initrd append`, both via the CLI. */
async function appendedInitrd(codec: Codec): Promise<{ initrd: string; fixture: OverlayFixture }> {
  const dir = join(work, codec);
  await mkdir(dir);
  const fixture = await writeOverlayFixture(dir, codec, codec);
  const overlay = join(dir, 'overlay.img');
  const initrd = join(dir, 'initrd.img');
  await hostmirrorOk(['initrd', 'build', fixture.specPath, '-o', overlay]);
  await hostmirrorOk(['initrd', 'append', base, '--archive', overlay, '-o', initrd]);
  // The base file is kept byte for byte in front.
  const [baseBytes, initrdBytes] = await Promise.all([readFile(base), readFile(initrd)]);
  assert.deepEqual(initrdBytes.subarray(0, baseBytes.length), baseBytes);
  return { initrd, fixture };
}

describe('the kernel unpacks an appended overlay', { concurrency: 2 }, () => {
  for (const codec of codecs) {
    test(`${codec}`, async (t) => {
      const { initrd, fixture } = await appendedInitrd(codec);
      const verify = await hostmirror(['initrd', 'verify', initrd, '--json']);
      assert.equal(verify.exitCode, 0, verify.stderrText + verify.stdoutText);
      const { segments } = JSON.parse(verify.stdoutText) as {
        segments: { offset: number; codec: string }[];
      };
      assert.deepEqual(
        segments.map((segment) => segment.codec),
        ['gzip', codec],
      );
      // An uncompressed archive must start 4-aligned from the start of the initrd (docs/boot.md#appended-archives).
      if (codec === 'none') assert.equal((segments[1]?.offset ?? 1) % 4, 0);

      const boot = await bootKernel({ kernel, initrd, timeoutMs: 90_000 });
      t.diagnostic(`boot ${codec}: ${Math.round(boot.durationMs)} ms`);
      assertCleanBoot(boot);
      const files = markerValues(boot.console, 'HM-FILE');
      assert.deepEqual(files, [
        `/${overriddenPath} overlay-${codec}`,
        `/${deepPath} deep-${codec}`,
        `/${unicodePath} unicode-${codec}`,
        `/etc/hm-overlay/inline.conf inline: ${codec}`,
      ]);
      assert.deepEqual(markerValues(boot.console, 'HM-SHA'), [fixture.sha256(binaryPath)]);
      assert.deepEqual(markerValues(boot.console, 'HM-MODE'), ['755 600']);
      assert.deepEqual(markerValues(boot.console, 'HM-LINK'), ['hm-hello']);
      assert.deepEqual(markerValues(boot.console, 'HM-EXEC-OK'), [`${codec} 0`]);
      assert.deepEqual(markerValues(boot.console, 'HM-VIA-LINK'), [`HM-EXEC-OK ${codec} 0`]);
      assert.ok(!boot.console.includes('Initramfs unpacking failed'));
    });
  }

  test('CRC64 xz appended with cat: the kernel refuses it, initrd verify flags its offset', async (t) => {
    const dir = join(work, 'crc64');
    await mkdir(dir);
    const fixture = await writeOverlayFixture(dir, 'crc64', 'none');
    const plain = join(dir, 'overlay.cpio');
    await hostmirrorOk(['initrd', 'build', fixture.specPath, '-o', plain]);
    const bad = join(dir, 'initrd.img');
    await runOk(
      '/bin/sh',
      [
        '-ec',
        'xz --check=crc64 -c "$2" > "$3.xz"; cat "$1" "$3.xz" > "$3"',
        'sh',
        base,
        plain,
        bad,
      ],
      { timeoutMs: 20_000 },
    );
    const segmentOffset = (await stat(base)).size;

    const verify = await hostmirror(['initrd', 'verify', bad, '--json']);
    assert.equal(verify.exitCode, 1, verify.stderrText + verify.stdoutText);
    const report = JSON.parse(verify.stdoutText) as {
      ok: boolean;
      faults: { offset: number; code: string; segment?: number }[];
    };
    assert.equal(report.ok, false);
    // The fault is the check type in the xz stream header, which starts right after the base.
    const fault = report.faults.find((f) => f.code === 'XZ_CHECK_UNSUPPORTED');
    assert.ok(fault, verify.stdoutText);
    assert.equal(fault.segment, 1);
    assert.ok(
      fault.offset >= segmentOffset && fault.offset < segmentOffset + xzStreamHeaderBytes,
      `fault offset ${fault.offset} not in the xz header at ${segmentOffset}`,
    );

    const boot = await bootKernel({ kernel, initrd: bad, timeoutMs: 90_000 });
    t.diagnostic(`boot crc64: ${Math.round(boot.durationMs)} ms`);
    assert.equal(boot.initDone, true, boot.console);
    assert.deepEqual(boot.initramfsFailures, [
      'Input was encoded with settings that are not supported by this XZ decoder',
    ]);
    assert.deepEqual(markerValues(boot.console, 'HM-FILE'), [`/${overriddenPath} base`]);
    assert.ok(boot.console.includes('HM-NOEXEC'), 'the overlay executable must be missing');
  });
});
