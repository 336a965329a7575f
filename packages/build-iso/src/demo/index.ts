/**
 * `build-iso --demo`: every input generated here, in TypeScript, so the whole pipeline runs on
 * a machine with only Node and npm: a CoreOS-layout ISO, a tiny oc-mirror v2 archive, and an
 * install-config.yaml / agent-config.yaml for a single-node cluster.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '@hostmirror/atomic-file';
import { makeDemoCoreosIso } from './coreos-fixture.ts';
import { type DemoImage, makeDemoArchive } from './mirror-archive.ts';

export { DEMO_VOLUME_ID, demoDefaultKargs, makeDemoCoreosIso } from './coreos-fixture.ts';
export { type IsoFileInput, type IsoWriteOptions, writeIso9660 } from './iso9660-writer.ts';
export {
  DEMO_RELEASE_SOURCE,
  DEMO_RELEASE_TAG,
  DEMO_RELEASE_VERSION,
  type DemoArchive,
  type DemoImage,
  makeDemoArchive,
} from './mirror-archive.ts';
export { type TarMember, tarArchive } from './tar-writer.ts';

/** agent-config.yaml `rendezvousIP` of the demo (a documentation-style private address). */
export const DEMO_RENDEZVOUS_IP = '192.168.111.80';
/** The demo's default time when SOURCE_DATE_EPOCH is not set: 2023-11-14T22:13:20Z. */
export const DEMO_DEFAULT_EPOCH = 1_700_000_000;

export interface DemoInputs {
  folder: string;
  iso: string;
  archive: string;
  installConfig: string;
  agentConfig: string;
  release: DemoImage;
}

export function demoInstallConfig(): string {
  return `# hostmirror demo: a single-node OpenShift cluster installed with the agent-based installer.
apiVersion: v1
baseDomain: example.com
metadata:
  name: demo
controlPlane:
  name: master
  replicas: 1
  architecture: amd64
compute:
- name: worker
  replicas: 0
networking:
  networkType: OVNKubernetes
  machineNetwork:
  - cidr: 192.168.111.0/24
platform:
  none: {}
fips: no
imageDigestSources:
- source: quay.io/openshift-release-dev/ocp-release
  mirrors:
  - registry.hostmirror.internal:5000/openshift/release-images
- source: quay.io/openshift-release-dev/ocp-v4.0-art-dev
  mirrors:
  - registry.hostmirror.internal:5000/openshift/release
pullSecret: '{"auths":{"registry.hostmirror.internal:5000":{"auth":"ZGVtbzpkZW1v"}}}'
sshKey: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDemoKeyNotARealKeyhostmirrorDemo demo@hostmirror
`;
}

export function demoAgentConfig(): string {
  return `apiVersion: v1beta1
kind: AgentConfig
metadata:
  name: demo
rendezvousIP: ${DEMO_RENDEZVOUS_IP}
hosts:
- hostname: node0
  role: master
  interfaces:
  - name: eth0
    macAddress: 52:54:00:00:00:80
`;
}

/** Write the demo's inputs into `folder` (created); the same `mtime` gives the same bytes. */
export async function writeDemoInputs(folder: string, mtime: number): Promise<DemoInputs> {
  await mkdir(folder, { recursive: true });
  const inputs = {
    folder,
    iso: join(folder, 'fedora-coreos-demo.x86_64.iso'),
    archive: join(folder, 'mirror_000001.tar'),
    installConfig: join(folder, 'install-config.yaml'),
    agentConfig: join(folder, 'agent-config.yaml'),
  };
  const archive = makeDemoArchive(mtime);
  const overwrite = { overwrite: true };
  await writeFileAtomic(inputs.iso, await makeDemoCoreosIso(mtime), overwrite);
  await writeFileAtomic(inputs.archive, archive.bytes, overwrite);
  await writeFileAtomic(inputs.installConfig, demoInstallConfig(), overwrite);
  await writeFileAtomic(inputs.agentConfig, demoAgentConfig(), overwrite);
  return { ...inputs, release: archive.release };
}
