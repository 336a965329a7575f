/**
 * The live host's memory budget (docs/design.md#budget). Every limit is checked as "need ≤ have":
 *
 * 1. `ram-minimum`     the RAM is at least the agent flow's minimum for the role.
 * 2. `initramfs-tmpfs` everything the kernel unpacks (the base initrd, our archives, and the
 *                      squashfs root for PXE or `coreos.liveiso.fromram`) fits the initramfs
 *                      tmpfs, half of RAM.
 * 3. `unpack-peak`     while unpacking, the kernel also holds every initrd file as loaded
 *                      (freed only when unpacking ends): loaded files + unpacked contents ≤ RAM.
 * 4. `live-tmpfs`      what the boot sequence copies into the live system plus what the live host
 *                      pulls into `/var` fits the live `/etc`+`/var` tmpfs, half of RAM.
 * 5. `embed-area`      the Ignition archive fits the ISO's embed area (when one is given).
 *
 * The sums are upper bounds: a file that a later archive overrides is counted twice.
 */
import {
  type BootKind,
  type HostRole,
  ignitionEmbedAreaBytes,
  initramfsTmpfsShare,
  liveTmpfsShare,
  minimumRamBytes,
  ramSuggestionStepBytes,
} from './constants.ts';
import { BudgetInputError } from './errors.ts';
import { formatBytes, requireBytes } from './sizes.ts';

/** One initrd file (segment chain) as the budget sees it. */
export interface InitrdFootprint {
  /** A path or label, shown in the report. */
  name: string;
  /** The file's size as loaded into RAM by the boot loader (compressed for compressed segments). */
  fileBytes: number;
  /** What its files take once unpacked into a tmpfs (each regular file rounded up to a page). */
  unpackedBytes: number;
}

/** Something the boot sequence copies out of the initramfs into the live system's tmpfs. */
export interface LiveCopy {
  label: string;
  bytes: number;
}

export interface BudgetInputs {
  /** Which host this is, for the report (`node0 (rendezvous host)`, `other masters`); default none. */
  host?: string;
  /** The host's RAM in bytes. */
  ramBytes: number;
  /** Default `master`. */
  role?: HostRole;
  /** Default `iso`. */
  boot?: BootKind;
  /** `coreos.liveiso.fromram`: the ISO's rootfs.img is copied into the initramfs tmpfs. */
  fromRam?: boolean;
  /** The live initrd (`images/pxeboot/initrd.img`); absent: not counted, and the report says so. */
  baseInitrd?: InitrdFootprint;
  /**
   * The live root filesystem (`images/pxeboot/rootfs.img`): required for PXE (its squashfs sits
   * in the initramfs tmpfs) and for ISO with `fromRam` (the file is copied there).
   */
  rootfs?: InitrdFootprint;
  /** Our archives appended to (or placed beside) the live initrd. */
  archives?: InitrdFootprint[];
  /** What the boot sequence copies into the live `/etc`/`/var` tmpfs. */
  liveCopies?: LiveCopy[];
  /**
   * Room to keep in the live `/var` for what the live host pulls (node0: `node0LivePullReserveBytes`,
   * OCPBUGS-62790). Default 0.
   */
  livePullReserveBytes?: number;
  /** Holdings the caller knows it could not count (the report lists them and never says "within budget" alone). */
  notCounted?: string[];
  /** The Ignition archive to embed; absent: the embed-area check is left out. */
  ignitionArchiveBytes?: number;
  /** Default 262144 (`ignitionEmbedAreaBytes`); the ISO's `igninfo.json` length when it has one. */
  embedAreaBytes?: number;
}

export type BudgetCheckId =
  | 'ram-minimum'
  | 'initramfs-tmpfs'
  | 'unpack-peak'
  | 'live-tmpfs'
  | 'embed-area';

/** One summand of a check. `counted: false` means the input was not given (0 is assumed). */
export interface BudgetTerm {
  label: string;
  bytes: number;
  counted: boolean;
}

export interface BudgetCheck {
  id: BudgetCheckId;
  /** What is limited, e.g. `initramfs tmpfs`. */
  label: string;
  terms: BudgetTerm[];
  /** The sum of the terms. */
  needBytes: number;
  /** The limit. */
  haveBytes: number;
  /** How the limit is derived, e.g. `50% of 16.00 GiB RAM`. */
  limitSource: string;
  /** `haveBytes − needBytes`; negative when over. */
  headroomBytes: number;
  ok: boolean;
  /** What to change when the check fails. */
  fix: string;
}

