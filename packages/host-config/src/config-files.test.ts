import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MirrorFormatError } from '@hostmirror/oc-mirror-archive';
import { parse as parseToml } from 'smol-toml';
import { parse } from 'yaml';
import { certsDPath, writeCertsD, writeMirrorTls } from './certs-d.ts';
import { renderRegistryConfig } from './registry-config.ts';
import { renderStorageConf } from './storage-conf.ts';
import { createMirrorTls, drawMirrorKeys, requireMirrorOnlyCa } from './tls.ts';

const here = dirname(fileURLToPath(import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'hostmirror-config-'));
after(() => rmSync(work, { recursive: true, force: true }));

describe('registry config.yml', () => {
  it('readOnlyTlsDebug', () => {
    const text = renderRegistryConfig({
      rootDirectory: '/var/mnt/mirror/registry',
      listenAddress: '0.0.0.0:5000',
      debugAddress: '127.0.0.1:5001',
      tls: { certificate: '/etc/hostmirror/server.crt', key: '/etc/hostmirror/server.key' },
    });
    const config = parse(text, { version: '1.1' });
    assert.equal(config.version, '0.1');
    assert.deepEqual(config.storage.filesystem, { rootdirectory: '/var/mnt/mirror/registry' });
    assert.deepEqual(config.storage.maintenance.readonly, { enabled: true });
    assert.deepEqual(config.storage.maintenance.uploadpurging, { enabled: false });
    assert.deepEqual(config.http.tls, {
      certificate: '/etc/hostmirror/server.crt',
      key: '/etc/hostmirror/server.key',
    });
    assert.deepEqual(config.http.debug, { addr: '127.0.0.1:5001' });
  });

  it('badAddressesRefused', () => {
    for (const listenAddress of ['5000', 'host:99999', 'a b:1'])
      assert.throws(
        () => renderRegistryConfig({ rootDirectory: '/r', listenAddress }),
        (error: unknown) =>
          error instanceof MirrorFormatError && error.code === 'BAD_REGISTRY_OPTIONS',
      );
    assert.throws(
      () => renderRegistryConfig({ rootDirectory: 'relative', listenAddress: ':5000' }),
      /absolute/,
    );
  });
});

describe('storage.conf', () => {
  it('additionalImageStores', () => {
    const text = renderStorageConf({
      driver: 'overlay',
      graphRoot: '/var/lib/containers/storage',
      runRoot: '/run/containers/storage',
      additionalImageStores: ['/var/mnt/mirror/store'],
    });
    assert.deepEqual(JSON.parse(JSON.stringify(parseToml(text))), {
      storage: {
        driver: 'overlay',
        graphroot: '/var/lib/containers/storage',
        runroot: '/run/containers/storage',
        options: { additionalimagestores: ['/var/mnt/mirror/store'] },
      },
    });
  });
});

