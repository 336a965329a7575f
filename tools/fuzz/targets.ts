/**
 * What the fuzzer feeds: every reader and config parser of hostmirror, each with its seed
 * corpus (well-formed inputs plus the findings of the adversarial run of issue #20). A target
 * either returns or throws one of the project's typed errors (a class below, with a string
 * `code`); anything else is a crash.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isHostmirrorError } from '@hostmirror/errors';
import { readClusterConfig } from '../../packages/build-iso/src/cluster-config.ts';
import { readNewc } from '../../packages/cpio-stream/src/index.ts';
import {
  loadRegistriesConf,
  parseRegistriesConf,
  validateRegistriesConf,
} from '../../packages/host-config/src/index.ts';
import {
  mergeConfigs,
  serializeConfig,
  translateConfig,
  validateConfig,
} from '../../packages/ignition/src/index.ts';
import { parseOverlaySpec, readInitrd } from '../../packages/initrd/src/index.ts';
import {
  BufferSource,
  checkLayout,
  decodeEmbedArea,
  IsoImage,
  readCoreosMetadata,
  readCurrentKargs,
} from '../../packages/iso/src/index.ts';
import {
  MirrorArchive,
  parseClusterResourceFile,
  parseManifest,
} from '../../packages/oc-mirror-archive/src/index.ts';
import { type Corpus, seedCorpus } from './seeds.ts';

/**
 * A project error: a HostmirrorError (every package's error class extends it: IsoError,
 * NewcError, InitrdError, CodecError, MirrorFormatError, IgnitionError, BuildIsoError, …)
 * with a stable string code.
 */
export function isTypedError(error: unknown): boolean {
  return isHostmirrorError(error) && typeof error.code === 'string' && error.code !== '';
}

export interface Target {
  name: string;
  kind: 'binary' | 'text';
  what: string;
  /**
   * Mutated inputs are cut to this many bytes, except one in `WHOLE_EVERY` (mutate.ts); the
   * seed corpus never is. The YAML targets set it: the yaml library reads about 1.5 MB/s, so a
   * target fed the mutator's 1 MiB repeats spends nearly all its time on its largest inputs
   * (tools/fuzz/README.md).
   */
  maxInputBytes?: number;
  run(input: Buffer): Promise<void>;
}

/**
 * The cut for YAML targets: 16 KiB is 16 times the largest seed and still nests collections
 * 16,384 deep (yaml's stack gives out near 1,000 levels).
 */
export const YAML_FUZZ_MAX_INPUT_BYTES = 16 * 1024;

async function* once(bytes: Buffer): AsyncGenerator<Buffer> {
  yield bytes;
}

/** Run `step`, letting typed errors through as results (a later step may still run). */
async function typed(step: () => unknown): Promise<void> {
  try {
    await step();
  } catch (error) {
    if (!isTypedError(error)) throw error;
  }
}

