import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeArchiveMember, REGISTRY_ROOT } from './archive-member.ts';

// The table of cases both sides must agree on, through real GNU tar and bash, is
// test/mirror/archive-member-rule.test.ts; these pin the verdicts' details.
describe('judgeArchiveMember', () => {
  it('unpackPathResolved: a registry member is unpacked at its resolved path', () => {
    assert.deepEqual(
      judgeArchiveMember({ storedName: `${REGISTRY_ROOT}/./blobs//x`, type: 'file' }),
      { verdict: 'unpack', path: `${REGISTRY_ROOT}/blobs/x` },
    );
    assert.deepEqual(judgeArchiveMember({ storedName: `${REGISTRY_ROOT}/.`, type: 'directory' }), {
      verdict: 'unpack',
      path: REGISTRY_ROOT,
    });
  });

  it('skipOutsideTree: working-dir and folders above the root are not unpacked', () => {
    for (const storedName of ['working-dir/cluster-resources/x.yaml', 'docker/', './'])
      assert.equal(
        judgeArchiveMember({
          storedName,
          type: storedName.endsWith('/') ? 'directory' : 'file',
        }).verdict,
        'skip',
      );
  });

  it('linkOnPath: the issue’s symlink named exactly the registry root is refused, saying why', () => {
    const verdict = judgeArchiveMember({
      storedName: REGISTRY_ROOT,
      type: 'symlink',
      linkName: '/root',
    });
    assert.equal(verdict.verdict, 'refuse');
    assert.ok(verdict.verdict === 'refuse');
    assert.equal(verdict.rule, 'link-on-registry-path');
    assert.match(verdict.why, /symlink to "\/root" on the path to the registry root/);
  });

  it('nul: a name with a NUL byte is refused', () => {
    const verdict = judgeArchiveMember({ storedName: 'docker/a\0b', type: 'file' });
    assert.ok(verdict.verdict === 'refuse' && verdict.rule === 'unreadable-name');
  });

  it('emptyName: a file named "./" is refused; a folder named "./" is the root, skipped', () => {
    const file = judgeArchiveMember({ storedName: './', type: 'file' });
    assert.ok(file.verdict === 'refuse' && file.rule === 'empty-name');
    assert.equal(judgeArchiveMember({ storedName: '.', type: 'directory' }).verdict, 'skip');
  });
});
