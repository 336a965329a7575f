/**
 * The mirror's CA (issue 20 item 2, issue 11 item 2): it carries critical name constraints,
 * so a certificate it signs for another name is refused by `openssl verify`; its key is
 * never derivable from public inputs (two builds of the same inputs with SOURCE_DATE_EPOCH
 * and no secret get different keys); `--tls-dir` keeps one CA per cluster across builds
 * (the same folder gives the same CA and the same ISO bytes), every output of a build
 * carries that CA, and a build given manifests with another CA refuses, naming both
 * fingerprints.
 */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { requireTool, runTool } from '@hostmirror/fixtures';
import { CA_FILE } from '../../packages/boot-sequence/src/index.ts';
import { BuildIsoError, buildMirrorIso } from '../../packages/build-iso/src/index.ts';
import { manifestCa } from '../../packages/build-iso/src/tls-source.ts';
import { ConfigBuilder, readDataResource } from '../../packages/ignition/src/index.ts';
import { readInitrdFile } from '../../packages/initrd/src/index.ts';
import { CoreosIso, IGNITION_MEMBER } from '../../packages/iso/src/index.ts';
import { hostmirror } from '../foundation/hostmirror-cli.ts';
import { demoInputs, FIXED_EPOCH, optionsFor } from './support.ts';

let work: string;
let inputs: Awaited<ReturnType<typeof demoInputs>>['inputs'];

