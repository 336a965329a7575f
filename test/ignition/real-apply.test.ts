/**
 * Configs made by our builder are applied by the real Ignition (Debian's 2.14 binary run as
 * `ignition-apply`, docs/ignition.md#real-binaries) into a temporary root, and what it writes is what
 * we asked for. Merge and replace of data-URL children are cross-checked the same way: the
 * tree Ignition makes from the parent equals the tree it makes from our rendered config.
 */
import assert from 'node:assert/strict';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import {
  ConfigBuilder,
  encodeDataUrl,
  type IgnitionConfig,
  renderConfig,
  serializeConfig,
} from '../../packages/ignition/src/index.ts';
import { ignitionBinaryPath, requireIgnitionPackage, run } from './ignition-binaries.ts';

let folder = '';
let applyCommand = '';

before(async () => {
  await requireIgnitionPackage();
  folder = await mkdtemp(join(tmpdir(), 'hostmirror-ignition-apply-'));
  // The binary is multi-call: under the name ignition-apply it writes a config into --root.
  applyCommand = join(folder, 'ignition-apply');
  await symlink(ignitionBinaryPath, applyCommand);
});
after(async () => {
  if (folder !== '') await rm(folder, { recursive: true, force: true });
});

let applyCount = 0;
/** Apply a config into a fresh root; returns the root. */
async function apply(config: IgnitionConfig | string): Promise<string> {
  applyCount++;
  const root = join(folder, `root-${applyCount}`);
  await mkdir(root);
  const file = join(folder, `config-${applyCount}.ign`);
  await writeFile(file, typeof config === 'string' ? config : serializeConfig(config));
  // ignition-apply refuses to run outside a container unless $container says it is in one.
  const result = await run(applyCommand, ['--offline', '--root', root, file], {
    env: { ...process.env, container: 'hostmirror-test' },
  });
  assert.equal(result.code, 0, `ignition-apply failed:\n${result.stdout}${result.stderr}`);
  return root;
}

interface Entry {
  type: 'file' | 'dir' | 'link';
  mode: number;
  content?: string;
  target?: string;
}

/** Every entry under `root` (Ignition's own result file left out). */
async function snapshot(root: string): Promise<Record<string, Entry>> {
  const entries: Record<string, Entry> = {};
  async function walk(relative: string): Promise<void> {
    for (const name of (await readdir(join(root, relative))).sort()) {
      const path = `${relative}/${name}`;
      if (path === '/etc/.ignition-result.json') continue;
      const info = await lstat(join(root, path));
      const mode = info.mode & 0o7777;
      if (info.isSymbolicLink())
        entries[path] = { type: 'link', mode, target: await readlink(join(root, path)) };
      else if (info.isDirectory()) {
        entries[path] = { type: 'dir', mode };
        await walk(path);
      } else
        entries[path] = {
          type: 'file',
          mode,
          content: (await readFile(join(root, path))).toString('base64'),
        };
    }
  }
  await walk('');
  return entries;
}

const serviceText =
  '[Unit]\nDescription=serve the mirror\n[Service]\nExecStart=/usr/local/bin/serve\n[Install]\nWantedBy=multi-user.target\n';

test('ignition-apply writes what the builder asked for', async () => {
  const binary = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) % 256));
  const large = 'registry line that repeats\n'.repeat(2000);
  const local = join(folder, 'local-script.sh');
  await writeFile(local, '#!/bin/sh\necho from a local file\n');
  await chmod(local, 0o755);
  const builder = new ConfigBuilder({ version: '3.2.0', verify: true })
    .addFile('/etc/hostmirror/hello.txt', 'hello world\n')
    .addFile('/etc/hostmirror/blob.bin', binary, { mode: 0o600 })
    .addFile('/etc/hostmirror/large.txt', large)
    .addDirectory('/var/lib/hostmirror', { mode: 0o700 })
    .addLink('/etc/hostmirror/hello-link', '/etc/hostmirror/hello.txt')
    .addUnit('serve.service', { contents: serviceText, enabled: true })
    .addUnit('unwanted.service', { enabled: false })
    .addUnit('masked.service', { mask: true })
    .addDropin('crio.service', '10-after-mirror.conf', '[Unit]\nAfter=serve.service\n');
  await builder.addLocalFile('/usr/local/bin/serve', local);
  const config = builder.build();
  // The three encodings are all exercised.
  const sources = (config.storage?.files ?? []).map((file) => [
    file.path,
    file.contents?.compression,
  ]);
  assert.deepEqual(Object.fromEntries(sources)['/etc/hostmirror/large.txt'], 'gzip');
  const tree = await snapshot(await apply(config));
  const text = (path: string) => Buffer.from(tree[path]?.content ?? '', 'base64').toString('utf8');
  assert.equal(text('/etc/hostmirror/hello.txt'), 'hello world\n');
  assert.equal(tree['/etc/hostmirror/hello.txt']?.mode, 0o644);
  assert.deepEqual(Buffer.from(tree['/etc/hostmirror/blob.bin']?.content ?? '', 'base64'), binary);
  assert.equal(tree['/etc/hostmirror/blob.bin']?.mode, 0o600);
  assert.equal(text('/etc/hostmirror/large.txt'), large);
  assert.deepEqual(tree['/var/lib/hostmirror'], { type: 'dir', mode: 0o700 });
  assert.deepEqual(tree['/etc/hostmirror/hello-link'], {
    type: 'link',
    mode: 0o777,
    target: '/etc/hostmirror/hello.txt',
  });
  assert.equal(text('/usr/local/bin/serve'), '#!/bin/sh\necho from a local file\n');
  assert.equal(tree['/usr/local/bin/serve']?.mode, 0o755);
  assert.equal(text('/etc/systemd/system/serve.service'), serviceText);
  assert.equal(
    text('/etc/systemd/system/crio.service.d/10-after-mirror.conf'),
    '[Unit]\nAfter=serve.service\n',
  );
  assert.deepEqual(tree['/etc/systemd/system/masked.service'], {
    type: 'link',
    mode: 0o777,
    target: '/dev/null',
  });
  const presets = text('/etc/systemd/system-preset/20-ignition.preset')
    .split('\n')
    .filter(Boolean)
    .sort();
  assert.deepEqual(presets, ['disable unwanted.service', 'enable serve.service']);
});

