/**
 * The rehearsal (tools/rehearse.sh): the mirror-mode ISO built from a Debian-made CoreOS-layout
 * live ISO (tools/make-live-iso: real Ignition in a dracut initrd, systemd live root) boots on
 * two qemu hosts connected only to each other inside `unshare -n`; each host reports its
 * checks on its serial console. An extra --ignition config's unit must print on every host's
 * console too. On failure the script prints the failing checks and the tail of each failing
 * host's console; its output is passed on as it comes (a CI log shows how far it got).
 *
 * tools/run-tests.sh runs it last, after every other test (so that nothing else competes for
 * the cores), with HOSTMIRROR_REHEARSAL=1 and the live ISO made in its set-up. Scenarios come
 * from HOSTMIRROR_REHEARSAL_SCENARIOS (space-separated; default: rehearse.sh's default set).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { ConfigBuilder } from '../../packages/ignition/src/index.ts';

const root = resolve(import.meta.dirname, '../..');
const scenarios = (process.env.HOSTMIRROR_REHEARSAL_SCENARIOS ?? '').split(/\s+/).filter(Boolean);
const enabled = process.env.HOSTMIRROR_REHEARSAL === '1';
/**
 * A safety net, not the 15-minute target (tools/rehearsal/README.md has the runs): each
 * boot set of rehearse.sh has its own bound (HOSTMIRROR_REHEARSAL_TIMEOUT, 1200 s), and on this
 * limit the script is stopped (its EXIT trap stops the VMs).
 */
const LIMIT_MS = 60 * 60 * 1000;

test('rehearsal: every scenario passes on booted hosts, and an extra --ignition unit runs on each', {
  skip: enabled
    ? false
    : 'set HOSTMIRROR_REHEARSAL=1 (qemu TCG boots; tools/run-tests.sh all runs it last)',
  timeout: LIMIT_MS,
}, async (t) => {
  const work = await mkdtemp(join(tmpdir(), 'hm-rehearsal-test-'));
  try {
    const marker = `HMR-EXTRA-${process.pid}`;
    const extra = new ConfigBuilder({ version: '3.2.0' })
      .addUnit('rehearsal-extra.service', {
        enabled: true,
        contents: [
          '[Unit]',
          'Description=an extra unit merged with --ignition',
          '[Service]',
          'Type=oneshot',
          `ExecStart=/bin/sh -c 'echo ${marker} on $(cat /etc/hostmirror-rehearsal/hosts | wc -l)-host table > /dev/console'`,
          '[Install]',
          'WantedBy=multi-user.target',
          '',
        ].join('\n'),
      })
      .serialize();
    await writeFile(join(work, 'extra.ign'), extra);
    const logs = join(work, 'logs');
    const args = ['tools/rehearse.sh', '--ignition', join(work, 'extra.ign'), '--logs', logs];
    for (const scenario of scenarios) args.push('--scenario', scenario);
    const child = spawn('bash', args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const stop = () => child.kill('SIGTERM');
    t.signal.addEventListener('abort', stop);
    let output = '';
    const pass = (chunk: Buffer) => {
      output += chunk.toString();
      process.stderr.write(chunk);
    };
    child.stdout.on('data', pass);
    child.stderr.on('data', pass);
    const code = await new Promise<number | null>((done) => child.on('close', done));
    t.signal.removeEventListener('abort', stop);
    assert.equal(code, 0, `tools/rehearse.sh failed (exit ${code}); its output is above`);
    // rehearse.sh names the scenarios it runs first ("scenarios: live registry-killed ...").
    const named = /\] scenarios: (.+)$/m.exec(output)?.[1]?.split(' ') ?? [];
    assert.ok(named.length > 0, 'rehearse.sh names its scenarios');
    for (const scenario of scenarios) assert.ok(named.includes(scenario), `${scenario} runs`);
    const summaries = output.split('\n').filter((line) => line.startsWith('scenario '));
    assert.deepEqual(
      summaries.map((line) => line.split(/\s+/)[1]).sort(),
      [...named].sort(),
      'one summary line per scenario',
    );
    for (const line of summaries) assert.match(line, / PASS in /);
    // The node0 cluster's consoles are DIR/<host>.log, the every-node cluster's
    // DIR/every-node/<host>.log (tools/rehearse.sh); each console that exists ran the extra unit.
    for (const host of ['node0', 'node1']) {
      const consoles = [join(logs, `${host}.log`), join(logs, 'every-node', `${host}.log`)];
      const found = (
        await Promise.all(consoles.map((file) => readFile(file, 'utf8').catch(() => undefined)))
      ).flatMap((text, index) => (text === undefined ? [] : [{ file: consoles[index], text }]));
      assert.ok(found.length > 0, `no console of ${host} in ${logs}`);
      for (const { file, text } of found) {
        assert.match(text, new RegExp(`${marker} on 3-host table`), `${file}: the extra unit ran`);
        assert.match(text, new RegExp(`HMR-DONE ${host} live passed=\\d+ failed=0`), file);
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
