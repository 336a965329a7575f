/** Stable codes of the budget's errors; callers and tests branch on these, never on wording. */
import { HostmirrorError } from '@hostmirror/errors';

export type BudgetErrorCode =
  /** A size could not be parsed. */
  | 'BAD_SIZE'
  /** An input is out of range or missing (negative size, no rootfs size for PXE…). */
  | 'BAD_INPUT'
  /** One or more terms exceed their limit. */
  | 'BUDGET_EXCEEDED';

/** A budget input is wrong: the message names it and the fix. */
export class BudgetInputError extends HostmirrorError<'BAD_SIZE' | 'BAD_INPUT'> {
  static override readonly fixes: Readonly<Record<'BAD_SIZE' | 'BAD_INPUT', string>> = {
    BAD_SIZE: 'Write a size as a number with an optional unit, such as 16GiB, 512MiB or 9GB.',
    BAD_INPUT:
      'Give the input the message names: --ram, and for PXE or fromram the rootfs (--rootfs images/pxeboot/rootfs.img).',
  };
}

/** A check that failed, as carried by `BudgetExceededError`. */
export interface ExceededLimit {
  id: string;
  label: string;
  needBytes: number;
  haveBytes: number;
  limitSource: string;
  fix: string;
}

/**
 * One or more budget limits are exceeded. The message has one sentence per failed check:
 * `<what>: <need> > <limit> bytes (…); <what to change>.`
 */
export class BudgetExceededError extends HostmirrorError<'BUDGET_EXCEEDED'> {
  /** Used only when no exceeded limit carries a fix; each limit's own fix is joined otherwise. */
  static override readonly fixes: Readonly<Record<'BUDGET_EXCEEDED', string>> = {
    BUDGET_EXCEEDED: 'Give the host more RAM, or make the archives smaller.',
  };

  readonly exceeded: ExceededLimit[];

  /** The code is fixed; `fix` joins the fix of every exceeded limit. */
  constructor(exceeded: ExceededLimit[], describe: (limit: ExceededLimit) => string) {
    super('BUDGET_EXCEEDED', exceeded.map(describe).join('\n'), {
      fix: exceeded.map((limit) => limit.fix).join(' '),
    });
    this.exceeded = exceeded;
  }
}
