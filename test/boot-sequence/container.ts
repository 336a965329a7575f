/**
 * Roots that systemd-nspawn boots with this machine's own systemd as PID 1: /usr comes from
 * this machine (bound read-only, all of it but /usr/local, which stays the root's own).
 */
import { copyFile, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The host folders a container borrows, read-only (all of /usr but /usr/local). */
export const HOST_USR = ['bin', 'sbin', 'lib', 'lib64', 'libexec', 'share'] as const;

/** Make `root` bootable: the usual top folders, /usr links, users, os-release and the containers policy. */
export async function makeContainerRoot(root: string): Promise<void> {
  for (const folder of [
    'etc/systemd/system',
    'etc/containers',
    'root',
    'srv',
    'var/tmp',
    'tmp',
    'usr/local/bin',
  ])
    await mkdir(join(root, folder), { recursive: true });
  for (const name of ['bin', 'sbin', 'lib', 'lib64'])
    await symlink(`usr/${name}`, join(root, name));
  await writeFile(join(root, 'etc/machine-id'), '');
  for (const file of ['passwd', 'group', 'os-release'])
    await writeFile(join(root, 'etc', file), await readFile(join('/etc', file)));
  await copyFile('/etc/containers/policy.json', join(root, 'etc/containers/policy.json'));
  await copyAlternatives(root);
}

/**
 * Debian's commands such as awk are /usr/bin links into /etc/alternatives (awk → mawk): the
 * borrowed /usr needs the machine's alternatives links, or `awk` is "command not found".
 */
async function copyAlternatives(root: string): Promise<void> {
  const folder = join(root, 'etc/alternatives');
  await mkdir(folder, { recursive: true });
  for (const name of await readdir('/etc/alternatives')) {
    const target = await readlink(join('/etc/alternatives', name)).catch(() => undefined);
    if (target !== undefined) await symlink(target, join(folder, name));
  }
}

/** Enable units into `target` as Ignition's `enabled: true` (a preset) would: `<target>.wants/` links. */
export async function enableUnits(
  root: string,
  target: string,
  units: readonly string[],
): Promise<void> {
  const wants = join(root, 'etc/systemd/system', `${target}.wants`);
  await mkdir(wants, { recursive: true });
  for (const unit of units) await symlink(`/etc/systemd/system/${unit}`, join(wants, unit));
}

/** The systemd-nspawn arguments that boot `root` to multi-user.target with the console on a pipe. */
export function nspawnBootArguments(root: string, extra: readonly string[] = []): string[] {
  return [
    '-q',
    '-D',
    root,
    ...HOST_USR.map((folder) => `--bind-ro=/usr/${folder}`),
    '--register=no',
    '--keep-unit',
    ...extra,
    '--boot',
    '--console=pipe',
    'systemd.unit=multi-user.target',
  ];
}

/** The same as one shell command line (the paths the tests make have no shell specials). */
export function nspawnBootCommand(
  nspawn: string,
  root: string,
  extra: readonly string[] = [],
): string {
  return [nspawn, ...nspawnBootArguments(root, extra)].join(' ');
}
