import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MirrorFormatError } from './errors.ts';
import { readYaml, readYamlAll, YAML_MAX_ALIAS_COUNT } from './yaml-input.ts';

/** A billion-laughs document: each level doubles ten times over the one before. */
function aliasBomb(levels: number): string {
  const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let level = 1; level <= levels; level++) {
    const previous = `*a${level - 1}`;
    lines.push(`a${level}: &a${level} [${Array(10).fill(previous).join(', ')}]`);
  }
  return `${lines.join('\n')}\n`;
}

function typed(run: () => unknown): MirrorFormatError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof MirrorFormatError, String(error));
    return error;
  }
  assert.fail('no error');
}

describe('readYaml', () => {
  it('plainYaml11: values as openshift-install reads them', () => {
    assert.deepEqual(readYaml('a: yes\nmode: 0644\n', { path: 'f.yaml' }), { a: true, mode: 420 });
    assert.deepEqual(readYamlAll('a: 1\n---\nb: 2\n', { path: 'f.yaml' }), [{ a: 1 }, { b: 2 }]);
  });

  it('undefinedAlias: `x: *nope` is a typed error naming file, line and column', () => {
    const error = typed(() => readYaml('a: 1\nx: *nope\n', { path: 'install-config.yaml' }));
    assert.equal(error.code, 'YAML_ALIAS_REFUSED');
    assert.equal(error.line, 2);
    assert.equal(error.column, 4);
    assert.match(error.message, /^install-config\.yaml:2:4: the alias \*nope is refused/);
    const bounded = typed(() =>
      readYaml('x: *nope\n', { path: 'catalog.yaml', aliases: 'bounded' }),
    );
    assert.equal(bounded.code, 'YAML_INVALID');
    assert.match(bounded.message, /^catalog\.yaml:1:4: the alias \*nope names no anchor/);
  });

  it('aliasBomb: refused at its first alias, or past the bound when aliases are allowed', () => {
    const bomb = aliasBomb(9);
    const refused = typed(() => readYaml(bomb, { path: 'agent-config.yaml' }));
    assert.equal(refused.code, 'YAML_ALIAS_REFUSED');
    assert.equal(refused.line, 2);
    const started = performance.now();
    const bounded = typed(() => readYaml(bomb, { path: 'c.yaml', aliases: 'bounded' }));
    assert.ok(performance.now() - started < 1000);
    assert.equal(bounded.code, 'YAML_INVALID');
    assert.match(bounded.message, new RegExp(`more than ${YAML_MAX_ALIAS_COUNT} alias`));
    // A few aliases are fine where they are allowed.
    assert.deepEqual(readYaml('a: &x [1]\nb: *x\n', { path: 'c.yaml', aliases: 'bounded' }), {
      a: [1],
      b: [1],
    });
  });

  it('syntaxError: the line and column of the first error', () => {
    const error = typed(() => readYaml('a: 1\nb: [\n', { path: 'f.yaml' }));
    assert.equal(error.code, 'YAML_INVALID');
    assert.equal(error.path, 'f.yaml');
    assert.match(error.message, /^f\.yaml:\d+:\d+: .*; fix the YAML syntax there\.$/);
  });
});
