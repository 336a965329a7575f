import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InitrdError, parseOverlaySpec } from './index.ts';

function expectSpecError(code: string, line: number, column?: number) {
  return (error: unknown) => {
    assert.ok(error instanceof InitrdError, String(error));
    assert.equal(error.code, code);
    assert.equal(error.file, 'spec.yaml');
    assert.equal(error.line, line);
    if (column !== undefined) assert.equal(error.column, column);
    return true;
  };
}

describe('overlay spec', () => {
  it('readsTheDesignExampleWithYaml11Octal', () => {
    const spec = parseOverlaySpec(
      [
        'compress: zstd            # gzip | xz | zstd | none',
        'files:',
        '  - path: /usr/local/bin/registry',
        '    source: ./registry',
        '    mode: 0755',
        '  - path: /etc/hostmirror/config.yml',
        '    contents: "version: 0.1\\n"',
        'directories: [{ path: /etc/hostmirror, mode: 0755 }]',
        'symlinks: [{ path: /usr/local/bin/reg, target: registry }]',
      ].join('\n'),
      { specPath: 'spec.yaml' },
    );
    assert.equal(spec.compress, 'zstd');
    assert.deepEqual(spec.files[0], {
      path: '/usr/local/bin/registry',
      source: './registry',
      mode: 0o755,
    });
    assert.deepEqual(spec.files[1], {
      path: '/etc/hostmirror/config.yml',
      contents: 'version: 0.1\n',
    });
    assert.deepEqual(spec.directories, [{ path: '/etc/hostmirror', mode: 0o755 }]);
    assert.deepEqual(spec.symlinks, [{ path: '/usr/local/bin/reg', target: 'registry' }]);
  });

  it('defaultsAndQuotedModes', () => {
    const spec = parseOverlaySpec("files: [{ path: /a, contents: x, mode: '0600' }]");
    assert.equal(spec.compress, 'zstd');
    assert.equal(spec.files[0]?.mode, 0o600);
  });

  it('errorsGiveFileLineColumn', () => {
    const parse = (text: string) => () => parseOverlaySpec(text, { specPath: 'spec.yaml' });
    assert.throws(
      parse('compress: zstd\nfiles:\n  - path: /a\n    contnets: x\n'),
      expectSpecError('SPEC_INVALID', 4, 5),
    );
    assert.throws(
      parse('files:\n  - path: /a\n    contents: x\n    mode: 755\n'),
      expectSpecError('SPEC_INVALID', 4, 11),
    );
    assert.throws(
      parse('files:\n  - path: /a\n    contents: x\n    source: ./a\n'),
      expectSpecError('SPEC_INVALID', 2, 5),
    );
    assert.throws(parse('compress: lz4\n'), expectSpecError('SPEC_INVALID', 1, 11));
    assert.throws(
      parse('files:\n  - path: /a\n    contents: x: y\n'),
      expectSpecError('SPEC_SYNTAX', 3, 15),
    );
    assert.throws(
      parse('files:\n  - { path: /a, contents: x }\nsymlinks:\n  - { path: a, target: b }\n'),
      expectSpecError('SPEC_INVALID', 4, 13),
    );
    assert.throws(
      parse('files:\n  - { path: ../etc/passwd, contents: x }\n'),
      expectSpecError('SPEC_INVALID', 2, 13),
    );
    assert.throws(
      parse('files:\n  - { path: /a, contents: 12 }\n'),
      expectSpecError('SPEC_INVALID', 2, 27),
    );
  });
});
