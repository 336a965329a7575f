/**
 * The mirror CA vouches for the mirror only, judged by real clients (issue 20 item 2): in a
 * private network and mount namespace, the real docker-registry serves TLS twice, once with
 * the mirror's own certificate and once with a certificate for `quay.io` signed with the same
 * CA's key. Real skopeo (containers/image, Go's crypto/x509), trusting the CA through
 * certs.d exactly as the hosts do, talks to the first (the registry answers) and refuses the
 * second: the CA's name constraints do not permit quay.io. curl (OpenSSL) with the CA as its
 * only trust anchor does the same.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { requireTool, runTool } from '@hostmirror/fixtures';
import { createMirrorTls } from '../../packages/host-config/src/index.ts';

let work: string;
before(async () => {
  work = await mkdtemp(join(tmpdir(), 'hm-ca-constraints-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

const MIRROR = 'registry.hostmirror.internal';
const MIRROR_PORT = 5443;
const EVIL = 'quay.io';
const EVIL_PORT = 5444;

function registryConfig(root: string, port: number, certificate: string, key: string): string {
  return [
    'version: 0.1',
    `storage: {filesystem: {rootdirectory: ${root}}, maintenance: {readonly: {enabled: true}}}`,
    `http: {addr: 127.0.0.1:${port}, secret: ca-constraints, tls: {certificate: ${certificate}, key: ${key}}}`,
    '',
  ].join('\n');
}

test('skopeo and curl trust the mirror CA for the mirror and refuse its certificate for quay.io', async () => {
  const [unshare, openssl] = [await requireTool('unshare'), await requireTool('openssl')];
  await requireTool('skopeo');
  await requireTool('docker-registry');
  const tls = createMirrorTls({ hosts: [MIRROR] });
  const files = {
    ca: join(work, 'ca.crt'),
    caKey: join(work, 'ca.key'),
    server: join(work, 'server.crt'),
    serverKey: join(work, 'server.key'),
    evil: join(work, 'evil.crt'),
    evilKey: join(work, 'evil.key'),
  };
  await writeFile(files.ca, tls.caCertificatePem);
  await writeFile(files.caKey, tls.caKeyPem, { mode: 0o600 });
  await writeFile(files.server, tls.serverCertificatePem);
  await writeFile(files.serverKey, tls.serverKeyPem, { mode: 0o600 });
  const made = await runTool(
    openssl,
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      files.evilKey,
      '-subj',
      `/CN=${EVIL}`,
      '-addext',
      `subjectAltName=DNS:${EVIL}`,
      '-addext',
      'extendedKeyUsage=serverAuth',
      '-CA',
      files.ca,
      '-CAkey',
      files.caKey,
      '-days',
      '30',
      '-out',
      files.evil,
    ],
    { timeoutMs: 30_000 },
  );
  assert.equal(made.exitCode, 0, made.stderr.toString());
  await mkdir(join(work, 'storage'), { recursive: true });
  await writeFile(
    join(work, 'mirror.yml'),
    registryConfig(join(work, 'storage'), MIRROR_PORT, files.server, files.serverKey),
  );
  await writeFile(
    join(work, 'evil.yml'),
    registryConfig(join(work, 'storage'), EVIL_PORT, files.evil, files.evilKey),
  );
  const etc = join(work, 'containers');
  for (const endpoint of [`${MIRROR}:${MIRROR_PORT}`, `${EVIL}:${EVIL_PORT}`]) {
    await mkdir(join(etc, 'certs.d', endpoint), { recursive: true });
    await writeFile(join(etc, 'certs.d', endpoint, 'ca.crt'), tls.caCertificatePem);
  }
  await writeFile(join(etc, 'registries.conf'), 'unqualified-search-registries = []\n');
  await writeFile(join(etc, 'policy.json'), '{"default":[{"type":"insecureAcceptAnything"}]}\n');
  await writeFile(join(work, 'hosts'), `127.0.0.1 localhost ${MIRROR} ${EVIL}\n`);
  const script = `
set -u
ip link set lo up
mount --bind "$W/containers" /etc/containers
mount --bind "$W/hosts" /etc/hosts
export HOME="$W"
docker-registry serve "$W/mirror.yml" > "$W/mirror.log" 2>&1 & a=$!
docker-registry serve "$W/evil.yml" > "$W/evil.log" 2>&1 & b=$!
trap 'kill $a $b 2>/dev/null; wait 2>/dev/null' EXIT
for _ in $(seq 200); do
  curl -s -o /dev/null --cacert "$W/ca.crt" "https://${MIRROR}:${MIRROR_PORT}/v2/" && break
  sleep 0.05
done
for target in ${MIRROR}:${MIRROR_PORT} ${EVIL}:${EVIL_PORT}; do
  skopeo inspect --no-tags "docker://$target/openshift/release:x" > /dev/null 2> "$W/skopeo.err"
  echo "SKOPEO $target $? $(tr '\\n' ' ' < "$W/skopeo.err")"
  curl -s -o /dev/null -w '%{http_code}' --cacert "$W/ca.crt" "https://$target/v2/" > "$W/curl.out" 2> "$W/curl.err"
  echo "CURL $target $? $(cat "$W/curl.out")"
done
`;
  const result = await runTool(
    unshare,
    ['-n', '-m', '--propagation', 'private', 'bash', '-c', script],
    { timeoutMs: 60_000, env: { ...process.env, W: work } },
  );
  const out = result.stdout.toString('utf8');
  assert.equal(result.exitCode, 0, `${out}\n${result.stderr.toString()}`);
  const line = (prefix: string) => out.split('\n').find((entry) => entry.startsWith(prefix)) ?? '';
  // The mirror: TLS is accepted, so the registry itself answers (no such image).
  const mirror = line(`SKOPEO ${MIRROR}:${MIRROR_PORT} `);
  assert.match(mirror, /manifest unknown|name unknown|not found/i, out);
  assert.doesNotMatch(mirror, /x509|certificate/i, out);
  assert.match(line(`CURL ${MIRROR}:${MIRROR_PORT} `), / 0 200$/, out);
  // quay.io with a certificate signed by the same CA: refused for the name constraints.
  const evil = line(`SKOPEO ${EVIL}:${EVIL_PORT} `);
  process.stdout.write(`# ${evil.slice(0, 300)}\n`);
  assert.match(evil, /^SKOPEO \S+ [1-9]\d* /, out);
  assert.match(evil, /x509: .*(not permitted|not authorized to sign for this name)/, out);
  // curl exit 60: the peer certificate cannot be authenticated with the CA.
  assert.match(line(`CURL ${EVIL}:${EVIL_PORT} `), /^CURL \S+ 60 /, out);
});
