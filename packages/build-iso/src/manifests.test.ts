import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { type BootAssets, planBootSequence } from '@hostmirror/boot-sequence';
import { writeMirrorToDiskArchive } from '@hostmirror/fixtures';
import { MirrorArchive } from '@hostmirror/oc-mirror-archive';
import { parse } from 'yaml';
import { hostMirrorRules } from './install-config.ts';
import { clusterManifests } from './manifests.ts';

const PEM = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';

test('a mirror-to-disk archive: the cluster gets the IDMS/ITMS generated from its records, mirroring exactly what the hosts mirror', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hm-manifests-'));
  try {
    const archive = await MirrorArchive.open([await writeMirrorToDiskArchive(dir)]);
    const plan = planBootSequence({ mode: 'every-node', topology: 'sno' });
    const host = `${plan.settings.registryName}:${plan.settings.registryPort}`;
    const mirrored = await hostMirrorRules(archive, host);
    assert.equal(mirrored.mirror.generated, true, 'the fixture carries no cluster resources');
    const assets: BootAssets = {
      archives: [{ name: 'mirror_000001.tar', sha256: '0'.repeat(64) }],
      registriesConf: '',
      registryConfig: '',
      caCertificate: PEM,
      tls: { certificate: PEM, key: '' },
    };
    const files = clusterManifests(plan, assets, archive, mirrored.mirror.resources);
    const documents = files
      .map((file) => ({ name: file.name, document: parse(file.text, { version: '1.1' }) }))
      .filter(({ document }) => /^Image(Digest|Tag)MirrorSet$/.test(document.kind));
    // The one generator's sets (oc-mirror's names and annotation), moved to the hosts' registry.
    assert.deepEqual(
      documents.map(({ name }) => name),
      [
        '99-hostmirror-imagedigestmirrorset-idms-generic-0.yaml',
        '99-hostmirror-imagedigestmirrorset-idms-operator-0.yaml',
        '99-hostmirror-imagedigestmirrorset-idms-release-0.yaml',
        '99-hostmirror-imagetagmirrorset-itms-generic-0.yaml',
      ],
    );
    for (const { name, document } of documents)
      assert.match(document.metadata.annotations.createdBy, /from the archive records/, name);
    // Each (set kind, source, mirror) of the manifests is one the live hosts' rules have, and
    // the other way round: digest-only → IDMS, tag-only → ITMS, all → both.
    const inManifests = documents
      .flatMap(({ document }) =>
        (document.spec.imageDigestMirrors ?? document.spec.imageTagMirrors).flatMap(
          (entry: { source: string; mirrors: string[] }) =>
            entry.mirrors.map((mirror) => `${document.kind} ${entry.source} ${mirror}`),
        ),
      )
      .sort();
    const inRules = mirrored.rules
      .flatMap((rule) =>
        rule.mirrors.flatMap((mirror) =>
          (mirror.pullFromMirror === 'all'
            ? ['ImageDigestMirrorSet', 'ImageTagMirrorSet']
            : mirror.pullFromMirror === 'digest-only'
              ? ['ImageDigestMirrorSet']
              : ['ImageTagMirrorSet']
          ).map((kind) => `${kind} ${rule.source} ${mirror.location}`),
        ),
      )
      .sort();
    assert.deepEqual(inManifests, inRules);
    assert.ok(inRules.length >= 3, inRules.join('\n'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
