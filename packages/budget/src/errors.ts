/** Stable codes of the budget's errors; callers and tests branch on these, never on wording. */
export type BudgetErrorCode =
  /** A size could not be parsed. */
  | 'BAD_SIZE'
  /** An input is out of range or missing (negative size, no rootfs size for PXE…). */
  | 'BAD_INPUT'
  /** One or more terms exceed their limit. */
  | 'BUDGET_EXCEEDED';

/** A budget input is wrong: the message names it and the fix. */
export class BudgetInputError extends Error {
  readonly code: 'BAD_SIZE' | 'BAD_INPUT';

  constructor(code: 'BAD_SIZE' | 'BAD_INPUT', message: string) {
    super(message);
    this.name = 'BudgetInputError';
    this.code = code;
  }
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
export class BudgetExceededError extends Error {
  readonly code = 'BUDGET_EXCEEDED';
  readonly exceeded: ExceededLimit[];

  constructor(exceeded: ExceededLimit[], describe: (limit: ExceededLimit) => string) {
    super(exceeded.map(describe).join('\n'));
    this.name = 'BudgetExceededError';
    this.exceeded = exceeded;
  }
}
