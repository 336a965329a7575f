/**
 * The emitted live Ignition does what it says, with the real consumers (docs/design.md#testing): it is
 * read back from the built ISO's embed area; Debian's `ignition-validate` accepts it;
 * `ignition-apply` writes its files and units into a temporary root; the pre-pivot hook from
 * the ISO's extended initrd installs the registry program (Debian's docker-registry) there;
 * the root's boot scripts, run in unit order, find the volume made by `volume prepare`
 * (attached as a loop device) by its GPT partition name, mount it and serve the mirror; and skopeo pulls the release by digest through the written registries.conf,
 * CA and hosts alias, in private network and mount namespaces. The scenario helpers are the
 * boot-sequence tests' (test/boot-sequence/support.ts, steps.sh).
 */
import assert from 'node:assert/strict';
import { rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { PRE_PIVOT_HOOK } from '@hostmirror/boot-sequence';
import { requireFile, requireTool, runTool } from '@hostmirror/fixtures';
import { buildMirrorIso, prepareVolumeImage } from '../../packages/build-iso/src/index.ts';
import { inNamespace, stepsTable } from '../boot-sequence/support.ts';
import { demoInputs, IGNITION_BINARY, optionsFor, readBackLiveIso } from './support.ts';

const RELEASE_SOURCE = 'quay.io/openshift-release-dev/ocp-release';

let work: string;
let inputs: Awaited<ReturnType<typeof demoInputs>>['inputs'];

before(async () => {
  ({ work, inputs } = await demoInputs('serve'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('the live Ignition validates, applies into a root whose scripts serve the mirror; skopeo pulls the release by digest', async () => {
  const registry = await requireTool('docker-registry');
  const validate = await requireTool('ignition-validate');
  await requireFile(IGNITION_BINARY, 'ignition');
  const output = join(work, 'mirror.iso');
  // A label of this run only: blkid probes every block device of the machine.
  const label = `hmbuild${process.pid}`;
  const { report } = await buildMirrorIso(
    optionsFor(inputs, output, { registryBinary: registry, volumeLabel: label }),
  );
  const volume = await prepareVolumeImage({
    archives: [inputs.archive],
    image: join(work, 'volume.img'),
    label,
  });
  const root = join(work, 'root');
  const initrdRoot = join(work, 'initrd');
  const live = await readBackLiveIso(output, work, root, initrdRoot);

  const validated = await runTool(validate, [live], { timeoutMs: 30_000 });
  assert.equal(validated.exitCode, 0, `${validated.stdout}${validated.stderr}`);
  assert.equal(`${validated.stdout}${validated.stderr}`.trim(), '', 'no warnings either');

  const apply = join(work, 'ignition-apply');
  await symlink(IGNITION_BINARY, apply);
  const applied = await runTool(apply, ['--offline', '--root', root, live], {
    timeoutMs: 60_000,
    env: { ...process.env, container: 'hostmirror-test' },
  });
  assert.equal(applied.exitCode, 0, `${applied.stdout}${applied.stderr}`);

  const steps = join(work, 'steps.tsv');
  await writeFile(steps, stepsTable(report.bootPlan.phases.live));
  const digest = report.release.digest;
  const result = await inNamespace(
    `
# This host is node0: it has the rendezvous IP.
ip address add ${report.cluster.rendezvousIP}/32 dev lo
# The prepared volume image as the host's second disk.
loop=$(losetup --find --show --partscan ${volume.image})
detach() { hm_stop_daemons; umount ${root}/var/mnt/hostmirror 2>/dev/null || true; partx -d "$loop" 2>/dev/null || true; losetup -d "$loop"; }
trap detach EXIT
[ -e "\${loop}p1" ] || partx -a "$loop"
NEWROOT=${root} HOSTMIRROR_INITRD_ROOT=${initrdRoot} sh -c '. ${initrdRoot}${PRE_PIVOT_HOOK}'
export HOSTMIRROR_ROOT='${root}' HOSTMIRROR_UPDATE_CA_TRUST='touch ${root}/ca-trust-updated'
export HOSTMIRROR_READY_TIMEOUT=30 HOSTMIRROR_VOLUME_WAIT=0 HOSTMIRROR_VOLUME_MATCH=partlabel
hm_run_steps ${root} ${steps}
findmnt -n -o SOURCE ${root}/var/mnt/hostmirror | sed 's/^/MOUNTED /'
hm_use_root_config ${root}
skopeo inspect --no-tags docker://${RELEASE_SOURCE}@${digest} >/dev/null && echo "PULL inspect ok"
skopeo copy -q docker://${RELEASE_SOURCE}@${digest} dir:$(mktemp -d) && echo "PULL copy ok"
skopeo inspect --no-tags docker://${RELEASE_SOURCE}:4.14.3-x86_64 >/dev/null 2>&1 || echo "PULL tag refused"
hm_stop_daemons
`,
    {},
  );
  const out = result.stdout.toString('utf8');
  const explain = `exit ${result.exitCode}\n--- stdout\n${out}\n--- stderr\n${result.stderr}`;
  assert.equal(result.exitCode, 0, explain);
  assert.match(out, /^MOUNTED \/dev\/loop\d+p1$/m, explain);
  for (const line of [
    'STEP hostmirror-volume.service ok',
    'STEP hostmirror-verify.service ok',
    'STEP hostmirror-unpack.service ok',
    'STEP hostmirror-registry.service started',
    'STEP hostmirror-ready.service ok',
    'PULL inspect ok',
    'PULL copy ok',
    'PULL tag refused',
  ])
    assert.ok(out.includes(line), `missing "${line}"\n${explain}`);
});
