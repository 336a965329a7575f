/**
 * Our containers/image resolver against the real one: for every case, the sources
 * `skopeo --debug inspect --no-tags` tries ("Trying to access …", Debian 12's skopeo 1.9.3 /
 * c/image 5.23) against a docker-registry on loopback in a private network namespace must be
 * what `resolvePullSources` lists: the same first attempt, the same order, and the same
 * sources refused as blocked. skopeo stops at the first source that serves the image (one image
 * is present, at localhost:5000/present/app); otherwise it tries them all.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { requireTool, runOk } from '@hostmirror/fixtures';
import {
  loadRegistriesConf,
  type RegistriesConf,
  resolvePullSources,
} from '@hostmirror/host-config';
import { OciLayout } from './oci-layout.ts';

const here = dirname(fileURLToPath(import.meta.url));
const M = 'localhost:5000';
const D = `sha256:${'5d'.repeat(32)}`;

const confs: Record<string, string> = {
  idms: `
[[registry]]
prefix = ""
location = "quay.io/openshift-release-dev/ocp-release"
blocked = true
[[registry.mirror]]
location = "localhost:5999/closed/release-images"
insecure = true
pull-from-mirror = "digest-only"
[[registry.mirror]]
location = "${M}/openshift/release-images"
insecure = true
pull-from-mirror = "digest-only"
[[registry.mirror]]
location = "${M}/tags/release-images"
insecure = true
pull-from-mirror = "tag-only"

[[registry]]
prefix = ""
location = "quay.io/openshift-release-dev/ocp-v4.0-art-dev"
mirror-by-digest-only = true
[[registry.mirror]]
location = "${M}/openshift/release"
insecure = true

[[registry]]
location = "quay.io"
blocked = true

[[registry]]
prefix = "*.example.com"
location = ""
blocked = true

[[registry]]
prefix = "registry.example.com/team"
location = "${M}/team"
insecure = true

[[registry]]
prefix = "docker.io/library"
location = "docker.io/library"
[[registry.mirror]]
location = "${M}/hub"
insecure = true
[[registry.mirror]]
location = "quay.io/blocked-mirror"

[[registry]]
location = "ghcr.io/org/app"
[[registry.mirror]]
location = "${M}/present/app"
insecure = true

[[registry]]
prefix = "quay.io/foo"
location = "${M}/bar"
insecure = true
blocked = true
`,
  ties: `
[[registry]]
prefix = "a.example.com"
location = "${M}/literal"
insecure = true

[[registry]]
prefix = "*.example.com"
location = "${M}/wild"
insecure = true

[[registry]]
location = "example.com"
blocked = true

[[registry]]
location = "reg.local/ns"
[[registry.mirror]]
location = "${M}/m1"
insecure = true
[[registry.mirror]]
location = "${M}/m2"
insecure = true
pull-from-mirror = "tag-only"
[[registry.mirror]]
location = "${M}/m3"
insecure = true
pull-from-mirror = "digest-only"
`,
  quirks: `
[[registry]]
location = "quay.io/dup"
[[registry.mirror]]
location = "${M}/first"
insecure = true

[[registry]]
location = "quay.io/dup"
[[registry.mirror]]
location = "${M}/second"
insecure = true

[[registry]]
location = "quay.io/typo"
mirror-by-digest = true
[[registry.mirror]]
location = "${M}/typo"
insecure = true

[[registry]]
prefix = "mirror.example.net"
location = "${M}/rewritten"
insecure = true
[[registry.mirror]]
location = "${M}/present"
insecure = true
`,
};

const cases: [keyof typeof confs, string][] = [
  ['idms', `quay.io/openshift-release-dev/ocp-release@${D}`],
  ['idms', 'quay.io/openshift-release-dev/ocp-release:4.14.3-x86_64'],
  ['idms', `quay.io/openshift-release-dev/ocp-release/nested/deeper@${D}`],
  ['idms', 'quay.io/openshift-release-dev/ocp-release-extra:1'],
  ['idms', `quay.io/openshift-release-dev/ocp-v4.0-art-dev@${D}`],
  ['idms', 'quay.io/openshift-release-dev/ocp-v4.0-art-dev:4.14.3-etcd'],
  ['idms', 'quay.io/openshift-release-dev/other:1'],
  ['idms', `quay.io/unrelated/app@${D}`],
  ['idms', 'a.example.com/x:1'],
  ['idms', 'a.b.example.com/x/y:1'],
  ['idms', 'example.com/x:1'],
  ['idms', 'registry.example.com/team/app:2'],
  ['idms', `registry.example.com/team/deep/app@${D}`],
  ['idms', 'registry.example.com/other/app:2'],
  ['idms', 'busybox'],
  ['idms', 'docker.io/library/alpine:3'],
  ['idms', 'docker.io/someone/app:1'],
  ['idms', 'ghcr.io/org/app:v1'],
  ['idms', 'ghcr.io/org/app:v2'],
  ['idms', 'ghcr.io/org/application:v1'],
  ['idms', 'quay.io/foo/x:1'],
  ['idms', `quay.io/foo/x/y@${D}`],
  ['ties', 'a.example.com/y:1'],
  ['ties', 'b.example.com/y:1'],
  ['ties', 'b.a.example.com/y:1'],
  ['ties', 'example.com:5000/x:1'],
  ['ties', 'example.community/x:1'],
  ['ties', 'reg.local/ns/app:1'],
  ['ties', `reg.local/ns/app@${D}`],
  ['ties', 'reg.local/nsx/app:1'],
  ['quirks', 'quay.io/dup/app:1'],
  ['quirks', `quay.io/typo/app:1`],
  ['quirks', 'mirror.example.net/app:v1'],
  ['quirks', 'mirror.example.net/other:v1'],
];

interface SkopeoCase {
  exitCode: number;
  attempts: { reference: string; blocked: boolean }[];
}

let work: string;
let observed: SkopeoCase[];
let loaded: Record<string, RegistriesConf>;

before(async () => {
  await Promise.all([
    requireTool('skopeo'),
    requireTool('docker-registry'),
    requireTool('unshare'),
  ]);
  work = await mkdtemp(join(tmpdir(), 'hm-resolver-'));
  const layout = new OciLayout(join(work, 'layout'));
  layout.tag('app', await layout.image([{ 'app.txt': 'present' }]));
  await layout.finish();
  await mkdir(join(work, 'confs'));
  loaded = {};
  for (const [name, text] of Object.entries(confs)) {
    await writeFile(join(work, 'confs', `${name}.conf`), text);
    loaded[name] = loadRegistriesConf(text, { origin: name, containersImage: '5.23' });
  }
  const caseFile = join(work, 'cases.txt');
  await writeFile(
    caseFile,
    cases
      .map(([conf, reference]) => `${join(work, 'confs', `${conf}.conf`)} ${reference}\n`)
      .join(''),
  );
  const result = await runOk(join(here, 'skopeo-attempts.sh'), [work, layout.dir, caseFile], {
    timeoutMs: 60_000,
  });
  if (process.env.HM_DEBUG_SKOPEO) console.log(result.stdout.toString());
  observed = result.stdout
    .toString()
    .split('\n')
    .filter((line) => line.startsWith('CASE\t'))
    .map((line) => {
      const [, exitCode, ...attempts] = line.split('\t');
      return {
        exitCode: Number(exitCode),
        attempts: attempts.map((attempt) => ({
          reference: attempt.replace(/!blocked$/, ''),
          blocked: attempt.endsWith('!blocked'),
        })),
      };
    });
});

after(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

test('skopeo ran every case', () => {
  assert.equal(observed.length, cases.length);
  assert.ok(cases.length >= 30);
});

cases.forEach(([conf, reference], index) => {
  test(`${conf}: ${reference}`, () => {
    const real = observed[index] as SkopeoCase;
    const ours = resolvePullSources(reference, loaded[conf] as RegistriesConf).filter(
      (source) => source.status !== 'skipped',
    );
    assert.ok(real.attempts.length > 0, 'skopeo tried nothing');
    assert.equal(ours[0]?.reference, real.attempts[0]?.reference, 'first attempt');
    const oursTried = ours.slice(0, real.attempts.length);
    assert.deepEqual(
      oursTried.map((source) => ({
        reference: source.reference,
        blocked: source.status === 'blocked',
      })),
      real.attempts,
    );
    if (real.exitCode === 0)
      assert.match(real.attempts.at(-1)?.reference ?? '', /^localhost:5000\/present\/app[:@]/);
    else assert.equal(ours.length, real.attempts.length, 'skopeo failed after trying every source');
  });
});