export interface BudgetReport {
  /** The host this budget is for, when the caller named it. */
  host: string | null;
  ramBytes: number;
  role: HostRole;
  boot: BootKind;
  fromRam: boolean;
  checks: BudgetCheck[];
  /** Inputs that were not given and counted as 0. */
  notCounted: string[];
  ok: boolean;
}

function validate(inputs: BudgetInputs): void {
  requireBytes(inputs.ramBytes, 'RAM');
  if (inputs.ramBytes === 0) throw new BudgetInputError('BAD_INPUT', 'RAM: 0 bytes; give --ram.');
  const footprints = [inputs.baseInitrd, inputs.rootfs, ...(inputs.archives ?? [])];
  for (const footprint of footprints) {
    if (footprint === undefined) continue;
    requireBytes(footprint.fileBytes, `${footprint.name} file size`);
    requireBytes(footprint.unpackedBytes, `${footprint.name} unpacked size`);
  }
  for (const copy of inputs.liveCopies ?? []) requireBytes(copy.bytes, `live copy ${copy.label}`);
  requireBytes(inputs.livePullReserveBytes ?? 0, 'live pull reserve');
  requireBytes(inputs.ignitionArchiveBytes ?? 0, 'Ignition archive');
  requireBytes(inputs.embedAreaBytes ?? ignitionEmbedAreaBytes, 'embed area');
  const rootfsNeeded = inputs.boot === 'pxe' || inputs.fromRam === true;
  if (rootfsNeeded && inputs.rootfs === undefined)
    throw new BudgetInputError(
      'BAD_INPUT',
      `${inputs.boot === 'pxe' ? 'PXE boot' : 'coreos.liveiso.fromram'} keeps the live rootfs in RAM, ` +
        'so its size is needed: give the rootfs image (--rootfs images/pxeboot/rootfs.img).',
    );
}

/** The smallest whole-GiB RAM for which `need` fits `share` of it. */
function ramFor(needBytes: number, share: number): number {
  const bytes = Math.ceil(needBytes / share);
  return Math.ceil(bytes / ramSuggestionStepBytes) * ramSuggestionStepBytes;
}

function sum(terms: BudgetTerm[]): number {
  return terms.reduce((total, term) => total + term.bytes, 0);
}

function check(
  id: BudgetCheckId,
  label: string,
  terms: BudgetTerm[],
  haveBytes: number,
  limitSource: string,
  fix: (needBytes: number) => string,
): BudgetCheck {
  const needBytes = sum(terms);
  return {
    id,
    label,
    terms,
    needBytes,
    haveBytes,
    limitSource,
    headroomBytes: haveBytes - needBytes,
    ok: needBytes <= haveBytes,
    fix: fix(needBytes),
  };
}

function term(label: string, bytes: number | undefined): BudgetTerm {
  return { label, bytes: bytes ?? 0, counted: bytes !== undefined };
}

/** Terms of what sits unpacked in the initramfs tmpfs. */
function initramfsTerms(inputs: BudgetInputs, boot: BootKind, fromRam: boolean): BudgetTerm[] {
  const terms = [
    term(
      `base initrd ${inputs.baseInitrd?.name ?? '(not given)'}, unpacked`,
      inputs.baseInitrd?.unpackedBytes,
    ),
  ];
  for (const archive of inputs.archives ?? [])
    terms.push(term(`archive ${archive.name}, unpacked`, archive.unpackedBytes));
  if (boot === 'pxe' && inputs.rootfs !== undefined)
    terms.push(term(`rootfs ${inputs.rootfs.name}, unpacked (PXE)`, inputs.rootfs.unpackedBytes));
  else if (fromRam && inputs.rootfs !== undefined)
    terms.push(term(`rootfs ${inputs.rootfs.name}, copied (fromram)`, inputs.rootfs.fileBytes));
  return terms;
}

/** Terms of what the boot loader loaded: held in RAM until the kernel has unpacked it all. */
function loadedTerms(inputs: BudgetInputs, boot: BootKind): BudgetTerm[] {
  const terms = [
    term(
      `base initrd ${inputs.baseInitrd?.name ?? '(not given)'}, as loaded`,
      inputs.baseInitrd?.fileBytes,
    ),
  ];
  for (const archive of inputs.archives ?? [])
    terms.push(term(`archive ${archive.name}, as loaded`, archive.fileBytes));
  // PXE with the rootfs as a second initrd; with coreos.live.rootfs_url it is streamed instead.
  if (boot === 'pxe' && inputs.rootfs !== undefined)
    terms.push(
      term(`rootfs ${inputs.rootfs.name}, as loaded (PXE initrd)`, inputs.rootfs.fileBytes),
    );
  return terms;
}

