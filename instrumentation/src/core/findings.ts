// What one evaluation finds: the blocking reasons in Chromium's order, the value the first one failed on
// (Chromium's `failedParameter`), mismatch hints, and warnings. Arrays are allocated only when something
// is found: most verdicts find nothing.
import type { MismatchHint, ReasonCode, WarningCode } from './codes.js';

export interface Findings {
  reasons: ReasonCode[] | undefined;
  failedValue: string | undefined;
  hints: MismatchHint[] | undefined;
  warnings: WarningCode[] | undefined;
}

export function newFindings(): Findings {
  return { reasons: undefined, failedValue: undefined, hints: undefined, warnings: undefined };
}

export function isBlocked(findings: Findings): boolean {
  return findings.reasons !== undefined;
}

/** Longest offending value copied into a verdict; request and response values are attacker-controlled. */
export const MAX_FAILED_VALUE_LENGTH = 256;

export function block(findings: Findings, reason: ReasonCode, value?: string): void {
  if (findings.reasons === undefined) {
    if (value !== undefined) {
      findings.failedValue =
        value.length > MAX_FAILED_VALUE_LENGTH ? value.slice(0, MAX_FAILED_VALUE_LENGTH) : value;
    }
    findings.reasons = [reason];
  } else {
    findings.reasons.push(reason);
  }
}

export function warn(findings: Findings, warning: WarningCode): void {
  if (findings.warnings === undefined) findings.warnings = [warning];
  else if (!findings.warnings.includes(warning)) findings.warnings.push(warning);
}
