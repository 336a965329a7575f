import { BudgetInputError } from './errors.ts';

/**
 * Byte multipliers by unit: binary (KiB, MiB, GiB, TiB; also the K/M/G/T shorthand of
 * `qemu -m` and Kubernetes `Gi`) and decimal (kB, MB, GB, TB, as the OpenShift docs write
 * RAM and OCPBUGS-62790 writes "9GB").
 */
const unitBytes: Readonly<Record<string, number>> = {
  '': 1,
  b: 1,
  k: 1024,
  kib: 1024,
  ki: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  mi: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  gi: 1024 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  ti: 1024 ** 4,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
};

const sizePattern = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i;

/**
 * Parse a size such as `16GiB`, `16G`, `9GB`, `512MiB` or `1048576` into bytes (whole bytes,
 * rounded down). `what` names the value in the error, e.g. `--ram`.
 */
export function parseSize(text: string, what: string): number {
  const match = sizePattern.exec(text);
  const unit = match?.[2]?.toLowerCase() ?? '';
  const multiplier = unitBytes[unit];
  if (match?.[1] === undefined || multiplier === undefined)
    throw new BudgetInputError(
      'BAD_SIZE',
      `${what}: '${text}' is not a size; write a number with an optional unit such as 16GiB, 512MiB or 9GB.`,
    );
  return Math.floor(Number(match[1]) * multiplier);
}

/** `value` as a byte count (a safe whole number ≥ 0), else BAD_INPUT naming `what` and the value. */
export function requireBytes(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new BudgetInputError(
      'BAD_INPUT',
      `${what}: ${value} is not a byte count; give a whole number ≥ 0.`,
    );
  return value;
}

/** Bytes as a short binary-unit figure: `8.00 GiB`, `262144 B` below 1 KiB… */
export function formatBytes(bytes: number): string {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  if (Math.abs(bytes) < 1024) return `${bytes} B`;
  let value = bytes;
  let unit = 'B';
  for (const next of units) {
    if (Math.abs(value) < 1024) break;
    value /= 1024;
    unit = next;
  }
  return `${value.toFixed(2)} ${unit}`;
}
