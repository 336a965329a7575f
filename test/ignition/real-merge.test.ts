/**
 * Merge cross-check with the real Ignition: each merge conformance case that needs no network
 * is turned into a 3.3.0 parent referencing its child through a data URL, and Ignition's
 * fetch-offline stage writes the merged config to its cache (docs/ignition.md#real-binaries). That
 * config, with empty members removed, must equal our merge.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  encodeDataUrl,
  type IgnitionConfig,
  mergeSameSpec,
  serializeConfig,
} from '../../packages/ignition/src/index.ts';
import { loadMergeCases, type MergeCase } from './conformance.ts';
import { ignitionBinaryPath, requireIgnitionPackage, run } from './ignition-binaries.ts';

/** Cases whose parent references a remote config: the offline stage cannot fetch them. */
const needsNetwork = (testCase: MergeCase) =>
  (testCase.parent.ignition.config?.merge ?? []).some((r) => !(r.source ?? '').startsWith('data:'));

/** Go's output keeps empty structs and omits what is unset; compare without empties. */
function withoutEmpties(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEmpties);
  if (typeof value !== 'object' || value === null) return value;
  const result: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    const cleaned = withoutEmpties(member);
    const empty =
      cleaned === null ||
      (Array.isArray(cleaned) && cleaned.length === 0) ||
      (typeof cleaned === 'object' && cleaned !== null && Object.keys(cleaned).length === 0);
    if (!empty) result[key] = cleaned;
  }
  return result;
}

function withoutIgnitionSection(config: unknown): unknown {
  const { ignition: _ignition, ...rest } = config as { ignition: unknown };
  return withoutEmpties(rest);
}

let folder = '';
before(async () => {
  await requireIgnitionPackage();
  folder = await mkdtemp(join(tmpdir(), 'hostmirror-ignition-merge-'));
});
after(async () => {
  if (folder !== '') await rm(folder, { recursive: true, force: true });
});

const cases = loadMergeCases();

test('the offline stage judges most merge cases', () => {
  const offline = cases.filter((testCase) => !needsNetwork(testCase)).length;
  assert.ok(offline >= 10, `only ${offline} of ${cases.length} merge cases run offline`);
});

for (const [index, testCase] of cases.entries()) {
  if (needsNetwork(testCase)) continue;
  test(`Ignition merges like mergeSameSpec: ${testCase.name}`, async () => {
    const as33 = (config: IgnitionConfig): IgnitionConfig => ({
      ...structuredClone(config),
      ignition: { ...config.ignition, version: '3.3.0' },
    });
    const child = as33(testCase.child);
    const parent = as33(testCase.parent);
    const referencing: IgnitionConfig = {
      ...parent,
      ignition: {
        ...parent.ignition,
        config: {
          merge: [{ source: encodeDataUrl(serializeConfig(child), { compress: 'never' }).source }],
        },
      },
    };
    const configPath = join(folder, `parent-${index}.ign`);
    const cachePath = join(folder, `cache-${index}.json`);
    await writeFile(configPath, serializeConfig(referencing));
    const result = await run(
      ignitionBinaryPath,
      [
        '-platform',
        'file',
        '-stage',
        'fetch-offline',
        '-config-cache',
        cachePath,
        '-state-file',
        join(folder, `state-${index}`),
        '-neednet',
        join(folder, `neednet-${index}`),
        '-log-to-stdout',
      ],
      { env: { ...process.env, IGNITION_CONFIG_FILE: configPath } },
    );
    assert.equal(result.code, 0, `fetch-offline failed:\n${result.stdout}${result.stderr}`);
    const fromIgnition = JSON.parse(await readFile(cachePath, 'utf8')) as unknown;
    assert.deepEqual(
      withoutIgnitionSection(fromIgnition),
      withoutIgnitionSection(mergeSameSpec(parent, child)),
    );
    assert.deepEqual(withoutIgnitionSection(fromIgnition), withoutIgnitionSection(testCase.result));
  });
}