/** The targets, with the scratch folder the archive target writes its one chunk into. */
export async function makeTargets(): Promise<{
  targets: Target[];
  corpus: Corpus;
  dispose: () => Promise<void>;
}> {
  const corpus = await seedCorpus();
  const scratch = await mkdtemp(join(tmpdir(), 'hm-fuzz-'));
  const chunk = join(scratch, 'mirror_000001.tar');
  const demoInstall = corpus.installConfig[0] as Buffer;
  const demoAgent = corpus.agentConfig[0] as Buffer;
  const targets: Target[] = [
    {
      name: 'cpio',
      kind: 'binary',
      what: 'newc reader (cpio-stream readNewc), every body read',
      async run(input) {
        await typed(async () => {
          for await (const entry of readNewc(once(input))) for await (const _ of entry.body());
        });
      },
    },
    {
      name: 'initrd',
      kind: 'binary',
      what: 'multi-segment initrd reader (initrd readInitrd: gzip/xz/zstd/plain segments)',
      async run(input) {
        await typed(() => readInitrd(once(input)));
      },
    },
    {
      name: 'iso',
      kind: 'binary',
      what: 'ISO 9660 reader and CoreOS metadata (what iso inspect reads)',
      async run(input) {
        await typed(async () => {
          const image = await IsoImage.fromSource(new BufferSource(input));
          await typed(() => image.entries('joliet'));
          await typed(() => image.bootCatalog());
          await typed(() => checkLayout(image));
          const metadata = await readCoreosMetadata(image);
          const area = await image.source.read(metadata.ignition.offset, metadata.ignition.length);
          await typed(() => decodeEmbedArea(area, metadata.ignition.offset));
          if (metadata.kargs !== undefined)
            await typed(() =>
              readCurrentKargs(image, metadata.kargs as NonNullable<typeof metadata.kargs>),
            );
          if (metadata.initrd !== undefined)
            await typed(() =>
              readInitrd(image.fileChunks(metadata.initrd as NonNullable<typeof metadata.initrd>)),
            );
        });
      },
    },
    {
      name: 'archive',
      kind: 'binary',
      what: 'oc-mirror archive index (tar headers, manifests, completeness, cluster resources)',
      async run(input) {
        await writeFile(chunk, input);
        await typed(async () => {
          const archive = await MirrorArchive.open([chunk]);
          await typed(() => archive.checkCompleteness());
          await typed(() => archive.readClusterResources());
        });
      },
    },
    {
      name: 'manifest',
      kind: 'text',
      what: 'image manifest / index JSON (oc-mirror-archive parseManifest)',
      async run(input) {
        await typed(() => parseManifest(input));
      },
    },
    {
      name: 'initrd-spec',
      maxInputBytes: YAML_FUZZ_MAX_INPUT_BYTES,
      kind: 'text',
      what: 'overlay spec YAML (initrd parseOverlaySpec)',
      async run(input) {
        await typed(() => parseOverlaySpec(input.toString('utf8'), { specPath: 'fuzz.yaml' }));
      },
    },
    {
      name: 'ignition',
      kind: 'text',
      what: 'Ignition parse + validate, then translate, merge and serialize what is valid',
      async run(input) {
        const report = validateConfig(input);
        const config = report.config;
        if (!report.valid || config === undefined) return;
        await typed(() => serializeConfig(translateConfig(config, '3.4.0')));
        await typed(() => serializeConfig(mergeConfigs(config, config)));
      },
    },
    {
      name: 'cluster-config',
      maxInputBytes: YAML_FUZZ_MAX_INPUT_BYTES,
      kind: 'text',
      what: 'install-config.yaml and agent-config.yaml (build-iso readClusterConfig), each fuzzed against the other demo file',
      async run(input) {
        const text = input.toString('utf8');
        await typed(() =>
          readClusterConfig(
            { text, file: 'install-config.yaml' },
            { text: demoAgent.toString(), file: 'agent-config.yaml' },
          ),
        );
        await typed(() =>
          readClusterConfig(
            { text: demoInstall.toString(), file: 'install-config.yaml' },
            { text, file: 'agent-config.yaml' },
          ),
        );
      },
    },
    {
      name: 'cluster-resources',
      maxInputBytes: YAML_FUZZ_MAX_INPUT_BYTES,
      kind: 'text',
      what: "an archive's cluster-resources YAML (IDMS/ITMS/CatalogSource: parseClusterResourceFile)",
      async run(input) {
        await typed(() => parseClusterResourceFile('idms-oc-mirror.yaml', input.toString('utf8')));
      },
    },
    {
      name: 'registries-conf',
      kind: 'text',
      what: 'registries.conf (containers/image rules, and the strict validator)',
      async run(input) {
        const text = input.toString('utf8');
        await typed(() => loadRegistriesConf(text));
        await typed(() => parseRegistriesConf(text));
        await typed(() => validateRegistriesConf(text));
      },
    },
  ];
  return { targets, corpus, dispose: () => rm(scratch, { recursive: true, force: true }) };
}

export function corpusFor(corpus: Corpus, target: string): Buffer[] {
  const entries = corpus[target as keyof Corpus];
  if (entries === undefined) throw new Error(`no seed corpus for target ${target}`);
  return entries;
}
