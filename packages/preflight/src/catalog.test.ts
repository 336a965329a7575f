import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { catalogBundles, catalogConfigsDir } from './catalog.ts';
import { MirrorCheckError } from './errors.ts';

const D = `sha256:${'ab'.repeat(32)}`;

function files(entries: Record<string, string>): Map<string, Buffer> {
  return new Map(Object.entries(entries).map(([path, text]) => [path, Buffer.from(text)]));
}

describe('file-based catalogs', () => {
  test('readsBundlesFromAJsonStreamAndYaml', () => {
    const bundles = catalogBundles(
      files({
        'configs/a/catalog.json': `{"schema":"olm.package","name":"a"}
{"schema":"olm.bundle","name":"a.v1","package":"a","image":"r.io/a/bundle@${D}",
 "relatedImages":[{"name":"","image":"r.io/a/bundle@${D}"},{"name":"op","image":"r.io/a/op@${D}"}],
 "properties":[{"type":"olm.bundle.object","value":{"data":"e30= with } and { and \\" inside"}}]}`,
        'configs/b/catalog.yaml': `---
schema: olm.package
name: b
---
schema: olm.bundle
name: b.v2
package: b
image: r.io/b/bundle:v2
`,
        'configs/README.md': 'not a catalog {',
      }),
    );
    assert.deepEqual(
      bundles.map((bundle) => [
        bundle.package,
        bundle.name,
        bundle.image,
        bundle.relatedImages.length,
      ]),
      [
        ['a', 'a.v1', `r.io/a/bundle@${D}`, 2],
        ['b', 'b.v2', 'r.io/b/bundle:v2', 0],
      ],
    );
  });

  test('configsFolderComesFromTheImageLabel', () => {
    assert.equal(
      catalogConfigsDir({
        config: { Labels: { 'operators.operatorframework.io.index.configs.v1': '/catalog/' } },
      }),
      'catalog',
    );
    assert.equal(catalogConfigsDir({ config: {} }), 'configs');
  });

  const broken: [string, string][] = [
    ['unterminated object', '{"schema":"olm.bundle"'],
    ['garbage between objects', '{"a":1} x {"b":2}'],
    ['bundle without image', '{"schema":"olm.bundle","name":"x"}'],
  ];
  for (const [name, text] of broken)
    test(`refuses ${name} naming the file`, () => {
      assert.throws(
        () => catalogBundles(files({ 'configs/x/catalog.json': text })),
        (error) =>
          error instanceof MirrorCheckError &&
          error.code === 'CATALOG_INVALID' &&
          error.subject === 'configs/x/catalog.json',
      );
    });
});
