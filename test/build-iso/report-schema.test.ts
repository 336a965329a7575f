/**
 * report.json is described by `@hostmirror/build-iso/report.schema.json`, published with the
 * package: a real build's report (returned, written with --report, printed by `--json`)
 * validates, and the schema refuses what a consumer must be able to rely on not happening.
 */
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { buildIsoVersion, buildMirrorIso, REPORT_SCHEMA_VERSION } from '@hostmirror/build-iso';
import { Ajv } from 'ajv';
import { demoInputs, optionsFor } from './support.ts';

const require = createRequire(import.meta.url);
const schemaPath = require.resolve('@hostmirror/build-iso/report.schema.json');
let work: string;
let inputs: Awaited<ReturnType<typeof demoInputs>>['inputs'];

before(async () => {
  ({ work, inputs } = await demoInputs('report-schema'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function validator() {
  const schema = JSON.parse(await readFile(schemaPath, 'utf8'));
  return new Ajv({ allErrors: true, strict: true, strictRequired: false }).compile(schema);
}

test('a real build report validates against the published report.schema.json, and the schema can refuse', async () => {
  const manifest = JSON.parse(
    await readFile(require.resolve('@hostmirror/build-iso/package.json'), 'utf8'),
  );
  assert.ok(manifest.files.includes('report.schema.json'), 'published with the package');
  const validate = await validator();
  const reportPath = join(work, 'report.json');
  const { report } = await buildMirrorIso(
    optionsFor(inputs, join(work, 'out.iso'), { report: reportPath, pxeDir: join(work, 'pxe') }),
  );
  assert.ok(report.outputs['pxe-kernel'], '--pxe-dir is created like --manifests-dir');
  assert.equal(report.toolVersion, manifest.version);
  assert.equal(report.toolVersion, buildIsoVersion);
  assert.equal(report.schemaVersion, REPORT_SCHEMA_VERSION);
  const written = JSON.parse(await readFile(reportPath, 'utf8'));
  for (const candidate of [report, written])
    assert.ok(validate(candidate), JSON.stringify(validate.errors, null, 2));

  const refused = (change: (copy: Record<string, unknown>) => void) => {
    const copy = structuredClone(written);
    change(copy);
    return !validate(copy);
  };
  assert.ok(
    refused((copy) => delete copy.toolVersion),
    'no toolVersion',
  );
  assert.ok(
    refused((copy) => Object.assign(copy, { schemaVersion: 2 })),
    'other schema',
  );
  assert.ok(
    refused((copy) => Object.assign(copy, { surprise: 1 })),
    'unknown top-level field',
  );
  assert.ok(
    refused((copy) => delete copy.outputs),
    'a successful report without outputs',
  );
  assert.ok(
    refused((copy) => Object.assign(copy.inputs as object, { iso: { path: 'x', size: 1 } })),
    'an input without its digest',
  );
});

test('a failed build writes a report with ok: false and the error, which validates too', async () => {
  const validate = await validator();
  const reportPath = join(work, 'failed-report.json');
  const missing = join(work, 'no-such-registry');
  await assert.rejects(
    buildMirrorIso(
      optionsFor(inputs, join(work, 'failed.iso'), {
        report: reportPath,
        registryBinary: missing,
      }),
    ),
    (error: { code?: string }) => {
      assert.equal(typeof error.code, 'string');
      return true;
    },
  );
  const failed = JSON.parse(await readFile(reportPath, 'utf8')) as Record<string, unknown>;
  assert.equal(failed.ok, false);
  assert.equal(failed.tool, 'hostmirror build-iso');
  assert.match((failed.error as { message: string }).message, /no-such-registry/);
  assert.ok(validate(failed), JSON.stringify(validate.errors, null, 2));
  assert.ok(!validate({ ...failed, error: undefined }), 'a failed report names its error');
  await assert.rejects(readFile(join(work, 'failed.iso')), { code: 'ENOENT' });
});
