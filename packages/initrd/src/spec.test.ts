import assert from 'node:assert/strict';
import { describe, it, test } from 'node:test';
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

  it('modesOnlyInOctal', () => {
    const mode = (text: string) =>
      parseOverlaySpec(`files: [{ path: /a, contents: x, mode: ${text} }]`).files[0]?.mode;
    assert.equal(mode('0755'), 0o755);
    assert.equal(mode('04755'), 0o4755);
    assert.equal(mode('0'), 0);
    assert.equal(mode('0o640'), 0o640);
    assert.equal(mode('"0600"'), 0o600);
    const parse = (text: string) => () =>
      parseOverlaySpec(`files:\n  - { path: /a, contents: x, mode: ${text} }\n`, {
        specPath: 'spec.yaml',
      });
    // 0999 is decimal 999 in YAML 1.1 (a sticky rwxr--rwx file); 493 is Ignition's 0755 but
    // 420 could be 0420 or 0644: decimal is refused, the message gives the octal spellings.
    for (const bad of ['0999', '0778', '493', '420', '755', '0x1ed', '010000', '"755"', '-1', 'rw'])
      assert.throws(parse(bad), expectSpecError('SPEC_INVALID', 2, 36), bad);
    assert.throws(parse('420'), /0420 if you meant octal, or 0644 if you meant decimal 420/);
    assert.throws(parse('493'), /0755 if you meant decimal 493/);
    assert.throws(
      () => parseOverlaySpec('directories: [{ path: /d, mode: 0888 }]', { specPath: 'spec.yaml' }),
      expectSpecError('SPEC_INVALID', 1, 33),
    );
  });

  it('refusesAFileUsedAsAFolder', () => {
    const text = 'files:\n  - { path: /etc/a, contents: a }\n  - { path: /etc/a/b, contents: b }\n';
    assert.throws(
      () => parseOverlaySpec(text, { specPath: 'spec.yaml' }),
      (error: unknown) =>
        expectSpecError('SPEC_INVALID', 3, 13)(error) &&
        /\/etc\/a\/b.*\/etc\/a, a file \(spec\.yaml:2:13\)/.test((error as Error).message),
    );
    // Deeper below, and with the file given after its would-be child.
    assert.throws(
      () =>
        parseOverlaySpec(
          'files:\n  - { path: /x/y/z, contents: a }\n  - { path: /x, contents: b }\n',
          { specPath: 'spec.yaml' },
        ),
      expectSpecError('SPEC_INVALID', 2, 13),
    );
  });

  it('refusesAPathBelowADeclaredSymlink', () => {
    const text =
      'symlinks:\n  - { path: /opt/l, target: /etc }\nfiles:\n  - { path: /opt/l/x, contents: a }\n';
    assert.throws(
      () => parseOverlaySpec(text, { specPath: 'spec.yaml' }),
      (error: unknown) =>
        expectSpecError('SPEC_INVALID', 4, 13)(error) &&
        /\/opt\/l\/x.*\/opt\/l, a symlink \(spec\.yaml:2:13\)/.test((error as Error).message),
    );
    assert.throws(
      () =>
        parseOverlaySpec(
          'symlinks:\n  - { path: /l, target: d }\ndirectories:\n  - { path: /l/d }\n',
          { specPath: 'spec.yaml' },
        ),
      expectSpecError('SPEC_INVALID', 4, 13),
    );
  });

  it('acceptsFilesBelowDeclaredDirectories', () => {
    const spec = parseOverlaySpec(
      'directories: [{ path: /etc/a }]\nfiles: [{ path: /etc/a/b, contents: b }]\nsymlinks: [{ path: /etc/a/c, target: b }]\n',
    );
    assert.equal(spec.files.length, 1);
  });
});

test('oversizedSpec: over 256 KiB is SPEC_INVALID before any YAML is parsed', () => {
  const big = `files:\n${'  - { path: /etc/x, contents: "x" }\n'.repeat(8000)}`;
  assert.ok(Buffer.byteLength(big) > 256 * 1024);
  assert.throws(
    () => parseOverlaySpec(big, { specPath: 'big.yaml' }),
    (error: unknown) =>
      error instanceof InitrdError &&
      error.code === 'SPEC_INVALID' &&
      /^big\.yaml: the spec is \d+ bytes, more than the 262144-byte limit/.test(error.message),
  );
});

test('hostileYaml: deep nesting, thousands of errors and a second document are one-line SPEC_SYNTAX errors (issue 20, tools/fuzz)', () => {
  const cases: [string, RegExp][] = [
    [
      `files: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`,
      /^spec\.yaml:1:\d+: collections nested too deeply to read/,
    ],
    [
      `files:\n${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(1 + (i % 5))}- path: /etc/x${i}\n`).join('')}`,
      /^spec\.yaml:\d+:\d+: /,
    ],
    ['files: []\n---\nfiles: []\n', /^spec\.yaml:2:1: the spec holds more than one YAML document/],
    ['files: []\ncompress: xz\nfiles: []\n', /^spec\.yaml:3:1: the key "files" appears twice/],
    // tools/fuzz seed 20 input 57984, reduced: yaml's CST parser overflowed its stack.
    [
      `files: [x\n${'  - path: /e\n'.repeat(5_000)}`,
      /^spec\.yaml:\d+:1: collections nested too deeply/,
    ],
    [`files: [${'a,'.repeat(100_000)}]\n`, /^spec\.yaml:1:1: more than 50000 YAML tokens/],
    // The one YAML reader refuses aliases in a file a person writes (@hostmirror/yaml-input).
    [
      'directories: [{ path: &d /etc/d }]\nsymlinks: [{ path: /l, target: *d }]\n',
      /^spec\.yaml:2:32: the alias \*d is refused/,
    ],
  ];
  for (const [text, message] of cases)
    assert.throws(
      () => parseOverlaySpec(text, { specPath: 'spec.yaml' }),
      (error: unknown) =>
        error instanceof InitrdError &&
        error.code === 'SPEC_SYNTAX' &&
        message.test(error.message) &&
        !error.message.includes('\n'),
    );
});
