import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  assertWithinBudget,
  type BudgetCheckId,
  BudgetExceededError,
  BudgetInputError,
  type BudgetInputs,
  type BudgetReport,
  computeBudget,
  formatBudgetTable,
  ignitionEmbedAreaBytes,
  node0LivePullReserveBytes,
} from './index.ts';

const MiB = 1024 ** 2;
const GiB = 1024 ** 3;

function checkOf(report: BudgetReport, id: BudgetCheckId) {
  const found = report.checks.find((c) => c.id === id);
  assert.ok(found, `check ${id} missing`);
  return found;
}

const base = { name: 'initrd.img', fileBytes: 90 * MiB, unpackedBytes: 250 * MiB };
const archive = { name: 'overlay.img', fileBytes: 40 * MiB, unpackedBytes: 120 * MiB };
const rootfs = { name: 'rootfs.img', fileBytes: 900 * MiB, unpackedBytes: 899 * MiB };

function inputs(extra: Partial<BudgetInputs> = {}): BudgetInputs {
  return { ramBytes: 16 * GiB, baseInitrd: base, archives: [archive], ...extra };
}

describe('terms', () => {
  test('ramMinimumPerRole', () => {
    assert.equal(
      checkOf(computeBudget(inputs({ role: 'master' })), 'ram-minimum').needBytes,
      16 * GiB,
    );
    assert.equal(
      checkOf(computeBudget(inputs({ role: 'sno' })), 'ram-minimum').needBytes,
      16 * GiB,
    );
    const worker = checkOf(
      computeBudget(inputs({ role: 'worker', ramBytes: 8 * GiB })),
      'ram-minimum',
    );
    assert.equal(worker.needBytes, 8 * GiB);
    assert.equal(worker.ok, true);
    assert.equal(worker.headroomBytes, 0);
    assert.equal(checkOf(computeBudget(inputs({ ramBytes: 8 * GiB })), 'ram-minimum').ok, false);
  });

  test('initramfsTmpfsIsHalfOfRamAndCountsUnpackedSizes', () => {
    const c = checkOf(computeBudget(inputs()), 'initramfs-tmpfs');
    assert.equal(c.haveBytes, 8 * GiB);
    assert.deepEqual(
      c.terms.map((t) => t.bytes),
      [250 * MiB, 120 * MiB],
    );
    assert.equal(c.needBytes, 370 * MiB);
    assert.equal(c.headroomBytes, 8 * GiB - 370 * MiB);
    assert.equal(c.ok, true);
  });

  test('isoBootLeavesTheRootfsOnTheMedium', () => {
    const c = checkOf(computeBudget(inputs({ rootfs })), 'initramfs-tmpfs');
    assert.equal(c.needBytes, 370 * MiB);
  });

  test('fromRamCopiesTheRootfsFileIntoTheInitramfs', () => {
    const report = computeBudget(inputs({ fromRam: true, rootfs }));
    assert.equal(checkOf(report, 'initramfs-tmpfs').needBytes, 370 * MiB + 900 * MiB);
    // The copy happens after unpacking: not in the loaded initrd files.
    assert.equal(checkOf(report, 'unpack-peak').needBytes, 130 * MiB + 1270 * MiB);
  });

  test('pxeHoldsTheSquashfsUnpackedAndTheRootfsInitrdAsLoaded', () => {
    const report = computeBudget(inputs({ boot: 'pxe', rootfs }));
    assert.equal(checkOf(report, 'initramfs-tmpfs').needBytes, 370 * MiB + 899 * MiB);
    assert.equal(
      checkOf(report, 'unpack-peak').needBytes,
      130 * MiB + 900 * MiB + 370 * MiB + 899 * MiB,
    );
    assert.equal(report.boot, 'pxe');
  });

  test('unpackPeakAddsLoadedFilesToUnpackedContents', () => {
    const c = checkOf(computeBudget(inputs()), 'unpack-peak');
    assert.equal(c.needBytes, 90 * MiB + 40 * MiB + 250 * MiB + 120 * MiB);
    assert.equal(c.haveBytes, 16 * GiB);
  });

  test('liveTmpfsCountsCopiesAndThePullReserve', () => {
    const c = checkOf(
      computeBudget(
        inputs({
          liveCopies: [{ label: '/usr/local/bin/registry', bytes: 30 * MiB }],
          livePullReserveBytes: 1 * GiB,
        }),
      ),
      'live-tmpfs',
    );
    assert.equal(c.haveBytes, 8 * GiB);
    assert.equal(c.needBytes, 30 * MiB + GiB);
    assert.equal(c.terms.length, 2);
  });

  test('node0ReserveFollowsInstallerPr10133: at 16 GiB the /var holds the bootstrap, not a preload of 4 GiB more', () => {
    // OCPBUGS-62790: peak 9.4 GiB of tmpfs; PR #10133 keeps up to 5 GiB of it (the ostree
    // checkout) in its own tmpfs, so 4.4 GiB land in /var (8 GiB at 16 GiB RAM).
    assert.equal(node0LivePullReserveBytes, Math.round(9.4 * GiB) - 5 * GiB);
    const alone = checkOf(
      computeBudget(inputs({ livePullReserveBytes: node0LivePullReserveBytes })),
      'live-tmpfs',
    );
    assert.equal(alone.ok, true);
    assert.equal(alone.headroomBytes, 8 * GiB - node0LivePullReserveBytes);
    const report = computeBudget(
      inputs({
        livePullReserveBytes: node0LivePullReserveBytes,
        liveCopies: [{ label: 'preload copies', bytes: 4 * GiB }],
      }),
    );
    const c = checkOf(report, 'live-tmpfs');
    assert.equal(c.ok, false);
    assert.equal(c.needBytes, node0LivePullReserveBytes + 4 * GiB);
    assert.match(c.fix, /at least 17\.00 GiB/);
    assert.equal(report.ok, false);
  });

  test('notCountedHoldingsAreListedAndTheTableNeverSaysWithinBudgetAlone', () => {
    const report = computeBudget(
      inputs({ host: 'node0', notCounted: ['the unpacked size of preloaded layers'] }),
    );
    assert.equal(report.host, 'node0');
    assert.ok(report.notCounted.includes('the unpacked size of preloaded layers'));
    const table = formatBudgetTable(report);
    assert.doesNotMatch(table, /^within budget$/m);
    assert.match(table, /within budget for what was counted/);
    assert.match(table, /^budget for node0 \(master\)/m);
  });

  test('embedAreaOnlyWhenAnIgnitionArchiveIsGiven', () => {
    assert.equal(
      computeBudget(inputs()).checks.some((c) => c.id === 'embed-area'),
      false,
    );
    const fits = checkOf(computeBudget(inputs({ ignitionArchiveBytes: 262_144 })), 'embed-area');
    assert.equal(fits.haveBytes, ignitionEmbedAreaBytes);
    assert.equal(fits.ok, true);
    const over = checkOf(computeBudget(inputs({ ignitionArchiveBytes: 300_000 })), 'embed-area');
    assert.equal(over.ok, false);
    assert.equal(over.headroomBytes, 262_144 - 300_000);
    const custom = checkOf(
      computeBudget(inputs({ ignitionArchiveBytes: 300_000, embedAreaBytes: 1024 * 1024 })),
      'embed-area',
    );
    assert.equal(custom.ok, true);
  });

  test('missingBaseInitrdIsReportedNotCounted', () => {
    const report = computeBudget({ ramBytes: 16 * GiB });
    assert.equal(report.notCounted.length, 1);
    const first = checkOf(report, 'initramfs-tmpfs').terms[0];
    assert.equal(first?.counted, false);
    assert.equal(first?.bytes, 0);
    assert.match(formatBudgetTable(report), /not counted: the base initrd/);
  });
});

