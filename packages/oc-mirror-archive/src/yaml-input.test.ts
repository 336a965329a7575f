/**
 * This package's YAML functions are `@hostmirror/yaml-input`'s (whose tests hold the rules);
 * here, that each refusal reaches callers as a `MirrorFormatError` of the same code and place.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { YamlInputError } from '@hostmirror/yaml-input';
import { parseDocument } from 'yaml';
import { MirrorFormatError } from './errors.ts';
import { parseYamlDocuments, readYaml, readYamlAll, yamlDocumentToJs } from './yaml-input.ts';

function typed(run: () => unknown): MirrorFormatError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof MirrorFormatError, String(error));
    assert.ok(error.cause instanceof YamlInputError, 'the reader’s error is the cause');
    return error;
  }
  assert.fail('no error');
}

test('refusalsAreMirrorFormatErrors: the same code, message, place, subject and fix', () => {
  const alias = typed(() => readYaml('a: 1\nx: *nope\n', { path: 'install-config.yaml' }));
  assert.equal(alias.code, 'YAML_ALIAS_REFUSED');
  assert.deepEqual([alias.path, alias.line, alias.column], ['install-config.yaml', 2, 4]);
  assert.equal(alias.subject, '*nope');
  assert.match(alias.message, /^install-config\.yaml:2:4: the alias \*nope is refused/);
  assert.equal(alias.fix, (alias.cause as YamlInputError).fix);
  const twice = typed(() => readYamlAll('a: 1\n---\nb: 1\nb: 2\n', { path: 'm.yaml' }));
  assert.equal(twice.code, 'YAML_INVALID');
  assert.equal(twice.line, 4);
  assert.equal(typed(() => parseYamlDocuments('a: [\n', { path: 'f.yaml' })).code, 'YAML_INVALID');
  const bomb = parseDocument(`a: &a [1]\nb: [${'*a, '.repeat(200)}*a]\n`);
  const expanded = typed(() => yamlDocumentToJs(bomb, { path: 'c.yaml', aliases: 'bounded' }));
  assert.equal(expanded.code, 'YAML_INVALID');
  assert.match(expanded.message, /alias expansions/);
});

test('readsAsBefore: YAML 1.1 values and every document', () => {
  assert.deepEqual(readYaml('a: yes\nmode: 0644\n', { path: 'f.yaml' }), { a: true, mode: 420 });
  assert.deepEqual(readYamlAll('a: 1\n---\nb: 2\n', { path: 'f.yaml' }), [{ a: 1 }, { b: 2 }]);
});
