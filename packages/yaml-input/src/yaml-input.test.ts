import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LineCounter, parseAllDocuments, type YAMLParseError } from 'yaml';
import { YamlInputError } from './errors.ts';
import {
  parseYaml,
  readYaml,
  readYamlAll,
  YAML_MAX_ALIAS_COUNT,
  YAML_MAX_LEXEMES,
} from './yaml-input.ts';

/** A billion-laughs document: each level doubles ten times over the one before. */
function aliasBomb(levels: number): string {
  const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
  for (let level = 1; level <= levels; level++) {
    const previous = `*a${level - 1}`;
    lines.push(`a${level}: &a${level} [${Array(10).fill(previous).join(', ')}]`);
  }
  return `${lines.join('\n')}\n`;
}

function typed(run: () => unknown): YamlInputError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof YamlInputError, String(error));
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

describe('readYaml on hostile text (issue 20, tools/fuzz)', () => {
  it('firstErrorOfMany: a document with thousands of problems is refused at the first, as yaml orders them', () => {
    // A mapping whose every line starts one column further in: one error per line.
    const text = `kind: x\n${Array.from({ length: 3000 }, (_, i) => `${' '.repeat(1 + (i % 7))}k${i}: v\n`).join('')}`;
    const lines = new LineCounter();
    const all = parseAllDocuments(text, {
      version: '1.1',
      prettyErrors: false,
      lineCounter: lines,
    });
    const errors = (Array.isArray(all) ? all : [all]).flatMap((document) => document.errors);
    assert.ok(errors.length > 100, `yaml itself reports ${errors.length} errors`);
    const error = typed(() => readYaml(text, { path: 'cr.yaml' }));
    assert.equal(error.code, 'YAML_INVALID');
    const first = lines.linePos((errors[0] as YAMLParseError).pos[0]);
    assert.deepEqual([error.line, error.column], [first.line, first.col], error.message);
    assert.ok(error.message.startsWith(`cr.yaml:${first.line}:${first.col}: `), error.message);
    assert.ok(!error.message.includes('\n'), 'one line');
  });

  it('deepNesting: 5,000-10,000 nested collections are one typed error, not a stack trace', () => {
    for (const text of [
      `kind: ${'['.repeat(10_000)}1${']'.repeat(10_000)}\n`,
      `kind: ${'{a: '.repeat(5_000)}1${'}'.repeat(5_000)}\n`,
    ]) {
      const error = typed(() => readYaml(text, { path: 'deep.yaml' }));
      assert.equal(error.code, 'YAML_INVALID');
      assert.match(error.message, /^deep\.yaml:1:\d+: collections nested too deeply to read/);
      assert.ok(!error.message.includes('\n'), error.message);
    }
    // Nesting an ordinary document uses is read.
    assert.deepEqual(readYaml(`a: ${'['.repeat(50)}1${']'.repeat(50)}\n`, { path: 'f.yaml' }), {
      a: JSON.parse(`${'['.repeat(50)}1${']'.repeat(50)}`),
    });
  });

  it('tooManyLexemes: 1 MiB of a flow list is refused before it is composed (it exhausted a 192 MiB heap)', () => {
    const text = `k: [${'a,'.repeat(512 * 1024)}]\n`;
    const error = typed(() => readYaml(text, { path: 'install-config.yaml' }));
    assert.equal(error.code, 'YAML_INVALID');
    assert.match(
      error.message,
      new RegExp(`^install-config\\.yaml:1:1: more than ${YAML_MAX_LEXEMES} YAML tokens`),
    );
    // Just under the bound is read.
    const list = readYaml(`k: [${'a,'.repeat(10_000)}]\n`, { path: 'f.yaml' }) as { k: string[] };
    assert.equal(list.k.length, 10_000);
  });

  it('duplicateKeys: refused at the second, in one pass (yaml compares each key with every earlier one)', () => {
    const keys = 5_000;
    const text = `${Array.from({ length: keys }, (_, i) => `k${i}: v\n`).join('')}k7: again\n`;
    const cpu = process.cpuUsage();
    const error = typed(() => readYaml(text, { path: 'agent-config.yaml' }));
    const cpuMs = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000;
    assert.equal(error.code, 'YAML_INVALID');
    assert.equal(error.line, keys + 1);
    assert.match(error.message, /the key "k7" appears twice in one mapping/);
    // CPU time, not wall time: yaml's own check took 9 s for 25,000 keys (about 0.4 s for 5,000).
    assert.ok(cpuMs < 5_000, `${cpuMs} ms of CPU for ${keys} keys`);
    assert.deepEqual(readYaml('{a: 1, b: {a: 2}}', { path: 'f.yaml' }), { a: 1, b: { a: 2 } });
  });

  it('unclosedFlowList: block lines inside an unclosed `[` overflow the CST parser of yaml; one typed error at the line it stopped', () => {
    // tools/fuzz initrd-spec, seed 20, input 57984 (a mutated overlay spec) reduced: yaml's
    // Parser recurses once per line here and threw a bare RangeError.
    const text = `k: [x\n${'  - p: 1\n'.repeat(5_000)}`;
    const error = typed(() => readYaml(text, { path: 'idms.yaml' }));
    assert.equal(error.code, 'YAML_INVALID');
    assert.match(error.message, /^idms\.yaml:\d+:1: collections nested too deeply to read/);
    assert.ok(!error.message.includes('\n'), error.message);
  });

  it('errorInALaterDocument: reported with its own line', () => {
    const error = typed(() => readYamlAll('a: 1\n---\nb: 2\n---\nc: [\n', { path: 'm.yaml' }));
    assert.equal(error.code, 'YAML_INVALID');
    assert.ok((error.line ?? 0) >= 5, error.message);
  });
});

describe('parseYaml', () => {
  it('documentsAndPlaces: every document, and the line and column of any offset for the caller', () => {
    const text = 'a: 1\n---\nfiles:\n  - path: /x\n';
    const parsed = parseYaml(text, { path: 'spec.yaml' });
    assert.equal(parsed.documents.length, 2);
    assert.deepEqual(parsed.place(text.indexOf('path')), { line: 4, column: 5 });
    assert.deepEqual(parseYaml('', { path: 'empty.yaml' }).documents, []);
  });

  it('tooLargeFix: the caller says what to do about a text over the token bound', () => {
    const text = `k: [${'a,'.repeat(YAML_MAX_LEXEMES)}]\n`;
    const error = typed(() =>
      parseYaml(text, { path: 's.yaml', tooLargeFix: 'put large contents in files' }),
    );
    assert.equal(error.code, 'YAML_INVALID');
    assert.deepEqual([error.line, error.column], [1, 1]);
    assert.match(error.message, /; put large contents in files\.$/);
    assert.equal(error.fix, 'Put large contents in files.');
  });

  it('details: restated under another class, the place, subject, fix and cause are kept', () => {
    const error = typed(() => parseYaml('a: 1\na: 2\n', { path: 'c.yaml' }));
    assert.deepEqual(
      { ...error.details, cause: undefined },
      {
        path: 'c.yaml',
        line: 2,
        column: 1,
        subject: 'a',
        fix: 'Keep one of them.',
        cause: undefined,
      },
    );
    assert.equal(error.details.cause, error);
  });
});
