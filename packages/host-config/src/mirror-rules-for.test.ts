import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { m2dStale as stale, m2dUbi as ubi, writeMirrorToDiskArchive } from '@hostmirror/fixtures';
import { describeMissing, judgeCompleteness, MirrorArchive } from '@hostmirror/oc-mirror-archive';
import { mirrorRulesFor } from './registries-conf-writer.ts';

const work = mkdtempSync(join(tmpdir(), 'hostmirror-rules-for-'));
after(() => rmSync(work, { recursive: true, force: true }));

async function archive(name: string, omit: string[] = []): Promise<MirrorArchive> {
  return MirrorArchive.open([await writeMirrorToDiskArchive(join(work, name), omit)]);
}

describe('mirrorRulesFor', () => {
  it('anArchiveWithoutIdmsGetsTheRulesItsRecordsGive', async () => {
    const { rules, sourceOf } = await mirrorRulesFor(await archive('rules'), 'mirror.local:5000', {
      neverContactSource: true,
    });
    assert.deepEqual(
      rules.map((rule) => [
        rule.source,
        rule.blocked,
        rule.mirrors.map((m) => `${m.location} ${m.pullFromMirror}`),
      ]),
      [
        [
          'quay.io/openshift-release-dev/ocp-release',
          true,
          ['mirror.local:5000/openshift/release-images digest-only'],
        ],
        [
          'quay.io/openshift-release-dev/ocp-v4.0-art-dev',
          true,
          ['mirror.local:5000/openshift/release digest-only'],
        ],
        // The bundle and related image its catalog lists (operator category, by digest).
        ['registry.example.com/foo', true, ['mirror.local:5000/foo digest-only']],
        // ubi (by tag: ITMS) and ubi-minimal (by digest: IDMS) share the namespace scope.
        ['registry.redhat.io/ubi9', true, ['mirror.local:5000/ubi9 all']],
      ],
    );
    assert.equal(sourceOf('openshift/release-images'), 'quay.io/openshift-release-dev/ocp-release');
    assert.equal(sourceOf('ubi9/ubi-minimal'), 'registry.redhat.io/ubi9/ubi-minimal');
    assert.equal(sourceOf('foo/foo-rhel9'), 'registry.example.com/foo/foo-rhel9');
    assert.equal(sourceOf('old/thing'), undefined);
  });

  it('aStaleCacheRepositoryIsNamedNotFatal', async () => {
    const opened = await archive('stale');
    const { needs } = await mirrorRulesFor(opened, 'mirror.local:5000', {
      neverContactSource: true,
    });
    const verdict = await judgeCompleteness(opened, needs);
    assert.equal(verdict.complete, true);
    assert.deepEqual(verdict.missing, []);
    assert.deepEqual(verdict.stale, [
      { repository: 'old/thing', missing: [stale.layers[0]?.digest] },
    ]);
  });

  it('aMissingBlobOfANeededImageIsRefusedNamingRepositoryAndBlob', async () => {
    const gone = ubi.layers[0]?.digest ?? '';
    const opened = await archive('missing', [gone]);
    const { needs } = await mirrorRulesFor(opened, 'mirror.local:5000', {
      neverContactSource: true,
    });
    const verdict = await judgeCompleteness(opened, needs);
    assert.equal(verdict.complete, false);
    assert.deepEqual(
      verdict.missing.map((item) => [item.repository, item.blob, item.role]),
      [['ubi9/ubi', gone, 'layer']],
    );
    assert.match(
      describeMissing(verdict.missing),
      new RegExp(`ubi9/ubi: blob ${gone}.*Fix: give every archive`),
    );
  });

  it('aManifestLinkedFromAStaleAndANeededRepositoryIsJudgedForTheNeededOne', async () => {
    // old/thing sorts first, so checkCompleteness names it for a manifest both link.
    const gone = ubi.layers[0]?.digest ?? '';
    const shared = { ...ubi, repository: 'old/thing', tag: 'copy' };
    const dir = join(work, 'shared');
    const path = await writeMirrorToDiskArchive(dir, [gone], [shared]);
    const opened = await MirrorArchive.open([path]);
    const { needs } = await mirrorRulesFor(opened, 'mirror.local:5000', {
      neverContactSource: true,
    });
    const verdict = await judgeCompleteness(opened, needs);
    assert.equal(verdict.complete, false);
    assert.deepEqual(
      verdict.missing.map((item) => [item.repository, item.blob]),
      [['ubi9/ubi', gone]],
    );
    assert.ok(verdict.stale.some((item) => item.repository === 'old/thing'));
  });
});
