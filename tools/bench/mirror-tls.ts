/**
 * Not a test. CPU of `createMirrorTls` (packages/host-config/src/tls.ts) as build-iso calls it:
 * the two keys drawn ahead (`drawMirrorKeys(seed)`), so what is timed is the certificate work
 * alone — building, signing and encoding the CA and server certificates.
 *
 *   node --import tsx tools/bench/mirror-tls.ts [--calls 10] [--rounds 3] [--baseline DIR]
 *
 * Each round runs a fresh process per checkout (this one, and `--baseline DIR`, another
 * checkout's root, e.g. a `git worktree` at an older commit), back to back so the load of the
 * shared machine falls on both: it draws the keys, makes one certificate pair untimed (loading
 * node-forge), then times `--calls` calls with `process.cpuUsage` (user + system, the main
 * thread's work) and wall time. The first call's CPU (node-forge loaded inside it) is printed
 * apart. Every call must give the same PEMs as the first, and the two checkouts the same PEMs.
 */
import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot } from '@hostmirror/fixtures';
import { commitNow, loadNow, medianRange } from './harness.ts';

const { values } = parseArgs({
  options: {
    calls: { type: 'string', default: '10' },
    rounds: { type: 'string', default: '3' },
    baseline: { type: 'string' },
  },
});
const calls = Number(values.calls);
const rounds = Number(values.rounds);

interface Sample {
  firstCpuMs: number;
  cpuMsPerCall: number;
  wallMsPerCall: number;
  pems: string;
}

function child(root: string): Sample {
  const tls = JSON.stringify(resolve(root, 'packages/host-config/src/tls.ts'));
  const script = `import { createHash } from 'node:crypto';
import { createMirrorTls, drawMirrorKeys } from ${tls};
const options = { hosts: ['mirror.local', '192.168.111.80', 'fd00::5'], seed: 'bench',
  notBefore: new Date('2026-01-01T00:00:00Z'), validityDays: 3650 };
const keys = await drawMirrorKeys(options.seed);
const digest = (t) => createHash('sha256').update(t.caCertificatePem + t.serverCertificatePem + t.caKeyPem + t.serverKeyPem).digest('hex');
const cpu = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
let start = cpu();
const first = digest(createMirrorTls({ ...options, keys }));
const firstCpuMs = cpu() - start;
start = cpu();
const wall = performance.now();
for (let i = 0; i < ${calls}; i++)
  if (digest(createMirrorTls({ ...options, keys })) !== first) throw new Error('not reproducible');
process.stdout.write(JSON.stringify({ firstCpuMs, cpuMsPerCall: (cpu() - start) / ${calls},
  wallMsPerCall: (performance.now() - wall) / ${calls}, pems: first }));`;
  const output = execFileSync(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script],
    { cwd: root, encoding: 'utf8' },
  );
  return JSON.parse(output) as Sample;
}

const sides: [string, string][] = [['ours', repoRoot]];
if (values.baseline !== undefined) sides.unshift(['baseline', resolve(values.baseline)]);
console.log(`commit ${commitNow()}, ${new Date().toISOString()}; ${calls} calls per round`);
const samples = new Map<string, Sample[]>(sides.map(([name]) => [name, []]));
for (let round = 1; round <= rounds; round++) {
  for (const [name, root] of sides) {
    const sample = child(root);
    samples.get(name)?.push(sample);
    console.log(
      `round ${round} ${name}: ${sample.cpuMsPerCall.toFixed(1)} ms CPU/call, ${sample.wallMsPerCall.toFixed(1)} ms wall/call, first call ${sample.firstCpuMs.toFixed(0)} ms CPU; ${loadNow()}`,
    );
  }
}
const all = [...samples.values()].flat();
if (new Set(all.map((sample) => sample.pems)).size !== 1)
  throw new Error('the checkouts or rounds made different certificate or key bytes');
console.log(`same bytes in every round and checkout: sha256 ${all[0]?.pems}`);
for (const [name, list] of samples)
  console.log(
    `${name}: CPU ms/call ${medianRange(
      list.map((s) => s.cpuMsPerCall),
      1,
    )}, wall ms/call ${medianRange(
      list.map((s) => s.wallMsPerCall),
      1,
    )}, first call CPU ms ${medianRange(
      list.map((s) => s.firstCpuMs),
      0,
    )}`,
  );
