import assert from 'node:assert/strict';
import { readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixtureFile, scratchDir } from '@hostmirror/fixtures';
import { CoreosIso } from './coreos-iso.ts';
import { journalPath } from './journal.ts';
import { lockNotePath } from './lock.ts';

test('plantedLinks: a symlink planted as the journal or the lock note is replaced, never written through', async () => {
  const dir = await scratchDir('planted');
  try {
    const iso = await fixtureFile('embed-areas-2023-07.x86_64', dir.path);
    const victim = join(dir.path, 'victim');
    await writeFile(victim, 'precious\n');
    await symlink(victim, `${journalPath(iso)}.tmp`);
    await symlink(victim, lockNotePath(iso));
    const opened = await CoreosIso.open(iso, { lock: { command: 'iso test' } });
    try {
      await opened.write(await opened.planKargs({ append: ['a=1'] }), { kind: 'in-place' });
    } finally {
      await opened.close();
    }
    assert.equal(await readFile(victim, 'utf8'), 'precious\n');
    assert.deepEqual((await readdir(dir.path)).sort(), [
      'embed-areas-2023-07.x86_64.iso',
      'victim',
    ]);
    const check = await CoreosIso.open(iso);
    try {
      assert.match((await check.currentKargs()) ?? '', / a=1$/);
    } finally {
      await check.close();
    }
  } finally {
    await dir.dispose();
  }
});
