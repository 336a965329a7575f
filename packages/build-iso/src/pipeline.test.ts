import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type DemoInputs, writeDemoInputs } from '@hostmirror/fixtures';
import { BuildIsoError } from './errors.ts';
import {
  type BuildMirrorIsoOptions,
  buildMirrorIso,
  readOnlyRegistryTree,
  sourceDateEpoch,
} from './pipeline.ts';

let work = '';
let inputs: DemoInputs;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hm-pipeline-'));
  inputs = await writeDemoInputs(join(work, 'inputs'), 1_700_000_000);
});

after(async () => {
  if (work !== '') await rm(work, { recursive: true, force: true });
});

function options(name: string, extra: Partial<BuildMirrorIsoOptions> = {}): BuildMirrorIsoOptions {
  return {
    iso: inputs.iso,
    installConfig: inputs.installConfig,
    agentConfig: inputs.agentConfig,
    mirror: [inputs.archive],
    output: join(work, `${name}.iso`),
    allowMissingRegistry: true,
    registryBinary: '/bin/busybox',
    compress: 'gzip',
    env: { SOURCE_DATE_EPOCH: '1700000000' },
    ...extra,
  };
}

describe('sourceDateEpoch', () => {
  it('is the whole seconds of SOURCE_DATE_EPOCH, undefined when unset, refused otherwise', () => {
    assert.equal(sourceDateEpoch({}), undefined);
    assert.equal(sourceDateEpoch({ SOURCE_DATE_EPOCH: '' }), undefined);
    assert.equal(sourceDateEpoch({ SOURCE_DATE_EPOCH: '1700000000' }), 1_700_000_000);
    for (const bad of ['-1', '1.5', 'now'])
      assert.throws(
        () => sourceDateEpoch({ SOURCE_DATE_EPOCH: bad }),
        (error: unknown) => error instanceof BuildIsoError && error.code === 'CONFIG_INVALID',
      );
  });
});

describe('buildMirrorIso steps', () => {
  it('run in order, each handing its result to the next, and the report carries them', async () => {
    const { report } = await buildMirrorIso(options('steps'));
    assert.deepEqual(Object.keys(report.timingsMs), [
      'configs',
      'iso',
      'archive index and mirror check',
      'input digests',
      'ignition',
      'overlay',
      'budget',
      'write iso',
      'companions',
    ]);
    // Steps 3–4 → 6: the release the mirror check proved is the one the boot plan serves.
    assert.equal(report.mirrorCheck.ok, true);
    assert.equal(report.bootPlan.settings.release?.digest, report.release.digest);
    // Step 5 → report: one digest per archive chunk, the registry program's.
    assert.deepEqual(
      report.inputs.archives.map(({ path }) => path),
      [inputs.archive],
    );
    assert.equal(report.registry.program, '/bin/busybox');
    // Step 6: the demo's config fits the embed area.
    assert.equal(report.ignition.carrier, 'embed-area');
    assert.ok(report.ignition.embedArchiveBytes > 0);
    // Step 7 → 8: the overlay the budget counts is the overlay that was built.
    const archiveTerm = report.budget[0]?.checks
      .find(({ id }) => id === 'initramfs-tmpfs')
      ?.terms.find(({ label }) => label.includes('hostmirror overlay'));
    assert.ok(archiveTerm !== undefined && archiveTerm.bytes > 0);
    assert.ok(report.overlay.entries.includes('/usr/lib/hostmirror/registry'));
    // Step 9: the ISO's digest from the writer's taps.
    assert.equal(report.outputs.iso?.path, join(work, 'steps.iso'));
  });

  it('writes nothing when a step before the ISO refuses (the budget on too little RAM)', async () => {
    const pxeDir = join(work, 'refused-pxe');
    await mkdir(pxeDir);
    await assert.rejects(
      buildMirrorIso(options('refused', { ramBytes: 2 * 1024 ** 3, pxeDir })),
      (error: unknown) => (error as { code?: string }).code === 'BUDGET_EXCEEDED',
    );
    const left = await readdir(work);
    assert.ok(!left.includes('refused.iso'), left.join(' '));
    assert.deepEqual(await readdir(pxeDir), []);
  });
});

describe('readOnlyRegistryTree', () => {
  it('counts each blob in whole tmpfs pages and a page for every other member, only in read-only mode', () => {
    const archive = {
      blobs: () => [{ size: 1 }, { size: 4097 }],
      chunks: [{ members: 3 }, { members: 2 }],
    };
    assert.equal(readOnlyRegistryTree('read-write', archive), null);
    assert.equal(readOnlyRegistryTree('read-only', archive)?.bytes, 4096 + 8192 + 3 * 4096);
  });
});