describe('TLS and certs.d', () => {
  const options = {
    hosts: ['mirror.local', '192.168.111.80', 'fd00::5'],
    seed: 'unit-test',
    notBefore: new Date('2026-01-01T00:00:00Z'),
    // A fixed start needs a fixed, long span: openssl verify checks the dates against today.
    validityDays: 3650,
  };
  const tls = createMirrorTls(options);

  it('reproducibleWithSeed', () => {
    const again = createMirrorTls(options);
    assert.deepEqual(again, tls);
    assert.notEqual(tls.serverKeyPem, tls.caKeyPem);
    const unseeded = createMirrorTls({ hosts: ['mirror.local'] });
    assert.notEqual(unseeded.caKeyPem, createMirrorTls({ hosts: ['mirror.local'] }).caKeyPem);
  });

  it('reproducibleAcrossProcesses', () => {
    // A fresh process: nothing cached, the bytes come from the seed alone.
    const script = `import { createMirrorTls } from ${JSON.stringify(join(here, 'tls.ts'))};
const options = ${JSON.stringify(options)};
process.stdout.write(JSON.stringify(createMirrorTls({ ...options, notBefore: new Date(options.notBefore) })));`;
    const output = execFileSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: here,
        encoding: 'utf8',
      },
    );
    const other = JSON.parse(output) as typeof tls;
    assert.equal(other.caCertificatePem, tls.caCertificatePem);
    assert.equal(other.caKeyPem, tls.caKeyPem);
    assert.equal(other.serverCertificatePem, tls.serverCertificatePem);
    assert.equal(other.serverKeyPem, tls.serverKeyPem);
  });

  it('keysDrawnAheadGiveTheSameBytes: drawMirrorKeys(seed) then createMirrorTls = createMirrorTls alone', async () => {
    const keys = await drawMirrorKeys(options.seed);
    assert.deepEqual(createMirrorTls({ ...options, keys }), tls);
    const random = await drawMirrorKeys();
    const fromRandom = createMirrorTls({ hosts: ['mirror.local'], keys: random });
    assert.equal(
      fromRandom.caKeyPem,
      random.ca.export({ type: 'pkcs8', format: 'pem' }).toString(),
      'the CA key is the one drawn',
    );
    assert.equal(
      fromRandom.serverKeyPem,
      random.server.export({ type: 'pkcs8', format: 'pem' }).toString(),
      'the server key is the one drawn',
    );
    assert.throws(
      () => createMirrorTls({ ...options, seed: 'unit-test-2', keys }),
      (error: Error & { code?: string }) =>
        error.code === 'BAD_TLS_OPTIONS' && /another seed/.test(error.message),
    );
  });

  it('differentSeedDifferentKeys', () => {
    const other = createMirrorTls({ ...options, seed: 'unit-test-2' });
    assert.notEqual(other.caKeyPem, tls.caKeyPem);
    assert.notEqual(other.serverKeyPem, tls.serverKeyPem);
    assert.notEqual(other.caCertificatePem, tls.caCertificatePem);
    assert.match(tls.caKeyPem, /^-----BEGIN PRIVATE KEY-----\n/);
  });

  it('mirrorOnlyCa: a CA given from elsewhere must be name-constrained to the mirror', () => {
    requireMirrorOnlyCa(tls.caCertificatePem, ['mirror.local']);
    const refused = (ca: string, pattern: RegExp) =>
      assert.throws(
        () => requireMirrorOnlyCa(ca, ['mirror.local']),
        (error: unknown) =>
          error instanceof MirrorFormatError &&
          error.code === 'TLS_CA_INVALID' &&
          pattern.test(error.message),
      );
    refused(
      createMirrorTls({ hosts: ['other.example'], validityDays: 30 }).caCertificatePem,
      /name constraints do not permit mirror\.local/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'hostmirror-general-ca-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-keyout',
          join(dir, 'ca.key'),
          '-subj',
          '/CN=corporate CA',
          '-addext',
          'basicConstraints=critical,CA:TRUE',
          '-days',
          '30',
          '-out',
          join(dir, 'ca.crt'),
        ],
        { stdio: 'ignore' },
      );
      refused(
        execFileSync('cat', [join(dir, 'ca.crt')]).toString(),
        /no critical name constraints, so it would vouch for any name/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('opensslAcceptsKeysChainAndNames', () => {
    const dir = join(work, 'openssl');
    rmSync(dir, { recursive: true, force: true });
    const files = {
      'ca.pem': tls.caCertificatePem,
      'ca.key': tls.caKeyPem,
      'server.pem': tls.serverCertificatePem,
      'server.key': tls.serverKeyPem,
    };
    execFileSync('mkdir', ['-p', dir]);
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    const openssl = (...args: string[]) => {
      try {
        return execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT')
          assert.fail('openssl not found: install the Debian package openssl');
        throw error;
      }
    };
    for (const key of ['ca.key', 'server.key'])
      assert.match(openssl('rsa', '-check', '-noout', '-in', key), /RSA key ok/);
    assert.match(openssl('verify', '-CAfile', 'ca.pem', 'server.pem'), /server\.pem: OK/);
    const text = openssl('x509', '-text', '-noout', '-in', 'server.pem');
    assert.match(
      text,
      /DNS:mirror\.local, DNS:localhost, IP Address:192\.168\.111\.80, IP Address:FD00:0:0:0:0:0:0:5, IP Address:127\.0\.0\.1/,
    );
    assert.match(text, /Public-Key: \(2048 bit\)/);
  });

  it('chainAndNames', () => {
    const ca = new X509Certificate(tls.caCertificatePem);
    const server = new X509Certificate(tls.serverCertificatePem);
    assert.equal(ca.ca, true);
    assert.equal(server.ca, false);
    assert.ok(server.checkIssued(ca));
    assert.ok(server.verify(ca.publicKey));
    assert.ok(ca.verify(ca.publicKey));
    for (const host of ['mirror.local', 'localhost']) assert.equal(server.checkHost(host), host);
    for (const ip of ['192.168.111.80', '127.0.0.1', 'fd00::5'])
      assert.equal(server.checkIP(ip), ip);
    assert.equal(server.checkHost('other.local'), undefined);
    assert.deepEqual(tls.subjectAltNames, [
      'mirror.local',
      'localhost',
      '192.168.111.80',
      'fd00::5',
      '127.0.0.1',
    ]);
    assert.equal(server.validFrom, 'Jan  1 00:00:00 2026 GMT');
    assert.deepEqual(server.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  });

  it('keysAre0600', async () => {
    const paths = await writeMirrorTls(tls, join(work, 'tls'));
    assert.equal(statSync(paths.caKey).mode & 0o777, 0o600);
    assert.equal(statSync(paths.serverKey).mode & 0o777, 0o600);
    assert.equal(statSync(paths.serverCertificate).mode & 0o777, 0o644);
    const certs = await writeCertsD(
      'mirror.local:5000',
      tls.caCertificatePem,
      join(work, 'certs.d'),
    );
    assert.equal(certs, join(work, 'certs.d', 'mirror.local:5000', 'ca.crt'));
    assert.equal(certsDPath('[fd00::5]:5000'), '/etc/containers/certs.d/[fd00::5]:5000/ca.crt');
    assert.throws(
      () => certsDPath('a/b'),
      (error: unknown) => error instanceof MirrorFormatError && error.code === 'BAD_TLS_OPTIONS',
    );
  });

  it('badHostRefused', () => {
    assert.throws(
      () => createMirrorTls({ hosts: ['not a host!'] }),
      (error: unknown) => error instanceof MirrorFormatError && error.code === 'BAD_TLS_OPTIONS',
    );
  });
});
