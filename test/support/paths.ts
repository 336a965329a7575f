import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The shared folder beside the repository (`../shared`): DESIGN.md, research, upstream
 * fixtures and Ignition schemas. Tests read from it and never copy it into the project.
 */
export const sharedDir = resolve(repoRoot, '..', 'shared');

export const coreosInstallerFixtures = resolve(sharedDir, 'fixtures', 'coreos-installer');
export const ignitionSchemasDir = resolve(sharedDir, 'ignition-schemas');