describe('errors', () => {
  test('exceededNamesActualLimitAndFix', () => {
    const report = computeBudget(
      inputs({
        ramBytes: 16 * GiB,
        archives: [{ name: 'big.img', fileBytes: GiB, unpackedBytes: 9 * GiB }],
      }),
    );
    assert.throws(
      () => assertWithinBudget(report),
      (error) => {
        assert.ok(error instanceof BudgetExceededError);
        assert.equal(error.code, 'BUDGET_EXCEEDED');
        assert.deepEqual(
          error.exceeded.map((e) => e.id),
          ['initramfs-tmpfs'],
        );
        const need = 250 * MiB + 9 * GiB;
        assert.ok(
          error.message.includes(`initramfs tmpfs: ${need} > ${8 * GiB} bytes`),
          error.message,
        );
        // 2 × 9.24 GiB → 19 GiB, whole GiB.
        assert.match(error.message, /at least 19\.00 GiB of RAM/);
        return true;
      },
    );
  });

  test('everyFailedCheckIsListed', () => {
    const report = computeBudget(
      inputs({ ramBytes: 4 * GiB, ignitionArchiveBytes: 300_000, livePullReserveBytes: 3 * GiB }),
    );
    assert.throws(
      () => assertWithinBudget(report),
      (error) => {
        assert.ok(error instanceof BudgetExceededError);
        assert.deepEqual(
          error.exceeded.map((e) => e.id),
          ['ram-minimum', 'live-tmpfs', 'embed-area'],
        );
        assert.match(error.message, /Ignition embed area: 300000 > 262144 bytes/);
        return true;
      },
    );
  });

  test('withinBudgetReturnsTheReport', () => {
    const report = computeBudget(inputs());
    assert.equal(report.ok, true);
    assert.equal(assertWithinBudget(report), report);
  });

  test('rootfsRequiredForPxeAndFromRam', () => {
    for (const extra of [{ boot: 'pxe' as const }, { fromRam: true }])
      assert.throws(
        () => computeBudget(inputs(extra)),
        (error) =>
          error instanceof BudgetInputError &&
          error.code === 'BAD_INPUT' &&
          /--rootfs/.test(error.message),
      );
  });

  test('nonsenseSizesRefused', () => {
    for (const bad of [
      { ramBytes: -1 },
      { ramBytes: 0 },
      { ramBytes: 1.5 },
      { livePullReserveBytes: -5 },
    ])
      assert.throws(
        () => computeBudget(inputs(bad)),
        (error) => error instanceof BudgetInputError && error.code === 'BAD_INPUT',
      );
  });
});

test('tableShowsEveryTermLimitAndHeadroom', () => {
  const table = formatBudgetTable(
    computeBudget(
      inputs({ liveCopies: [{ label: 'registry', bytes: 25 * MiB }], ignitionArchiveBytes: 4096 }),
    ),
  );
  for (const needle of [
    'budget for a master, ISO boot, 16.00 GiB RAM',
    'initramfs tmpfs',
    'archive overlay.img, unpacked',
    'limit: 50% of 16.00 GiB RAM',
    'headroom',
    'copied to the live system: registry',
    'Ignition embed area',
    'within budget',
  ])
    assert.ok(table.includes(needle), `${needle} missing from:\n${table}`);
});
