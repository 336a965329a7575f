import { readFileSync } from 'node:fs';

/**
 * The version of report.json's shape, described by `report.schema.json` beside this package's
 * package.json (exported as `@hostmirror/build-iso/report.schema.json`). Raised when a field is
 * removed or changes meaning; fields may be added within a version.
 */
export const REPORT_SCHEMA_VERSION = 1;

/**
 * The package.json fields of every bundled `@hostmirror/*` package, as the `hostmirror` CLI bundle
 * carries them (tools/bundle-cli.ts, esbuild `define`): a bundle has no package.json beside its
 * modules. Absent when running from `src/` (tsx) or `dist/`.
 */
interface BundledPackages {
  HOSTMIRROR_BUNDLED_PACKAGES?: Readonly<Record<string, { version: string }>>;
}

/**
 * This package's version, from its package.json (one level above `src/` and `dist/` alike).
 * All hostmirror packages are released together under one version, so this is the tool's.
 */
export const buildIsoVersion: string =
  (globalThis as BundledPackages).HOSTMIRROR_BUNDLED_PACKAGES?.['@hostmirror/build-iso']?.version ??
  (
    JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    }
  ).version;
