import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BootSequenceError } from './errors.ts';
import {
  type InventoryArchive,
  inventoryEntries,
  isReservedRepository,
  renderInventory,
  requireNoReservedRepository,
  sha256Hex,
} from './inventory.ts';

const d = (c: string) => `sha256:${c.repeat(64)}`;

/** An archive index as oc-mirror-archive's MirrorArchive answers it. */
function archiveOf(
  repositories: Record<string, { manifests: string[]; tags?: Record<string, string> }>,
): InventoryArchive {
  return {
    repositories: () => Object.keys(repositories).sort(),
    manifests: (name) => [...(repositories[name]?.manifests ?? [])].sort(),
    tags: (name) =>
      Object.entries(repositories[name]?.tags ?? {})
        .map(([tag, digest]) => ({ tag, digest }))
        .sort((a, b) => (a.tag < b.tag ? -1 : 1)),
  };
}

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof BootSequenceError, String(error));
    return error.code;
  }
  return 'none';
}

describe('inventory', () => {
  test('everyManifestAndTag: each repository by digest, then its tags with their digests, skip-repositories left out', () => {
    const archive = archiveOf({
      'openshift/release-images': { manifests: [d('1')], tags: { '4.14.3-x86_64': d('1') } },
      'openshift/release': {
        manifests: [d('3'), d('2')],
        tags: { '4.14.3-x86_64-etcd': d('2'), '4.14.3-x86_64-cli': d('3') },
      },
      'stale/cache': { manifests: [d('9')] },
    });
    const text = renderInventory(inventoryEntries(archive, ['stale/cache']));
    assert.equal(
      text,
      [
        `openshift/release ${d('2')}`,
        `openshift/release ${d('3')}`,
        `openshift/release ${d('3')} 4.14.3-x86_64-cli`,
        `openshift/release ${d('2')} 4.14.3-x86_64-etcd`,
        `openshift/release-images ${d('1')}`,
        `openshift/release-images ${d('1')} 4.14.3-x86_64`,
        '',
      ].join('\n'),
    );
    // Same archive, same bytes: the digest in the master MachineConfig is stable.
    assert.equal(
      sha256Hex(renderInventory(inventoryEntries(archive, ['stale/cache']))),
      sha256Hex(text),
    );
    assert.match(sha256Hex(text), /^[0-9a-f]{64}$/);
  });

  test('reserved: an archive using hostmirror-internal/ is refused, naming the repository', () => {
    assert.ok(isReservedRepository('hostmirror-internal/sync'));
    assert.ok(isReservedRepository('hostmirror-internal'));
    assert.ok(!isReservedRepository('hostmirror-internals/x'));
    const taken = archiveOf({ 'hostmirror-internal/sync': { manifests: [d('1')] } });
    assert.equal(
      codeOf(() => inventoryEntries(taken)),
      'BOOT_RESERVED_REPOSITORY',
    );
    try {
      requireNoReservedRepository(taken);
      assert.fail('not refused');
    } catch (error) {
      assert.ok(error instanceof BootSequenceError);
      assert.equal(error.subject, 'hostmirror-internal/sync');
      assert.match(error.message, /'hostmirror-internal\/sync'/);
    }
  });

  test('damaged: a tag whose manifest the archive lacks, or a digest that is not sha256, is refused', () => {
    assert.equal(
      codeOf(() =>
        inventoryEntries(archiveOf({ a: { manifests: [d('1')], tags: { t: d('2') } } })),
      ),
      'BOOT_BAD_ARCHIVE',
    );
    assert.equal(
      codeOf(() =>
        inventoryEntries(archiveOf({ a: { manifests: [`sha512:${'1'.repeat(128)}`] } })),
      ),
      'BOOT_BAD_DIGEST',
    );
  });
});
