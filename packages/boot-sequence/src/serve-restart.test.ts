/**
 * hostmirror-serve.sh is what systemd runs again after every crash of the registry
 * (Restart=always), so the time it takes before it execs the registry is time the mirror does
 * not serve. On a loaded emulated host each process it starts costs about half a second: the
 * rehearsal (tools/rehearse.sh --scenario registry-killed, qemu TCG at load 20) measured 9.5 s
 * from systemd's start of the script to the registry's exec when it started 16 processes. The
 * script now forks only for the manifest's sha256; strace counts what it starts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const scripts = join(dirname(fileURLToPath(import.meta.url)), 'scripts');
/** The subshells of $(hm_manifest_id) and $(hm_data_dir)/$(hm_volume_dir), sha256sum's. */
const MOST_PROCESSES = 5;

test('serve restart path: the registry gets its settings after at most 5 processes (16 before), and an incomplete tree is refused with 78', async (t) => {
  const strace = spawnSync('strace', ['-V']);
  if (strace.status !== 0) {
    t.skip('strace is missing (tools/install-system-deps.sh)');
    return;
  }
  const root = await mkdtemp(join(tmpdir(), 'hm-serve-restart-'));
  try {
    await mkdir(join(root, 'etc/hostmirror/registry'), { recursive: true });
    await mkdir(join(root, 'run/hostmirror'), { recursive: true });
    await mkdir(join(root, 'vol/hostmirror/state'), { recursive: true });
    await mkdir(join(root, 'usr/local/bin'), { recursive: true });
    await writeFile(
      join(root, 'etc/hostmirror/hostmirror.env'),
      [
        'HOSTMIRROR_MODE=node0',
        'HOSTMIRROR_PHASE=live',
        'HOSTMIRROR_STATE_DIR=/run/hostmirror',
        'HOSTMIRROR_MOUNT=/var/mnt/hostmirror',
        'HOSTMIRROR_REGISTRY_NAME=registry.hostmirror.internal',
        'HOSTMIRROR_REGISTRY_PORT=5000',
        'HOSTMIRROR_REGISTRY_BIN=/usr/local/bin/hostmirror-registry',
        '',
      ].join('\n'),
    );
    const manifest = 'abc  01-mirror_000001.tar\n';
    await writeFile(join(root, 'etc/hostmirror/archives.sha256'), manifest);
    await writeFile(join(root, 'run/hostmirror/volume'), join(root, 'vol'));
    await writeFile(join(root, 'run/hostmirror/serve'), '');
    const seen = join(root, 'registry.env');
    await writeFile(
      join(root, 'usr/local/bin/hostmirror-registry'),
      `#!/bin/sh\nprintf '%s\\n' "$*" "$REGISTRY_HTTP_ADDR" "$REGISTRY_STORAGE_FILESYSTEM_ROOTDIRECTORY" "$REGISTRY_HTTP_TLS_CERTIFICATE" "$REGISTRY_HTTP_TLS_KEY" > ${seen}\n`,
      { mode: 0o755 },
    );
    const run = (trace: string) =>
      spawnSync(
        'strace',
        [
          '-f',
          '-qq',
          '-e',
          'trace=clone,clone3,fork,vfork',
          '-o',
          trace,
          'bash',
          join(scripts, 'hostmirror-serve.sh'),
        ],
        { env: { ...process.env, HOSTMIRROR_ROOT: root }, encoding: 'utf8', timeout: 60_000 },
      );

    const refused = run(join(root, 'refused.trace'));
    assert.equal(refused.status, 78, `an incomplete tree is a refusal: ${refused.stderr}`);
    assert.match(refused.stderr, /not complete for this manifest/);

    const id = spawnSync('sha256sum', { input: manifest, encoding: 'utf8' }).stdout.slice(0, 64);
    await writeFile(join(root, 'vol/hostmirror/state/complete'), `${id}\n`);
    const served = run(join(root, 'served.trace'));
    assert.equal(served.status, 0, served.stderr);
    assert.deepEqual((await readFile(seen, 'utf8')).split('\n').slice(0, 5), [
      `serve ${root}/etc/hostmirror/registry/config.yml`,
      ':5000',
      `${root}/vol/hostmirror/registry`,
      `${root}/etc/hostmirror/tls/tls.crt`,
      `${root}/etc/hostmirror/tls/tls.key`,
    ]);
    const trace = await readFile(join(root, 'served.trace'), 'utf8');
    const forks = trace.split('\n').filter((line) => /\b(clone3?|v?fork)\(/.test(line));
    assert.ok(
      forks.length <= MOST_PROCESSES,
      `hostmirror-serve.sh started ${forks.length} processes before the registry (at most ${MOST_PROCESSES}):\n${forks.join('\n')}`,
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
