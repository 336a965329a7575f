/**
 * registries.conf as the hosts' containers/image reads it, from cases derived from c/image's own
 * tests and testdata (conformance/registries-conf.json, each naming its source):
 * - for every c/image version of a supported OpenShift release (and Debian's 5.23), our loader and
 *   resolver give the case's verdict for that version (refused / the pull fails / the sources
 *   tried, in order);
 * - Debian 12's skopeo 1.9.3 (c/image 5.23) is asked every case inside a private network
 *   namespace (skopeo-conf-verdicts.sh) and must agree with our 5.23 verdict.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { requireTool, runOk } from '@hostmirror/fixtures';
import {
  type ContainersImageVersion,
  loadRegistriesConf,
  OPENSHIFT_CONTAINERS_IMAGE,
  resolvePullSources,
} from '@hostmirror/host-config';

const here = dirname(fileURLToPath(import.meta.url));

type Verdict = 'refused' | 'pull-fails' | 'read';
interface ConfCase {
  name: string;
  source: string;
  conf: string;
  reference: string;
  expect?: Verdict;
  byVersion?: { from: ContainersImageVersion; expect: Verdict }[];
  attempts?: string[];
  message?: string;
}
interface Judgement {
  verdict: Verdict;
  attempts: string[];
  message: string;
}

const cases = (
  JSON.parse(await readFile(join(here, 'conformance', 'registries-conf.json'), 'utf8')) as {
    cases: ConfCase[];
  }
).cases;

const minor = (version: string) => Number(version.split('.')[1]);

function expected(testCase: ConfCase, version: ContainersImageVersion): Verdict {
  if (testCase.expect !== undefined) return testCase.expect;
  const steps = (testCase.byVersion ?? []).filter((step) => minor(step.from) <= minor(version));
  const step = steps.at(-1);
  if (step === undefined) throw new Error(`${testCase.name}: no verdict for ${version}`);
  return step.expect;
}

function judge(testCase: ConfCase, version: ContainersImageVersion): Judgement {
  let conf: ReturnType<typeof loadRegistriesConf>;
  try {
    conf = loadRegistriesConf(testCase.conf, { origin: 'case.conf', containersImage: version });
  } catch (error) {
    return { verdict: 'refused', attempts: [], message: (error as Error).message };
  }
  try {
    const sources = resolvePullSources(testCase.reference, conf);
    return {
      verdict: 'read',
      attempts: sources.filter((s) => s.status !== 'skipped').map((s) => s.reference),
      message: '',
    };
  } catch (error) {
    return { verdict: 'pull-fails', attempts: [], message: (error as Error).message };
  }
}

const versions: ContainersImageVersion[] = [
  '5.23',
  ...new Set(
    OPENSHIFT_CONTAINERS_IMAGE.flatMap((entry) => [
      entry.containersImage.oldest,
      entry.containersImage.newest,
    ]),
  ),
];

test('the cases cover every rule of issue 16 item 1', () => {
  assert.ok(cases.length >= 50, `${cases.length} cases`);
  const text = cases.map((c) => c.name + c.source).join('\n');
  for (const rule of [
    'unqualified-search',
    'short-name-mode',
    'alias name',
    'alias value',
    'mixing-v1-v2-empty',
    'ignoring case',
    'trailing /',
  ])
    assert.ok(text.includes(rule), rule);
});

for (const testCase of cases)
  test(`every c/image version: ${testCase.name}`, () => {
    for (const version of versions) {
      const ours = judge(testCase, version);
      const want = expected(testCase, version);
      assert.equal(ours.verdict, want, `c/image ${version}: ${ours.message}`);
      if (want === 'read' && testCase.attempts !== undefined)
        assert.deepEqual(ours.attempts, testCase.attempts, `c/image ${version}`);
      if (want === 'refused' && testCase.message !== undefined)
        assert.ok(ours.message.includes(testCase.message), `c/image ${version}: ${ours.message}`);
    }
  });

let work: string | undefined;
let skopeo: { verdict: 'refused' | 'read'; rest: string[] }[] = [];
before(async () => {
  await Promise.all([requireTool('skopeo'), requireTool('unshare')]);
  work = await mkdtemp(join(tmpdir(), 'hm-conf-verdicts-'));
  await mkdir(join(work, 'confs'));
  const lines: string[] = [];
  for (const [index, testCase] of cases.entries()) {
    const path = join(work, 'confs', `${index}.conf`);
    await writeFile(path, testCase.conf);
    lines.push(`${path} ${testCase.reference}\n`);
  }
  await writeFile(join(work, 'cases.txt'), lines.join(''));
  const result = await runOk(
    join(here, 'skopeo-conf-verdicts.sh'),
    [work, join(work, 'cases.txt')],
    { timeoutMs: 120_000 },
  );
  skopeo = result.stdout
    .toString()
    .split('\n')
    .filter((line) => line.startsWith('CASE\t'))
    .map((line) => {
      const [, verdict, ...rest] = line.split('\t');
      return { verdict: verdict as 'refused' | 'read', rest };
    });
});
after(async () => {
  if (work !== undefined) await rm(work, { recursive: true, force: true });
});

test('skopeo judged every case', () => {
  assert.equal(skopeo.length, cases.length);
});

cases.forEach((testCase, index) => {
  test(`skopeo (c/image 5.23) agrees: ${testCase.name}`, () => {
    const real = skopeo[index];
    assert.ok(real);
    const ours = judge(testCase, '5.23');
    if (real.verdict === 'refused') {
      assert.equal(ours.verdict, 'refused', `skopeo refused: ${real.rest[0]}`);
      return;
    }
    // Read: skopeo tried these sources; none means rewriting the reference failed.
    if (real.rest.length === 0) assert.equal(ours.verdict, 'pull-fails', ours.message);
    else
      assert.deepEqual(
        { verdict: ours.verdict, attempts: ours.attempts },
        { verdict: 'read', attempts: real.rest },
      );
  });
});