function rootfsFix(boot: BootKind, fromRam: boolean): string {
  if (boot === 'pxe')
    return ', or fetch the rootfs with coreos.live.rootfs_url instead of an initrd';
  if (fromRam) return ', or boot without coreos.liveiso.fromram';
  return '';
}

/**
 * Compute every term, limit and headroom. Never throws for an exceeded limit (the report says
 * so: see `assertWithinBudget`); throws `BudgetInputError` for inputs that make no sense.
 */
export function computeBudget(inputs: BudgetInputs): BudgetReport {
  validate(inputs);
  const ram = inputs.ramBytes;
  const role = inputs.role ?? 'master';
  const boot = inputs.boot ?? 'iso';
  const fromRam = inputs.fromRam ?? false;
  const ramText = formatBytes(ram);
  const checks: BudgetCheck[] = [];

  checks.push(
    check(
      'ram-minimum',
      `RAM for a ${role}`,
      [
        term(
          `minimum for role ${role} (agent default_hw_requirements.json)`,
          minimumRamBytes[role],
        ),
      ],
      ram,
      'the host RAM (--ram)',
      (need) => `give the host at least ${formatBytes(need)} of RAM`,
    ),
  );

  const initramfs = initramfsTerms(inputs, boot, fromRam);
  checks.push(
    check(
      'initramfs-tmpfs',
      'initramfs tmpfs',
      initramfs,
      Math.floor(ram * initramfsTmpfsShare),
      `${initramfsTmpfsShare * 100}% of ${ramText} RAM`,
      (need) =>
        `give the host at least ${formatBytes(ramFor(need, initramfsTmpfsShare))} of RAM, or put ` +
        `less into the appended archives (their unpacked size counts, not the compressed one)${rootfsFix(boot, fromRam)}`,
    ),
  );

  checks.push(
    check(
      'unpack-peak',
      'RAM while unpacking the initrds',
      [...loadedTerms(inputs, boot), ...initramfs],
      ram,
      `${ramText} RAM`,
      (need) =>
        `give the host at least ${formatBytes(ramFor(need, 1))} of RAM, or make the archives smaller${rootfsFix(boot, fromRam)}`,
    ),
  );

  const live = (inputs.liveCopies ?? []).map((copy) =>
    term(`copied to the live system: ${copy.label}`, copy.bytes),
  );
  if ((inputs.livePullReserveBytes ?? 0) > 0)
    live.push(
      term(
        'node0 day-1 bootstrap in /var (OCPBUGS-62790 peak less the ostree checkout)',
        inputs.livePullReserveBytes ?? 0,
      ),
    );
  checks.push(
    check(
      'live-tmpfs',
      'live /etc + /var tmpfs',
      live,
      Math.floor(ram * liveTmpfsShare),
      `${liveTmpfsShare * 100}% of ${ramText} RAM (/run/ephemeral_base size=50%)`,
      (need) =>
        `give the host at least ${formatBytes(ramFor(need, liveTmpfsShare))} of RAM, or copy less ` +
        'into the live system (serve from the mirror volume instead of copying)',
    ),
  );

  if (inputs.ignitionArchiveBytes !== undefined) {
    const area = inputs.embedAreaBytes ?? ignitionEmbedAreaBytes;
    checks.push(
      check(
        'embed-area',
        'Ignition embed area',
        [term('compressed Ignition archive', inputs.ignitionArchiveBytes)],
        area,
        `images/ignition.img (${area} bytes)`,
        () =>
          'move large files out of the Ignition config into an archive appended to the initrd ' +
          '(hostmirror iso append-initrd) and reference them by path',
      ),
    );
  }

  const notCounted: string[] = [...(inputs.notCounted ?? [])];
  if (inputs.baseInitrd === undefined)
    notCounted.push('the base initrd (give --initrd, or the ISO it comes from)');
  return {
    host: inputs.host ?? null,
    ramBytes: ram,
    role,
    boot,
    fromRam,
    checks,
    notCounted,
    ok: checks.every((c) => c.ok),
  };
}
