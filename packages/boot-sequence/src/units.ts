import {
  GATE_DROPIN,
  READINESS_PROBE,
  SCRIPT_DIR,
  STATE_DIR,
  SYNC_RESTART_SECONDS,
} from './constants.ts';
import type { BootDropin, BootGate, BootOrdering, BootStep, BootUnit } from './types.ts';

/** The target our units are enabled into: both the live ISO and the installed system boot to it. */
const INSTALL_TARGET = 'multi-user.target';
/**
 * How long systemd waits before starting the registry again after it exits for any reason
 * (crash, kill -9, OOM). Natively the registry's own start takes under a second; on a loaded
 * emulated host (the rehearsal, tools/rehearse.sh --scenario registry-killed, qemu TCG at load
 * 17) the script and the registry's start took 4.2 s and the first TLS answers seconds more, so
 * the 2 s this once was left too little of the 10 s the registry has to serve again. 1 s
 * still bounds a crash loop to one start a second (systemd's own default is 100 ms).
 */
export const REGISTRY_RESTART_SECONDS = 1;
/**
 * The exit status of the registry step's refusals (EX_CONFIG from sysexits.h): the storage is
 * incomplete, the program is missing, the host does not serve. Restarting cannot fix those, so
 * `RestartPreventExitStatus=` keeps the unit failed with its message; everything else restarts.
 * hostmirror-serve.sh sets it for hm_die.
 */
export const REGISTRY_REFUSAL_STATUS = 78;

function line(key: string, values: readonly string[]): string[] {
  return values.length === 0 ? [] : [`${key}=${values.join(' ')}`];
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

/** `ExecStart=` of a step: its script with its arguments. */
export function execStart(step: BootStep): string {
  return [`${SCRIPT_DIR}/${step.script}`, ...step.args].join(' ');
}

/**
 * The unit file of a step. systemd 239 (RHCOS 8) and later read every directive used here;
 * `Type=simple` rather than `exec` for that reason.
 */
export function renderStepUnit(step: BootStep): string {
  const unit = [
    '[Unit]',
    `Description=${step.description}`,
    ...line('Requires', step.requires),
    ...line('Wants', step.wants),
    ...line('After', unique([...step.requires, ...step.wants, ...step.after])),
    ...line('Before', step.before),
    ...(step.condition === null ? [] : [`ConditionPathExists=${STATE_DIR}/${step.condition}`]),
    // The daemon never gives up: without this, five restarts in 10 s (systemd's default
    // DefaultStartLimitBurst/IntervalSec) leave it failed for good. systemd >= 230 reads it in
    // [Unit] (systemd.unit(5)); RHCOS 8 has 239.
    ...(step.kind === 'oneshot' ? [] : ['StartLimitIntervalSec=0']),
  ];
  const service = serviceSection(step);
  // Refusals are printed on the console as well, where someone watching a live ISO boot sees them.
  service.push('StandardOutput=journal', 'StandardError=journal+console');
  const install = ['[Install]', `WantedBy=${INSTALL_TARGET}`];
  return `${[...unit, '', ...service, '', ...install].join('\n')}\n`;
}

/** The [Service] section of a step's unit, by the kind of step. */
function serviceSection(step: BootStep): string[] {
  switch (step.kind) {
    case 'retry':
      return [
        // Type=simple, not oneshot: systemd before 244 refuses Restart= on a oneshot unit, and
        // RHCOS 8 has 239. RemainAfterExit keeps it active (exited) once done, so
        // `systemctl status` shows the copy finished; a failure is retried after RestartSec.
        '[Service]',
        'Type=simple',
        'RemainAfterExit=yes',
        `ExecStart=${execStart(step)}`,
        'Restart=on-failure',
        `RestartSec=${SYNC_RESTART_SECONDS}`,
      ];
    case 'oneshot':
      return [
        '[Service]',
        'Type=oneshot',
        'RemainAfterExit=yes',
        `ExecStart=${execStart(step)}`,
        `TimeoutStartSec=${step.timeoutSeconds === 0 ? 'infinity' : step.timeoutSeconds}`,
      ];
    case 'daemon':
      return [
        '[Service]',
        'Type=simple',
        `ExecStart=${execStart(step)}`,
        // The unit is active only once the registry answers GET /v2/ over TLS and resolves the
        // release by digest: `systemctl is-active hostmirror-registry` is its health, and
        // `systemctl status` shows the probe's last line. The probe bounds its own wait.
        `ExecStartPost=${SCRIPT_DIR}/${READINESS_PROBE} --main-pid $MAINPID`,
        'TimeoutStartSec=infinity',
        'Restart=always',
        `RestartSec=${REGISTRY_RESTART_SECONDS}`,
        `RestartPreventExitStatus=${REGISTRY_REFUSAL_STATUS}`,
      ];
  }
}

/** The drop-in that makes a unit we do not own wait for (and, live, depend on) the mirror. */
export function renderGateDropin(gate: BootGate): string {
  const relation = gate.relation === 'requires' ? 'Requires' : 'Wants';
  const why =
    gate.relation === 'requires'
      ? '# hostmirror: start only once the mirror serves the release; a failed mirror fails this unit.'
      : '# hostmirror: start only once the mirror has had its chance to start.';
  return `${[why, '[Unit]', `${relation}=${gate.steps.join(' ')}`, `After=${gate.steps.join(' ')}`].join('\n')}\n`;
}

export function stepUnits(steps: readonly BootStep[]): BootUnit[] {
  return steps.map((step) => ({ name: step.unit, contents: renderStepUnit(step), enabled: true }));
}

export function gateDropins(gate: BootGate): BootDropin[] {
  const contents = renderGateDropin(gate);
  return gate.units.map((unit) => ({ unit, name: GATE_DROPIN, contents }));
}

/**
 * The drop-in that orders the agent console after the steps its release pull needs. Ordering
 * only: the console still runs when the mirror fails (and then shows the failing pull, as it
 * does without hostmirror). The reverse can never hold: the steps the console waits for are
 * never after network-online.target, which waits for the console.
 */
export function renderConsoleDropin(ordering: BootOrdering): string {
  return `${[
    '# hostmirror: the console pulls the release until that pull passes, and network-online.target waits',
    '# for it; start it once this host points at the mirror and, if it serves, its registry runs.',
    '[Unit]',
    `After=${ordering.after.join(' ')}`,
  ].join('\n')}\n`;
}

export function consoleDropins(ordering: BootOrdering | null): BootDropin[] {
  if (ordering === null) return [];
  const contents = renderConsoleDropin(ordering);
  return ordering.units.map((unit) => ({ unit, name: GATE_DROPIN, contents }));
}
