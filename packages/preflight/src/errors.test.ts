import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRegistriesConf } from '@hostmirror/host-config';
import { MirrorFormatError, parseImageReference } from '@hostmirror/oc-mirror-archive';
import { asCheckError, MirrorCheckError } from './errors.ts';

function thrown(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  assert.fail('expected a throw');
}

describe('asCheckError', () => {
  it('relabelsFormatFailuresTheCheckReports', () => {
    const reference = asCheckError(thrown(() => parseImageReference('quay.io/UPPER:1')));
    assert.ok(reference instanceof MirrorCheckError);
    assert.equal(reference.code, 'BAD_REFERENCE');
    assert.equal(reference.subject, 'quay.io/UPPER:1');
    const conf = asCheckError(thrown(() => loadRegistriesConf('[[registry]]\ninsecure = true\n')));
    assert.equal(conf?.code, 'REGISTRIES_CONF_INVALID');
    const conflict = asCheckError(
      thrown(() =>
        loadRegistriesConf(
          '[[registry]]\nprefix = "a.io/x"\nlocation = "m.io"\n[[registry]]\nprefix = "a.io/y"\nlocation = "m.io"\nblocked = true\n',
        ),
      ),
    );
    assert.equal(conflict?.code, 'REGISTRIES_CONF_CONFLICT');
  });

  it('leavesOtherErrorsAlone', () => {
    assert.equal(asCheckError(new MirrorFormatError('TAR_TRUNCATED', 'x')), undefined);
    assert.equal(asCheckError(new Error('x')), undefined);
    const own = new MirrorCheckError('BLOB_MISSING', 'x');
    assert.equal(asCheckError(own), own);
  });
});
