// The rules active out of the box (issue 7): a rejected-origin spike per service and origin, a new rejected
// origin, and an origin that was allowed and is now blocked. Written as specs and parsed like a user's
// rules, so the defaults can never drift from what the validator accepts.
//
// Thresholds are chosen against scanner noise: a scanner sends a handful of requests per random Origin, so
// `minCount` per origin (20 in 10 minutes for new origins) keeps them out, and `groupLimit` folds a burst that
// passes it anyway into one grouped notification.
//
// One incident can meet several of them (an origin cut off by an allowlist change is newly blocked and, its
// baseline being 0, a spike): inhibition (alert-inhibition.ts) lets only the most specific one page.
import { parseAlertRule, type AlertRule, type AlertRuleSet, type AlertRuleSpec } from './alert-rule.js';

export const DEFAULT_RULE_SPECS: readonly AlertRuleSpec[] = [
  {
    id: 'default-rejected-spike',
    name: 'Rejected requests spike for an origin',
    kind: 'rejected_spike',
    groupBy: ['service', 'origin'],
    window: '5m',
    baseline: '7d',
    factor: 3,
    minCount: 20,
    for: '2m',
    repeat: '4h',
  },
  {
    id: 'default-new-rejected-origin',
    name: 'New origin rejected',
    kind: 'new_rejected_origin',
    groupBy: ['service', 'origin'],
    window: '10m',
    lookback: '30d',
    minCount: 20,
    for: '2m',
    repeat: '12h',
  },
  {
    id: 'default-newly-blocked-origin',
    name: 'Origin that was allowed is now blocked',
    kind: 'newly_blocked_origin',
    groupBy: ['service', 'origin'],
    window: '5m',
    lookback: '7d',
    minCount: 10,
    for: '1m',
    repeat: '4h',
  },
];

/** The built-in rules, notifying `notify`. */
export function defaultAlertRules(notify: readonly string[] = []): readonly AlertRule[] {
  return DEFAULT_RULE_SPECS.map((spec, index) =>
    parseAlertRule({ ...spec, notify: [...notify] }, ['defaultRules', index]),
  );
}

/** The rules the evaluator runs: the file's, plus the built-in ones unless switched off or overridden by id. */
export function withDefaultRules(set: AlertRuleSet): readonly AlertRule[] {
  if (!set.defaultRules.enabled) return set.rules;
  const own = new Set(set.rules.map((rule) => rule.id));
  const defaults = defaultAlertRules(set.defaultRules.notify).filter((rule) => !own.has(rule.id));
  return [...defaults, ...set.rules];
}
