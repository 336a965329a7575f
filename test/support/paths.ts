import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** coreos-installer's test fixtures, committed unchanged (provenance and license in its README). */
export const coreosInstallerFixtures = resolve(repoRoot, 'test', 'fixtures', 'coreos-installer');
/** Ignition's config schemas, committed unchanged beside their generator (README there). */
export const ignitionSchemasDir = resolve(repoRoot, 'packages', 'ignition-config-types', 'schemas');
