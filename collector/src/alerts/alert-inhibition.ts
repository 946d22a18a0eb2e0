// Inhibition, as an Alertmanager user expects it: while a more specific alert fires for a (service, origin),
// the less specific ones for the same key do not notify. An allowlist change that cuts off an origin with
// traffic makes `newly_blocked_origin` fire, and a minute later `rejected_spike` for the same key (its
// baseline is about 0, so the blocked volume is a spike): two pages for one incident, the second saying less.
// Likewise a new origin rejected at volume is both `new_rejected_origin` and a spike.
//
// By kind, not by rule id: the file's and the API's rules of these kinds take part as the built-in ones do,
// since a user who rewrote a built-in rule (or added a second one) gets the same duplicate pages. The rules
// file's `inhibition: { enabled: false }` turns it off. Keys match on service and origin only (Alertmanager's
// `equal: [service, origin]`): a field a rule does not group by is absent and matches only an absent field,
// so a service-wide spike is never inhibited by one origin's alert.
//
// An inhibited instance changes state as usual; its firing and reminder notifications are recorded as
// suppressed, naming the inhibiting rule and instance. Like a silenced one, a firing instance never announced
// is announced once nothing inhibits it, and resolves silently if it never was. An inhibitor that is itself
// silenced still inhibits (as in Alertmanager): silencing the newly blocked alert of an origin being moved
// keeps the spike for it quiet too. Pure; the cycle builds the inhibitors from the states of the rules it
// evaluated first (alert-cycle.ts), and the backtest, which runs one rule, has none.
import type { GroupKey } from './alert-input.js';
import type { AlertKind, AlertRule } from './alert-rule.js';
import type { RuleState } from './alert-evaluator.js';

/** Kinds that take part, most specific first: each inhibits those after it. */
export const INHIBITION_ORDER: readonly AlertKind[] = [
  'newly_blocked_origin',
  'new_rejected_origin',
  'rejected_spike',
];

/** Position in INHIBITION_ORDER; kinds that take no part come last (and are evaluated last). */
export function inhibitionRank(kind: AlertKind): number {
  const rank = INHIBITION_ORDER.indexOf(kind);
  return rank === -1 ? INHIBITION_ORDER.length : rank;
}

/** The firing instance that keeps another from notifying. */
export interface InhibitedBy {
  readonly ruleId: string;
  readonly instanceId: string;
}

interface Inhibitor extends InhibitedBy {
  readonly rank: number;
}

function matchKey(key: GroupKey): string {
  return JSON.stringify([key.service ?? null, key.origin ?? null]);
}

/** Firing instances of the rules that take part, by service and origin. */
export class Inhibitors {
  private readonly byKey = new Map<string, Inhibitor[]>();

  /** `rules`: rule and state of each rule that may inhibit (rules of other kinds are skipped). */
  constructor(rules: Iterable<{ readonly rule: AlertRule; readonly state: RuleState }>) {
    for (const { rule, state } of rules) {
      const rank = inhibitionRank(rule.kind);
      if (rank >= INHIBITION_ORDER.length - 1) continue;
      for (const instance of state.instances.values()) {
        if (instance.state !== 'firing') continue;
        const id = matchKey(instance.key);
        const list = this.byKey.get(id) ?? [];
        list.push({ ruleId: rule.id, instanceId: instance.id, rank });
        this.byKey.set(id, list);
      }
    }
  }

  /** The most specific firing instance of a more specific kind for the same service and origin. */
  inhibitorOf(rule: AlertRule, key: GroupKey): InhibitedBy | undefined {
    const rank = inhibitionRank(rule.kind);
    // A blocked_ratio alert says something none of these does (a share of the service's traffic).
    if (rank >= INHIBITION_ORDER.length) return undefined;
    let found: Inhibitor | undefined;
    for (const candidate of this.byKey.get(matchKey(key)) ?? []) {
      if (candidate.rank >= rank || candidate.ruleId === rule.id) continue;
      if (found === undefined || candidate.rank < found.rank) found = candidate;
    }
    return found === undefined ? undefined : { ruleId: found.ruleId, instanceId: found.instanceId };
  }
}

export const NO_INHIBITORS = new Inhibitors([]);