before(async () => {
  ({ work, inputs } = await demoInputs('tls'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

/** The CA in the live Ignition embedded in a built ISO. */
async function liveCa(iso: string): Promise<string> {
  const opened = await CoreosIso.open(iso);
  try {
    const area = await opened.ignitionAreaBytes();
    const config = await readInitrdFile(
      (async function* () {
        yield area;
      })(),
      IGNITION_MEMBER,
    );
    assert.ok(config !== undefined, 'the ISO embeds an Ignition config');
    const parsed = JSON.parse(Buffer.from(config).toString('utf8')) as {
      storage: { files: { path: string; contents: { source: string; compression?: string } }[] };
    };
    const file = parsed.storage.files.find((entry) => entry.path === CA_FILE);
    assert.ok(file !== undefined, `the live config writes ${CA_FILE}`);
    return readDataResource(file.contents).toString('utf8');
  } finally {
    await opened.close();
  }
}

const fingerprint = (pem: string) => new X509Certificate(pem).fingerprint256;

async function openssl(args: string[]) {
  return runTool(await requireTool('openssl'), args, { timeoutMs: 30_000 });
}

describe('the mirror CA', () => {
  test('nameConstraints: critical, permitting only the mirror; a leaf for another name signed by the CA fails openssl verify', async () => {
    const dir = join(work, 'nc-tls');
    const result = await buildMirrorIso(optionsFor(inputs, join(work, 'nc.iso'), { tlsDir: dir }));
    assert.equal(result.report.tls.source, 'generated-random');
    assert.equal(result.report.tls.wroteDir, true);
    const ca = join(dir, 'ca.crt');
    const text = (await openssl(['x509', '-in', ca, '-noout', '-text'])).stdout.toString('utf8');
    assert.match(
      text,
      /X509v3 Name Constraints: critical\s+Permitted:\s+DNS:registry\.hostmirror\.internal\s+DNS:localhost\s+IP:[\d.]+\/255\.255\.255\.255\s+IP:127\.0\.0\.1\/255\.255\.255\.255/,
    );
    assert.doesNotMatch(text, /Excluded/);
    // The registry's own certificate verifies.
    const server = await openssl(['verify', '-CAfile', ca, join(dir, 'server.crt')]);
    assert.equal(server.exitCode, 0, server.stderr.toString());
    // A certificate for any other name, signed with the CA's own key, does not.
    const evilKey = join(work, 'evil.key');
    const evil = join(work, 'evil.crt');
    for (const name of ['quay.io', 'registry.hostmirror.internal.evil.example']) {
      const made = await openssl([
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        evilKey,
        '-subj',
        `/CN=${name}`,
        '-addext',
        `subjectAltName=DNS:${name}`,
        '-CA',
        ca,
        '-CAkey',
        join(dir, 'ca.key'),
        '-days',
        '30',
        '-out',
        evil,
      ]);
      assert.equal(made.exitCode, 0, made.stderr.toString());
      const verdict = await openssl(['verify', '-CAfile', ca, evil]);
      assert.notEqual(verdict.exitCode, 0, `${name} must not verify`);
      assert.match(
        verdict.stdout.toString() + verdict.stderr.toString(),
        /permitted subtree violation/,
      );
    }
    assert.equal((await stat(join(dir, 'ca.key'))).mode & 0o777, 0o600);
  });

  test('notDerivable: SOURCE_DATE_EPOCH and identical public inputs without a secret give different CA keys', async () => {
    const env = { SOURCE_DATE_EPOCH: String(FIXED_EPOCH) };
    const reports = [];
    for (const name of ['random1', 'random2']) {
      const dir = join(work, `${name}-tls`);
      const { report } = await buildMirrorIso(
        optionsFor(inputs, join(work, `${name}.iso`), { env, tlsDir: dir, tlsValidityDays: 3650 }),
      );
      assert.equal(report.tls.source, 'generated-random');
      assert.equal(report.registry.tlsReproducible, false);
      reports.push({ report, key: await readFile(join(dir, 'ca.key'), 'utf8') });
    }
    assert.notEqual(reports[0]?.key, reports[1]?.key);
    assert.notEqual(reports[0]?.report.tls.caFingerprint, reports[1]?.report.tls.caFingerprint);
  });

  test('oneCaPerCluster: the same --tls-dir gives the same CA (and the same ISO bytes); every output carries it; other manifests refused', async () => {
    const env = { SOURCE_DATE_EPOCH: String(Math.floor(Date.now() / 1000)) };
    const dir = join(work, 'cluster-tls');
    const manifests = join(work, 'cluster-manifests');
    const first = await buildMirrorIso(
      optionsFor(inputs, join(work, 'cluster1.iso'), { env, tlsDir: dir, manifestsDir: manifests }),
    );
    assert.equal(first.report.tls.source, 'generated-random');
    assert.equal(first.report.tls.wroteDir, true);
    const ca = await readFile(join(dir, 'ca.crt'), 'utf8');
    assert.equal(first.report.tls.caFingerprint, fingerprint(ca));
    // Every output of the build: the live ISO config, the post-reboot MachineConfigs, --tls-dir.
    assert.equal(fingerprint(await liveCa(join(work, 'cluster1.iso'))), fingerprint(ca));
    const machineConfigs = Object.keys(first.report.outputs).filter((name) =>
      /^manifests\/99-.*-hostmirror.*\.yaml$/.test(name),
    );
    assert.ok(machineConfigs.length >= 1, Object.keys(first.report.outputs).join(', '));
    for (const name of machineConfigs) {
      const path = first.report.outputs[name]?.path ?? '';
      const carried = manifestCa(await readFile(path, 'utf8'));
      assert.ok(carried !== undefined, `${name} carries the CA`);
      assert.equal(fingerprint(carried), fingerprint(ca), name);
    }
    // Rebuild with the same folder: imported, same CA, and the same ISO bytes.
    const second = await buildMirrorIso(
      optionsFor(inputs, join(work, 'cluster2.iso'), {
        env,
        tlsDir: dir,
        manifestsDir: manifests,
        overwrite: true,
      }),
    );
    assert.equal(second.report.tls.source, 'imported');
    assert.equal(second.report.tls.wroteDir, false);
    assert.equal(second.report.tls.caFingerprint, first.report.tls.caFingerprint);
    assert.equal(second.report.outputs.iso?.sha256, first.report.outputs.iso?.sha256);
    // Without the folder, the build would make another CA than the manifests trust: refused.
    const out3 = join(work, 'cluster3.iso');
    await assert.rejects(
      buildMirrorIso(optionsFor(inputs, out3, { env, manifestsDir: manifests, overwrite: true })),
      (error: unknown) => {
        assert.ok(error instanceof BuildIsoError, String(error));
        assert.equal(error.code, 'CA_MISMATCH');
        assert.ok(error.message.includes(first.report.tls.caFingerprint), error.message);
        const fingerprints = error.message.match(/(?:[0-9A-F]{2}:){31}[0-9A-F]{2}/g) ?? [];
        assert.equal(new Set(fingerprints).size, 2, error.message);
        assert.match(error.message, /--tls-dir/);
        return true;
      },
    );
    await assert.rejects(stat(out3), { code: 'ENOENT' });
  });

  test('agentIsoManifests: an ISO whose extra manifests trust an earlier build’s CA is refused without that CA’s --tls-dir', async () => {
    const dir = join(work, 'agent-tls');
    const manifests = join(work, 'agent-manifests');
    const first = await buildMirrorIso(
      optionsFor(inputs, join(work, 'agent-first.iso'), { tlsDir: dir, manifestsDir: manifests }),
    );
    const name = Object.keys(first.report.outputs).find((key) =>
      /^manifests\/99-master-hostmirror.*\.yaml$/.test(key),
    );
    assert.ok(name !== undefined, Object.keys(first.report.outputs).join(', '));
    const manifest = await readFile(first.report.outputs[name]?.path ?? '', 'utf8');
    // As openshift-install packs the user's openshift/ folder into the agent ISO.
    const config = new ConfigBuilder({ version: '3.2.0' })
      .addFile(`/etc/assisted/extra-manifests/${name.slice('manifests/'.length)}`, manifest)
      .build();
    const iso = join(work, 'with-manifests.iso');
    const input = await CoreosIso.open(inputs.iso);
    try {
      await input.write(await input.planEmbedIgnition(Buffer.from(JSON.stringify(config))), {
        kind: 'file',
        path: iso,
      });
    } finally {
      await input.close();
    }
    const refusedOut = join(work, 'agent-refused.iso');
    await assert.rejects(
      buildMirrorIso({ ...optionsFor(inputs, refusedOut), iso }),
      (error: unknown) => {
        assert.ok(error instanceof BuildIsoError, String(error));
        assert.equal(error.code, 'CA_MISMATCH');
        assert.ok(error.message.includes(first.report.tls.caFingerprint), error.message);
        assert.match(error.message, /\/etc\/assisted\/extra-manifests\/99-master-hostmirror/);
        return true;
      },
    );
    await assert.rejects(stat(refusedOut), { code: 'ENOENT' });
    const again = await buildMirrorIso({
      ...optionsFor(inputs, join(work, 'agent-again.iso'), { tlsDir: dir }),
      iso,
    });
    assert.equal(again.report.tls.source, 'imported');
    assert.equal(again.report.tls.caFingerprint, first.report.tls.caFingerprint);
  });

  test('cli: --tls-dir, --tls-validity-days and --tls-seed-file reach the build; a bad validity is a usage error', async () => {
    const dir = join(work, 'cli-tls');
    const args = [
      'build-iso',
      '--iso',
      inputs.iso,
      '--install-config',
      inputs.installConfig,
      '--agent-config',
      inputs.agentConfig,
      '--mirror',
      inputs.folder,
      '--registry-binary',
      '/bin/busybox',
    ];
    const run = await hostmirror(
      [
        ...args,
        '--tls-dir',
        dir,
        '--tls-validity-days',
        '30',
        '-o',
        join(work, 'cli.iso'),
        '--json',
      ],
      120_000,
    );
    assert.equal(run.exitCode, 0, run.stderrText);
    const report = JSON.parse(run.stdoutText);
    assert.equal(report.tls.source, 'generated-random');
    assert.equal(report.tls.wroteDir, true);
    assert.equal(report.tls.dir, dir);
    const days = (Date.parse(report.tls.notAfter) - Date.now()) / 86_400_000;
    assert.ok(days > 29 && days <= 30, `${days} days`);
    assert.equal(
      fingerprint(await readFile(join(dir, 'ca.crt'), 'utf8')),
      report.tls.caFingerprint,
    );
    const usage = await hostmirror([
      ...args,
      '--tls-validity-days',
      'soon',
      '-o',
      join(work, 'x.iso'),
    ]);
    assert.equal(usage.exitCode, 2, usage.stderrText);
    assert.match(usage.stderrText, /--tls-validity-days soon is not a whole number of days/);
    const weak = join(work, 'cli-weak-seed');
    await writeFile(weak, 'short\n');
    const seeded = await hostmirror([...args, '--tls-seed-file', weak, '-o', join(work, 'y.iso')]);
    assert.equal(seeded.exitCode, 1, seeded.stderrText);
    assert.match(
      seeded.stderrText,
      /^hostmirror: The TLS seed file \S*cli-weak-seed holds 5 bytes/m,
    );
  });

  test('refusals: a folder with a key but no certificate, a seed that disagrees with the folder, a weak seed, a CA without name constraints', async () => {
    const half = join(work, 'half-tls');
    await mkdir(half, { recursive: true });
    await writeFile(join(half, 'ca.key'), 'x');
    await assert.rejects(
      buildMirrorIso(optionsFor(inputs, join(work, 'half.iso'), { tlsDir: half })),
      { code: 'TLS_DIR_INCOMPLETE' },
    );
    const dir = join(work, 'nc-tls'); // made by the first test
    const seedFile = join(work, 'seed');
    await writeFile(seedFile, 'another secret of sixteen bytes or more\n');
    await assert.rejects(
      buildMirrorIso(
        optionsFor(inputs, join(work, 'both.iso'), { tlsDir: dir, tlsSeedFile: seedFile }),
      ),
      (error: unknown) => error instanceof BuildIsoError && error.code === 'CA_MISMATCH',
    );
    const weak = join(work, 'weak');
    await writeFile(weak, 'short\n');
    await assert.rejects(
      buildMirrorIso(optionsFor(inputs, join(work, 'weak.iso'), { tlsSeedFile: weak })),
      { code: 'TLS_SEED_WEAK' },
    );
    // A general-purpose CA (no name constraints) would vouch for any name: refused.
    const general = join(work, 'general-tls');
    await mkdir(general, { recursive: true });
    const made = await openssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      join(general, 'ca.key'),
      '-subj',
      '/CN=corporate CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-days',
      '30',
      '-out',
      join(general, 'ca.crt'),
    ]);
    assert.equal(made.exitCode, 0, made.stderr.toString());
    await assert.rejects(
      buildMirrorIso(optionsFor(inputs, join(work, 'general.iso'), { tlsDir: general })),
      (error: unknown) =>
        error instanceof Error &&
        (error as { code?: string }).code === 'TLS_CA_INVALID' &&
        /no critical name constraints/.test(error.message),
    );
  });
});
