import type { IgnitionConfig } from './config.ts';

export type Severity = 'error' | 'warning';

/** One finding, worded as Ignition words it, at an Ignition-style JSON path. */
export interface Finding {
  severity: Severity;
  /** `$.storage.files.0.path`; `$` for the whole config. */
  path: string;
  message: string;
}

/**
 * Why a config could not be read at all (Ignition's parse stage, before any rule runs):
 * `EMPTY` (zero bytes), `SYNTAX` (not JSON, or not an object), `VERSION_UNPARSABLE`
 * (missing or not semver), `VERSION_UNSUPPORTED` (not one of the accepted versions).
 */
export interface ParseFailure {
  code: 'EMPTY' | 'SYNTAX' | 'VERSION_UNPARSABLE' | 'VERSION_UNSUPPORTED';
  /** Ignition's message: `not a config (empty)`, `unsupported config version`… */
  message: string;
  /** More detail (the JSON parser's message), when there is some. */
  detail?: string;
}

/** The outcome of validating one config. Never thrown: callers branch on `valid`. */
export interface ValidationReport {
  /** No parse failure and no error; warnings do not count. */
  valid: boolean;
  /** The config's `ignition.version`, when it could be read. */
  version: string | undefined;
  parseFailure: ParseFailure | undefined;
  errors: Finding[];
  warnings: Finding[];
  /**
   * The decoded config (JSON `null` members removed, as Go's decoder treats them as absent),
   * when it could be decoded; present even when rules failed, absent on a parse failure.
   */
  config: IgnitionConfig | undefined;
}

/** `error at $.storage.files.0.path: path not absolute`, as `ignition-validate` prints it. */
export function formatFinding(finding: Finding): string {
  return `${finding.severity} at ${finding.path}: ${finding.message}`;
}

/** The report as `ignition-validate` prints it: one line per finding, errors first. */
export function formatReport(report: ValidationReport): string {
  if (report.parseFailure !== undefined) {
    const detail =
      report.parseFailure.detail === undefined ? '' : `: ${report.parseFailure.detail}`;
    return `couldn't parse config: ${report.parseFailure.message}${detail}`;
  }
  return [...report.errors, ...report.warnings].map(formatFinding).join('\n');
}
