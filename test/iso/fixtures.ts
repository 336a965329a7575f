/**
 * The coreos-installer fixture ISOs (test/fixtures/coreos-installer, xz-compressed) and
 * what coreos-installer reports for each (docs/coreos-iso.md#fixtures and its embed.rs tests):
 * the Ignition embed area and the kargs areas. Offsets are bytes in the decompressed ISO.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDecompressor } from '../../packages/codecs/src/index.ts';
import { coreosInstallerFixtures } from '../support/paths.ts';

export interface FixtureFacts {
  name: string;
  size: number;
  volumeId: string;
  ignition: { file: string; offset: number; length: number };
  kargs?: { size: number; offsets: number[]; default: string; pad: string; origin: string };
  features: string[];
}

const fcos = (version: string) =>
  `mitigations=auto,nosmt coreos.liveiso=fedora-coreos-${version} ignition.firstboot ignition.platform.id=metal`;
const x86Features = ['installer-config', 'installer-config-directives', 'live-initrd-network'];

/** Ignition LBAs from the docs/coreos-iso.md#fixtures table (×2048); kargs from kargs.json, the coreKarg header and embed.rs asserts. */
export const fixtureFacts: FixtureFacts[] = [
  {
    name: 'embed-areas-2020-09',
    size: 669696,
    volumeId: 'rhcos-46.82.202112161843-0',
    ignition: { file: 'images/ignition.img', offset: 92160, length: 262144 },
    features: [],
  },
  {
    name: 'embed-areas-2021-01',
    size: 675840,
    volumeId: 'rhcos-47.84.202112162337-0',
    ignition: { file: 'images/ignition.img', offset: 96256, length: 262144 },
    kargs: {
      size: 1131,
      offsets: [94026, 365415],
      default:
        'random.trust_cpu=on coreos.liveiso=rhcos-47.84.202112162337-0 ignition.firstboot ignition.platform.id=metal',
      pad: '#',
      origin: 'coreKarg header',
    },
    features: [],
  },
  {
    name: 'embed-areas-2021-09',
    size: 681984,
    volumeId: 'fedora-coreos-34.20210921.dev.0',
    ignition: { file: 'images/ignition.img', offset: 102400, length: 262144 },
    kargs: {
      size: 1139,
      offsets: [98126, 371658],
      default: fcos('34.20210921.dev.0'),
      pad: '#',
      origin: 'kargs.json',
    },
    features: [],
  },
  {
    name: 'embed-areas-2021-12',
    size: 741376,
    volumeId: 'fedora-coreos-35.20211216.dev.0',
    ignition: { file: 'images/ignition.img', offset: 79 * 2048, length: 262144 },
    kargs: {
      size: 1139,
      offsets: [139086, 431050],
      default: fcos('35.20211216.dev.0'),
      pad: '#',
      origin: 'kargs.json',
    },
    features: ['installer-config', 'live-initrd-network'],
  },
  {
    name: 'embed-areas-2022-02',
    size: 1048576,
    volumeId: 'fedora-coreos-35.20220217.dev.0',
    ignition: { file: 'images/ignition.img', offset: 78 * 2048, length: 262144 },
    kargs: {
      size: 1139,
      offsets: [137038, 429002],
      default: fcos('35.20220217.dev.0'),
      pad: '#',
      origin: 'kargs.json',
    },
    features: ['installer-config', 'live-initrd-network'],
  },
  {
    name: 'embed-areas-2022-09',
    size: 1048576,
    volumeId: 'fedora-coreos-36.20220909.dev.0',
    ignition: { file: 'images/ignition.img', offset: 78 * 2048, length: 262144 },
    kargs: {
      size: 1139,
      offsets: [137038, 429002],
      default: fcos('36.20220909.dev.0'),
      pad: '#',
      origin: 'kargs.json',
    },
    features: x86Features,
  },
  {
    name: 'embed-areas-2023-03.x86_64',
    size: 1048576,
    volumeId: 'fedora-coreos-37.20230306.dev.0',
    ignition: { file: 'images/ignition.img', offset: 77 * 2048, length: 262144 },
    kargs: {
      size: 1139,
      offsets: [427853, 431050],
      default: fcos('37.20230306.dev.0'),
      pad: '#',
      origin: 'kargs.json',
    },
    features: x86Features,
  },
  {
    name: 'embed-areas-2023-03.s390x',
    size: 946176,
    volumeId: 'fedora-coreos-37.20230307.dev.0',
    ignition: { file: 'images/cdboot.img', offset: 35 * 2048 + 132096, length: 262144 },
    features: x86Features,
  },
  {
    name: 'embed-areas-2023-07.x86_64',
    size: 1048576,
    volumeId: 'fedora-coreos-38.20230718.dev.0',
    ignition: { file: 'images/ignition.img', offset: 68 * 2048, length: 262144 },
    kargs: {
      size: 1139,
      offsets: [66 * 2048 + 1869, 199 * 2048 + 970],
      default: fcos('38.20230718.dev.0'),
      pad: '#',
      origin: 'kargs.json',
    },
    features: x86Features,
  },
  {
    name: 'embed-areas-2023-07.s390x',
    size: 948224,
    volumeId: 'fedora-coreos-38.20230718.dev.0',
    ignition: { file: 'images/cdboot.img', offset: 35 * 2048 + 132096, length: 262144 },
    kargs: {
      size: 896,
      offsets: [35 * 2048 + 66688],
      default: fcos('38.20230718.dev.0'),
      pad: '\0',
      origin: 'kargs.json',
    },
    features: x86Features,
  },
];

/** Decompress one fixture (`name` without `.iso.xz`) into memory. */
export async function fixtureBytes(name: string): Promise<Buffer> {
  const decompressor = await createDecompressor('xz');
  createReadStream(join(coreosInstallerFixtures, `${name}.iso.xz`)).pipe(decompressor);
  const chunks: Buffer[] = [];
  for await (const chunk of decompressor) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** A temporary folder; `dispose()` removes it. */
export async function scratchDir(prefix: string) {
  const path = await mkdtemp(join(tmpdir(), `hm-iso-${prefix}-`));
  return { path, dispose: () => rm(path, { recursive: true, force: true }) };
}

/** Decompress a fixture to `dir/<name>.iso` and return its path. */
export async function fixtureFile(name: string, dir: string): Promise<string> {
  const path = join(dir, `${name}.iso`);
  await writeFile(path, await fixtureBytes(name));
  return path;
}
