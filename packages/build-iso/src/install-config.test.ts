import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { writeMirrorToDiskArchive } from '@hostmirror/fixtures';
import type { MirrorRule } from '@hostmirror/host-config';
import { MirrorArchive } from '@hostmirror/oc-mirror-archive';
import { parse } from 'yaml';
import { checkDigestSources, hostMirrorRules, installConfigWithMirror } from './install-config.ts';

const HOST = 'registry.hostmirror.internal:5000';
const RELEASE = 'quay.io/openshift-release-dev/ocp-release';
const ART = 'quay.io/openshift-release-dev/ocp-v4.0-art-dev';
const rules: MirrorRule[] = [
  {
    source: RELEASE,
    mirrors: [{ location: `${HOST}/openshift/release-images`, pullFromMirror: 'digest-only' }],
    blocked: true,
  },
  {
    source: ART,
    mirrors: [{ location: `${HOST}/openshift/release`, pullFromMirror: 'digest-only' }],
    blocked: true,
  },
  {
    source: 'registry.redhat.io/ubi9',
    mirrors: [{ location: `${HOST}/ubi9`, pullFromMirror: 'tag-only' }],
    blocked: false,
  },
];
const CA = '-----BEGIN CERTIFICATE-----\nMIIBhostmirror\n-----END CERTIFICATE-----\n';

const INSTALL_CONFIG = `# my cluster
apiVersion: v1
baseDomain: example.com # the DNS domain
metadata:
  name: sno
imageDigestSources:
  # the corporate mirror, kept
  - source: registry.example.com/app
    mirrors:
      - corp.example.com/app
  - source: ${RELEASE}
    mirrors:
      - corp.example.com/ocp/release
additionalTrustBundle: |
  -----BEGIN CERTIFICATE-----
  MIIBuser
  -----END CERTIFICATE-----
pullSecret: '{"auths":{}}'
`;

describe('hostmirror install-config (installConfigWithMirror)', () => {
  test('merges imageDigestSources and the CA, keeping comments, order and the user’s entries', () => {
    const { text, changes } = installConfigWithMirror(INSTALL_CONFIG, 'install-config.yaml', {
      rules,
      caPem: CA,
    });
    for (const comment of ['# my cluster', '# the DNS domain', '# the corporate mirror, kept'])
      assert.ok(text.includes(comment), `${comment} kept:\n${text}`);
    const keys = Object.keys(parse(text));
    assert.deepEqual(keys, [
      'apiVersion',
      'baseDomain',
      'metadata',
      'imageDigestSources',
      'additionalTrustBundle',
      'pullSecret',
    ]);
    const config = parse(text);
    assert.deepEqual(config.imageDigestSources, [
      { source: 'registry.example.com/app', mirrors: ['corp.example.com/app'] },
      {
        source: RELEASE,
        mirrors: [`${HOST}/openshift/release-images`, 'corp.example.com/ocp/release'],
      },
      { source: ART, mirrors: [`${HOST}/openshift/release`] },
    ]);
    assert.equal(
      config.additionalTrustBundle,
      `-----BEGIN CERTIFICATE-----\nMIIBuser\n-----END CERTIFICATE-----\n${CA}`,
    );
    assert.equal(changes.length, 3, changes.join('\n'));
    // A second run changes nothing.
    const again = installConfigWithMirror(text, 'install-config.yaml', { rules, caPem: CA });
    assert.deepEqual(again.changes, []);
    assert.equal(again.text, text);
  });

  test('moves a deprecated imageContentSources list into imageDigestSources', () => {
    const legacy = `apiVersion: v1\nimageContentSources:\n- source: ${ART}\n  mirrors:\n  - corp.example.com/art\n`;
    const { text } = installConfigWithMirror(legacy, 'ic.yaml', { rules });
    const config = parse(text);
    assert.equal(config.imageContentSources, undefined);
    assert.deepEqual(config.imageDigestSources[0], {
      source: ART,
      mirrors: [`${HOST}/openshift/release`, 'corp.example.com/art'],
    });
    assert.equal(config.additionalTrustBundle, undefined, 'no --ca, no bundle');
  });
});

describe('build-iso’s check of install-config imageDigestSources', () => {
  const options = {
    host: HOST,
    repositories: ['openshift/release-images', 'openshift/release', 'ubi9'],
    rules,
    file: 'install-config.yaml',
    archive: 'mirror_000001.tar',
  };

  test('refuses a mirror under the hosts’ registry that the archive does not hold, naming the entry and the fix', () => {
    assert.throws(
      () => checkDigestSources([{ source: RELEASE, mirrors: [`${HOST}/ocp-release`] }], options),
      (error: Error & { code?: string; jsonPath?: string; path?: string; subject?: string }) =>
        error.code === 'INSTALL_CONFIG_MIRROR_INVALID' &&
        error.jsonPath === '$.imageDigestSources.0.mirrors.0' &&
        error.path === 'install-config.yaml' &&
        error.subject === `${HOST}/ocp-release` &&
        error.message.includes('imageDigestSources[0].mirrors[0]') &&
        error.message.includes(`${HOST}/ocp-release`) &&
        error.message.includes('hostmirror install-config'),
    );
  });

  test('refuses a source the archive mirrors that the entry sends elsewhere', () => {
    assert.throws(
      () => checkDigestSources([{ source: ART, mirrors: ['corp.example.com/art'] }], options),
      { code: 'INSTALL_CONFIG_MIRROR_INVALID', message: /imageDigestSources\[0\] sends/ },
    );
  });

  test('accepts what install-config writes, and the user’s own entries; warns when there are none', () => {
    const written = parse(
      installConfigWithMirror('apiVersion: v1\n', 'x', { rules }).text,
    ).imageDigestSources;
    assert.deepEqual(
      checkDigestSources(
        [...written, { source: 'registry.example.com/app', mirrors: ['corp.example.com/app'] }],
        options,
      ),
      [],
    );
    assert.match(checkDigestSources([], options).join(''), /no imageDigestSources/);
  });
});

test('hostMirrorRules: the rules a mirror-to-disk archive records; a repository pulled by tag gets a mirror for tags', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'hm-host-rules-'));
  try {
    const archive = await MirrorArchive.open([await writeMirrorToDiskArchive(dir)]);
    const digestOnly = await hostMirrorRules(archive, HOST);
    const describe = (rules: typeof digestOnly.rules) =>
      rules.map(
        (rule) =>
          `${rule.source} ${rule.mirrors[0]?.location} ${rule.mirrors[0]?.pullFromMirror} ${rule.blocked}`,
      );
    assert.deepEqual(describe(digestOnly.rules), [
      `${RELEASE} ${HOST}/openshift/release-images digest-only true`,
      `${ART} ${HOST}/openshift/release digest-only true`,
      // The operator bundle and its related image, from the archive's catalog.
      `registry.example.com/foo ${HOST}/foo digest-only true`,
      `registry.redhat.io/ubi9 ${HOST}/ubi9 all true`,
    ]);
    const tagged = await hostMirrorRules(archive, HOST, { tagRepositories: [RELEASE] });
    assert.deepEqual(
      tagged.rules.map((rule) => rule.mirrors[0]?.pullFromMirror),
      ['all', 'digest-only', 'digest-only', 'all'],
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
