/**
 * Without --registry-binary, build-iso takes the registry program from the release itself: the
 * `docker-registry` component's `/usr/bin/distribution` (OpenShift 4.21+, as openshift/appliance
 * runs it). The test archive is built here with a real Go program, Debian's docker-registry, as
 * that file of the component image's last layer.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { INITRD_REGISTRY_BINARY } from '@hostmirror/boot-sequence';
import { buildMirrorIso } from '@hostmirror/build-iso';
import { makeDemoArchive, requireTool } from '@hostmirror/fixtures';
import { readInitrdFile } from '../../packages/initrd/src/index.ts';
import { CoreosIso } from '../../packages/iso/src/index.ts';
import { demoInputs, FIXED_EPOCH, optionsFor } from './support.ts';

let work: string;
let inputs: Awaited<ReturnType<typeof demoInputs>>['inputs'];

before(async () => {
  ({ work, inputs } = await demoInputs('payload-registry'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

test("no --registry-binary: the release's docker-registry /usr/bin/distribution is streamed out of the archive and embedded", async () => {
  const program = await readFile(await requireTool('docker-registry'));
  const made = makeDemoArchive(FIXED_EPOCH, { registryProgram: program });
  const archive = join(work, 'mirror_000001.tar');
  await writeFile(archive, made.bytes);
  const registryImage = made.components.find((image) => image.tag.endsWith('-docker-registry'));
  assert.ok(registryImage);
  const output = join(work, 'payload.iso');
  const { report } = await buildMirrorIso(
    optionsFor(inputs, output, {
      mirror: [archive],
      registryBinary: undefined,
      // Nothing to fall back on: the program can only come from the release.
      defaultRegistryBinary: join(work, 'no-such-registry'),
      allowMissingRegistry: false,
    }),
  );
  assert.equal(report.registry.source, 'payload');
  assert.deepEqual(
    {
      component: report.registry.payload?.component,
      repository: report.registry.payload?.repository,
      digest: report.registry.payload?.digest,
      file: report.registry.payload?.file,
    },
    {
      component: 'docker-registry',
      repository: registryImage.repository,
      digest: registryImage.digest,
      file: '/usr/bin/distribution',
    },
  );
  assert.match(report.registry.payload?.reference ?? '', /@sha256:[0-9a-f]{64}$/);
  // The report's digest is the program's, and the ISO's initrd carries exactly those bytes.
  assert.equal(report.inputs.registryProgram?.sha256, sha256(program));
  assert.equal(report.inputs.registryProgram?.size, program.length);
  const iso = await CoreosIso.open(output);
  const initrd = iso.metadata.initrd;
  assert.ok(initrd);
  const embedded = await readInitrdFile(
    iso.image.fileChunks(initrd),
    INITRD_REGISTRY_BINARY.slice(1),
  );
  assert.ok(embedded !== undefined, 'the overlay carries the registry program');
  assert.equal(sha256(embedded), sha256(program));
  assert.equal(report.registry.vetting?.linkage, 'dynamic');
});

test('a release without the docker-registry component falls back to the default program, saying why', async () => {
  const { report } = await buildMirrorIso(
    optionsFor(inputs, join(work, 'fallback.iso'), {
      registryBinary: undefined,
      defaultRegistryBinary: await requireTool('busybox'),
    }),
  );
  assert.equal(report.registry.source, 'default');
  assert.ok(
    report.warnings.some((warning) =>
      /release's own registry program was not used \(the release names no docker-registry component\)/.test(
        warning,
      ),
    ),
    report.warnings.join('\n'),
  );
});
