/**
 * `--control-plane-copy on|off`, which build-iso, boot-sequence and budget share: mode node0's
 * copy of node0's registry storage to the other control-plane nodes after the install
 * (@hostmirror/boot-sequence `controlPlaneCopy`, its sync step). Declared and read here once.
 */
import { choice, type OptionSpec, type ParsedValues } from '../command.ts';

const VALUES = ['on', 'off'] as const;

export const controlPlaneCopyOption: OptionSpec = {
  'control-plane-copy': {
    type: 'string',
    description:
      "mode node0: after the install the other control-plane nodes copy node0's registry storage to their install disk and serve it too (verified by digest, resumable; each needs the storage's size); off: they pull from node0 and api-int",
    value: 'on|off',
    default: 'on',
    choices: VALUES,
  },
};

/** `controlPlaneCopy: false` when the option says off; nothing otherwise (the library's default). */
export function controlPlaneCopyGiven(values: ParsedValues): { controlPlaneCopy?: false } {
  return choice(values, 'control-plane-copy', VALUES, 'on') === 'off'
    ? { controlPlaneCopy: false }
    : {};
}
