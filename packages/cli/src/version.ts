import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
}

/**
 * The package.json of every `@hostmirror/*` package in the `hostmirror` CLI bundle, by name, as
 * tools/bundle-cli.ts embeds them (esbuild `define`): the bundle runs on the copies it carries,
 * whatever else is installed. Absent when running from `src/` (tsx) or `dist/`.
 */
interface BundledPackages {
  HOSTMIRROR_BUNDLED_PACKAGES?: Readonly<Record<string, PackageJson>>;
}
const bundled = (globalThis as BundledPackages).HOSTMIRROR_BUNDLED_PACKAGES;

function readPackageJson(url: URL | string): PackageJson {
  return JSON.parse(readFileSync(url, 'utf8')) as PackageJson;
}

/** @hostmirror/cli's package.json: one level above `src/` and `dist/` alike. */
const cliPackage =
  bundled?.['@hostmirror/cli'] ?? readPackageJson(new URL('../package.json', import.meta.url));

/** The version of hostmirror (all packages are released together under one version). */
export const toolVersion: string = cliPackage.version;

/**
 * The version of the shape of every JSON object the CLI prints (`--json`), beside `toolVersion`.
 * Raised when a field is removed or changes meaning; fields may be added within a version.
 * build-iso's report has its own, with a JSON Schema: `@hostmirror/build-iso/report.schema.json`.
 */
export const JSON_SCHEMA_VERSION = 1;

/**
 * The fields every JSON object the CLI prints starts with: which verb, which hostmirror, which
 * shape. A value that names its own (build-iso's report) keeps them.
 */
export function withToolFields(tool: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return { tool, toolVersion, schemaVersion: JSON_SCHEMA_VERSION, ...value };
}

/**
 * Every @hostmirror package the CLI runs on, with its version: the copy in the bundle, or (from
 * `src/` and `dist/`) the one installed.
 */
export function hostmirrorPackages(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const packages: Record<string, string> = { [cliPackage.name]: cliPackage.version };
  for (const name of Object.keys(cliPackage.dependencies ?? {}).sort()) {
    if (!name.startsWith('@hostmirror/')) continue;
    packages[name] =
      bundled?.[name]?.version ?? readPackageJson(require.resolve(`${name}/package.json`)).version;
  }
  return packages;
}
