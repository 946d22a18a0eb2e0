// Each kind's condition over one group's window, in three forms: `entry` (may an instance start?), `hold`
// (does a pending instance keep counting towards `for`?) and `sustain` (does a firing instance stay?).
// Staying is easier than entering: a firing instance's thresholds are scaled by RESOLVE_HYSTERESIS, so a
// count hovering on the threshold does not resolve and re-fire every few minutes. The origin kinds are events ("a new origin appeared", "an allowed origin is now blocked"):
// novelty is checked on entry only, and an instance then holds while the origin stays blocked. A newly
// blocked origin stays blocked until its traffic is seen allowed again: a window of its traffic all blocked
// holds whatever the volume, and one without any of its traffic does not resolve it (keepFiringFor).
import type { GroupWindow, PolicyChange } from './alert-input.js';
import type { AlertRule } from './alert-rule.js';
import { seasonalBaseline } from './seasonal-baseline.js';

/** A sustained instance needs this share of the entry threshold. */
export const RESOLVE_HYSTERESIS = 0.8;

/**
 * `newly_blocked_origin` compares the window with the origin's own past: its blocked rate must be this many
 * times the rate before (a stray blocked request weeks ago does not hide today's breakage, a chronic
 * partial block is not news) and its blocked share must have grown by NEWLY_BLOCKED_SHARE_RISE (a chronic
 * block that follows the daily traffic curve keeps its share, so its busy hour is not news either).
 */
export const NEWLY_BLOCKED_RATE_FACTOR = 5;
export const NEWLY_BLOCKED_SHARE_RISE = 0.05;

function share(blocked: number, allowed: number): number {
  const total = blocked + allowed;
  return total === 0 ? 0 : blocked / total;
}

/**
 * How long a firing `newly_blocked_origin` instance stays while its origin sends nothing at all. An origin
 * cut off is still blocked until its traffic is seen allowed: a partner's cron calling every 10 minutes
 * leaves most windows empty, and resolving on those paged "firing" and "resolved" every run while every run
 * failed. Allowed traffic resolves it after `keepFiringFor` as before; an origin gone quiet (its caller gave
 * up) resolves after this long. (`new_rejected_origin` resolves on quiet as before: a scanner's burst ends
 * that way, and its 10-minute window already spans a 10-minute cron.)
 */
export const ORIGIN_SILENCE_HOLD_MS = 60 * 60_000;

/** How long a firing instance must be clear before it resolves, given the window it is clear in. */
export function keepFiringFor(rule: AlertRule, group: GroupWindow): number {
  const silent = group.blocked === 0 && group.allowed === 0;
  return rule.kind === 'newly_blocked_origin' && silent
    ? Math.max(rule.keepFiringForMs, ORIGIN_SILENCE_HOLD_MS)
    : rule.keepFiringForMs;
}

/** A policy change this long before the window (or inside it) is named as the likely cause. */
export const POLICY_CHANGE_LEAD_MS = 3_600_000;

export interface ConditionResult {
  readonly holds: boolean;
  readonly blocked: number;
  readonly allowed: number;
  /** What is compared: the blocked count, or for `blocked_ratio` the blocked share. */
  readonly value: number;
  /** The rule's threshold for `value` (a firing instance holds down to RESOLVE_HYSTERESIS × this). */
  readonly threshold: number;
  /** `rejected_spike`: the seasonal baseline, undefined without history. */
  readonly baseline?: number;
}

export type ConditionMode = 'entry' | 'hold' | 'sustain';

export function evaluateCondition(rule: AlertRule, group: GroupWindow, mode: ConditionMode): ConditionResult {
  const scale = mode === 'sustain' ? RESOLVE_HYSTERESIS : 1;
  const novelty = mode === 'entry';
  const { blocked, allowed } = group;
  const enough = blocked > 0 && blocked >= rule.minCount * scale;
  switch (rule.kind) {
    case 'rejected_spike': {
      const baseline = group.seasonal === undefined ? undefined : seasonalBaseline(group.seasonal);
      const threshold = Math.max(rule.minCount, rule.factor * (baseline ?? 0));
      // No history yet (a fresh install, or a group seen for the first time): there is nothing for the
      // volume to be a spike against, and a steady blocked trickle would page someone on day one. New and
      // newly blocked origins have rules of their own; a spike needs at least one earlier day or week.
      const result = {
        holds: baseline !== undefined && enough && blocked >= threshold * scale,
        blocked,
        allowed,
        value: blocked,
        threshold,
      };
      return baseline === undefined ? result : { ...result, baseline };
    }
    case 'new_rejected_origin': {
      const unseen =
        !novelty || (group.prior !== undefined && group.prior.allowed + group.prior.blocked === 0);
      return { holds: unseen && enough, blocked, allowed, value: blocked, threshold: rule.minCount };
    }
    case 'newly_blocked_origin': {
      const prior = group.prior;
      const wasAllowed =
        !novelty ||
        (prior !== undefined &&
          prior.spanMs > 0 &&
          prior.allowed > 0 &&
          blocked / rule.windowMs >= NEWLY_BLOCKED_RATE_FACTOR * (prior.blocked / prior.spanMs) &&
          share(blocked, allowed) >= share(prior.blocked, prior.allowed) + NEWLY_BLOCKED_SHARE_RISE);
      // Still cut off (every request of the window blocked): a firing instance stays whatever the volume.
      // A quiet five minutes of an origin calling 3 times a minute is no recovery, and resolving on it paged
      // the same block again minutes later (its earlier blocked hour barely moves a 7-day average).
      const cutOff = mode === 'sustain' && blocked > 0 && allowed === 0;
      return {
        holds: (wasAllowed && enough) || cutOff,
        blocked,
        allowed,
        value: blocked,
        threshold: rule.minCount,
      };
    }
    case 'blocked_ratio': {
      const value = share(blocked, allowed);
      return { holds: enough && value >= rule.ratio * scale, blocked, allowed, value, threshold: rule.ratio };
    }
    default: {
      const unexpected: never = rule;
      throw new Error(`unhandled rule kind ${JSON.stringify(unexpected)}`);
    }
  }
}

/**
 * The policy change that most likely broke a newly blocked origin: the service's latest change between an
 * hour before the window and now.
 */
export function precedingPolicyChange(
  service: string | undefined,
  windowStartMs: number,
  nowMs: number,
  changes: readonly PolicyChange[],
): PolicyChange | undefined {
  let found: PolicyChange | undefined;
  for (const change of changes) {
    if (service !== undefined && change.service !== service) continue;
    if (change.atMs < windowStartMs - POLICY_CHANGE_LEAD_MS || change.atMs > nowMs) continue;
    if (found === undefined || change.atMs > found.atMs) found = change;
  }
  return found;
}