test('ignition-apply refuses contents that do not match their verification hash', async () => {
  const config = new ConfigBuilder({ version: '3.3.0', verify: true })
    .addFile('/etc/x', 'right\n')
    .build();
  const file = config.storage?.files?.[0];
  assert.ok(file?.contents);
  file.contents = { ...file.contents, ...encodeDataUrl('wrong\n', { compress: 'never' }) };
  const root = join(folder, 'root-hash');
  await mkdir(root);
  const path = join(folder, 'hash.ign');
  await writeFile(path, serializeConfig(config));
  const result = await run(applyCommand, ['--offline', '--root', root, path], {
    env: { ...process.env, container: 'hostmirror-test' },
  });
  assert.notEqual(result.code, 0, 'a wrong hash must fail provisioning');
});

function dataUrlOf(config: IgnitionConfig): string {
  return encodeDataUrl(serializeConfig(config), { compress: 'never' }).source;
}

test('merge of a data-URL child: Ignition and renderConfig make the same tree (M7)', async () => {
  const child: IgnitionConfig = {
    ignition: { version: '3.0.0' },
    storage: {
      files: [
        { path: '/etc/a', mode: 0o600 },
        { path: '/etc/new', contents: { source: 'data:,new' } },
      ],
      links: [{ path: '/etc/b', target: '/etc/a' }],
    },
    systemd: {
      units: [
        { name: 'x.service', enabled: false },
        { name: 'y.service', dropins: [{ name: 'c.conf', contents: '[Unit]\nAfter=c\n' }] },
      ],
    },
  };
  const parent: IgnitionConfig = {
    ignition: { version: '3.3.0', config: { merge: [{ source: dataUrlOf(child) }] } },
    storage: {
      files: [
        { path: '/etc/a', mode: 0o644, contents: { source: 'data:,parent-a', compression: '' } },
        { path: '/etc/b', contents: { source: 'data:,parent-b' } },
        { path: '/etc/appended', contents: { source: 'data:,a' }, append: [{ source: 'data:,b' }] },
      ],
    },
    systemd: {
      units: [
        { name: 'x.service', enabled: true, contents: serviceText },
        { name: 'y.service', dropins: [{ name: 'p.conf', contents: '[Unit]\nAfter=p\n' }] },
      ],
    },
  };
  const rendered = renderConfig(parent);
  assert.equal(rendered.ignition.version, '3.3.0');
  const fromIgnition = await snapshot(await apply(parent));
  assert.deepEqual(await snapshot(await apply(rendered)), fromIgnition);
  assert.equal(fromIgnition['/etc/a']?.mode, 0o600);
  assert.equal(fromIgnition['/etc/b']?.type, 'link');
  assert.ok(fromIgnition['/etc/systemd/system/y.service.d/c.conf']);
  assert.ok(fromIgnition['/etc/systemd/system/y.service.d/p.conf']);
});

test('replace of a data-URL config: nothing of the parent survives (M8)', async () => {
  const replacement: IgnitionConfig = {
    ignition: { version: '3.2.0' },
    storage: { files: [{ path: '/etc/fromreplace', contents: { source: 'data:,r' } }] },
  };
  const parent: IgnitionConfig = {
    ignition: { version: '3.3.0', config: { replace: { source: dataUrlOf(replacement) } } },
    storage: { files: [{ path: '/etc/original', contents: { source: 'data:,o' } }] },
  };
  const fromIgnition = await snapshot(await apply(parent));
  assert.deepEqual(await snapshot(await apply(renderConfig(parent))), fromIgnition);
  assert.ok(fromIgnition['/etc/fromreplace']);
  assert.equal(fromIgnition['/etc/original'], undefined);
});

test('the same builder calls give the same tree for every spec 2.14 accepts', async () => {
  const trees = [];
  for (const version of ['3.0.0', '3.1.0', '3.2.0', '3.3.0']) {
    const config = new ConfigBuilder({ version, verify: true })
      .addFile('/etc/a.txt', 'a\n'.repeat(400), { mode: 0o640 })
      .addDirectory('/srv/x', { mode: 0o750 })
      .addLink('/srv/x/a', '/etc/a.txt')
      .addUnit('s.service', { contents: serviceText, enabled: true })
      .build();
    trees.push(await snapshot(await apply(config)));
  }
  for (const tree of trees.slice(1)) assert.deepEqual(tree, trees[0]);
  assert.equal(trees[0]?.['/etc/a.txt']?.mode, 0o640);
});
