import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BuildIsoError } from './errors.ts';
import { chooseOverlayCodec, kernelReleaseOf, kernelVersionOffset } from './overlay-codec.ts';

/** The first 0x210 bytes of an x86 bzImage with `HdrS`, protocol 2.15 and a version pointer. */
function bzImageHead(pointer: number): Buffer {
  const head = Buffer.alloc(0x210);
  head.write('HdrS', 0x202, 'latin1');
  head.writeUInt16LE(0x20f, 0x206);
  head.writeUInt16LE(pointer, 0x20e);
  return head;
}

const RHEL8 = {
  release: '4.18.0-372.9.1.el8.x86_64',
  initrdCodecs: ['gzip'],
  embedArea: true,
} as const;
const NEW = { release: '6.1.0-28-amd64', initrdCodecs: ['gzip'], embedArea: true } as const;

function refused(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof BuildIsoError);
    assert.equal(error.code, 'CODEC_UNSUPPORTED_BY_KERNEL');
    assert.match(error.message, pattern);
    assert.match(error.message, /Leave --compress out \(gzip/);
    return true;
  };
}

describe('the kernel release from the x86 boot header', () => {
  test('kernel_version at 0x20E points 0x200 bytes before the string', () => {
    assert.equal(kernelVersionOffset(bzImageHead(0x3ea0)), 0x40a0);
    assert.equal(
      kernelReleaseOf(Buffer.from('5.14.0-427.13.1.el9_4.x86_64 (mockbuild@x) #1 SMP\0junk')),
      '5.14.0-427.13.1.el9_4.x86_64',
    );
  });
  test('no HdrS, an old protocol or a zero pointer: nothing is claimed', () => {
    const plain = bzImageHead(0x3ea0);
    plain.write('XXXX', 0x202, 'latin1');
    assert.equal(kernelVersionOffset(plain), undefined);
    assert.equal(kernelVersionOffset(bzImageHead(0)), undefined);
    const old = bzImageHead(0x3ea0);
    old.writeUInt16LE(0x1ff, 0x206);
    assert.equal(kernelVersionOffset(old), undefined);
    assert.equal(kernelReleaseOf(Buffer.from('not a version\0')), undefined);
  });
});

describe('the overlay codec the kernel unpacks', () => {
  test('default gzip, whatever the kernel', () => {
    for (const facts of [RHEL8, NEW, { release: null, initrdCodecs: [], embedArea: false }])
      assert.equal(chooseOverlayCodec(undefined, facts, 'x.iso').codec, 'gzip');
    assert.match(chooseOverlayCodec(undefined, RHEL8, 'x.iso').reason, /^default: .*Linux 4\.18/);
  });
  test('zstd on a kernel before 5.9 is refused with the reason', () => {
    assert.throws(
      () => chooseOverlayCodec('zstd', RHEL8, 'rhel8.iso'),
      refused(
        /--compress zstd refused for rhel8\.iso: Linux 4\.18\.0-372\.9\.1\.el8\.x86_64 cannot unpack a zstd initramfs: zstd arrived in Linux 5\.9/,
      ),
    );
  });
  test('zstd on a new kernel is refused unless the ISO shows it unpacks zstd', () => {
    assert.throws(
      () => chooseOverlayCodec('zstd', NEW, 'x.iso'),
      refused(
        /CONFIG_RD_ZSTD is not in the image, and the ISO's own initrd \(gzip\) does not show it/,
      ),
    );
    assert.throws(
      () => chooseOverlayCodec('zstd', { ...NEW, release: null }, 'x.iso'),
      refused(/release cannot be read from the image/),
    );
    const proven = chooseOverlayCodec('zstd', { ...NEW, initrdCodecs: ['gzip', 'zstd'] }, 'x.iso');
    assert.equal(proven.codec, 'zstd');
    assert.match(proven.reason, /unpacks the ISO's own zstd initrd segments/);
  });
  test('xz where the ISO shows it: its own segments or the Ignition embed area', () => {
    assert.match(chooseOverlayCodec('xz', RHEL8, 'x.iso').reason, /coreos-installer embeds/);
    assert.equal(
      chooseOverlayCodec('xz', { ...RHEL8, embedArea: false, initrdCodecs: ['xz'] }, 'x.iso').codec,
      'xz',
    );
    assert.throws(
      () => chooseOverlayCodec('xz', { ...RHEL8, embedArea: false }, 'x.iso'),
      refused(/nothing in the ISO shows that Linux 4\.18/),
    );
  });
});
