// Which notifications a start-up sends again, from the rows the evaluator and the loop write: those with a
// channel that has no delivery row, as long as their instances are still as they announced.
import { describe, expect, it } from 'vitest';
import {
  evaluateRule,
  INACTIVE,
  type AlertNotification,
  type EvaluationResult,
  type RuleState,
} from './alert-evaluator.js';
import { deliveryRows, evaluationRows } from './alert-event-rows.js';
import { parseAlertRule } from './alert-rule.js';
import { MINUTE, spikingOrigin, T0 } from './alert-traffic.fixture.js';
import { interruptedDeliveries, type DeliveredRow, type NotifiedRow } from './interrupted-deliveries.js';

const RULE = parseAlertRule({
  id: 'spike',
  name: 'Spike',
  kind: 'rejected_spike',
  for: '0m',
  keepFiringFor: '0m',
  groupLimit: 2,
  notify: ['pager', 'chat'],
});
const CONTEXT = { ruleVersion: 3, evaluator: 'collector-a' };

/** The 'notified' rows of an evaluation, as the loop's read gets them back. */
function notifiedRows(result: EvaluationResult, nowMs: number): NotifiedRow[] {
  return evaluationRows(RULE.id, result, nowMs, CONTEXT)
    .filter((row) => row.event === 'notified')
    .map((row) => ({ ...row, at_ms: nowMs }));
}

/** The 'delivery' rows of a notification delivered to `channels`, as the loop's read gets them back. */
function deliveredRows(notification: AlertNotification, channels: readonly string[]): DeliveredRow[] {
  const records = channels.map((channelId) => ({
    channelId,
    channelType: 'webhook' as const,
    ok: true,
    attempts: [{ attempt: 1, startedAtMs: notification.atMs + 500, durationMs: 20, status: 200 }],
  }));
  return deliveryRows(notification, records, CONTEXT).map((row) => ({
    ...row,
    notified_ms: (JSON.parse(row.detail) as { notifiedAtMs: number }).notifiedAtMs,
  }));
}

const states = (state: RuleState): Map<string, RuleState> => new Map([[RULE.id, state]]);

const fired = evaluateRule(RULE, { nowMs: T0, groups: [spikingOrigin('https://a.test')] }, INACTIVE);
const firing = fired.notifications[0] as AlertNotification;
const resolved = evaluateRule(RULE, { nowMs: T0 + MINUTE, groups: [] }, fired.state);
const refired = evaluateRule(
  RULE,
  { nowMs: T0 + 2 * MINUTE, groups: [spikingOrigin('https://a.test')] },
  resolved.state,
);

describe('interruptedDeliveries', () => {
  it.each([
    ['still firing, no delivery recorded: to both channels', [], fired.state, ['pager', 'chat'], 0],
    ['still firing, chat delivered: to the pager only', ['chat'], fired.state, ['pager'], 0],
    ['delivered to both: nothing', ['pager', 'chat'], fired.state, [], 0],
    ['resolved since: not sent as firing', [], resolved.state, [], 1],
    ['resolved and firing again since: the newer firing speaks for it', [], refired.state, [], 1],
  ])('a firing notification %s', (_case, delivered, now, channels, stale) => {
    const found = interruptedDeliveries(
      notifiedRows(fired, T0),
      deliveredRows(firing, delivered),
      states(now),
    );
    expect(found.resume.map((resume) => resume.notification.channels)).toEqual(
      channels.length === 0 ? [] : [channels],
    );
    expect(found).toMatchObject({ stale, unreadable: 0 });
  });

  it('sends the notification as it was sent, with the rule version of its row', () => {
    const [resume] = interruptedDeliveries(notifiedRows(fired, T0), [], states(fired.state)).resume;
    expect(resume).toEqual({ ruleVersion: 3, notification: firing });
  });

  it.each([
    ['gone is sent again', resolved.state, 1, 0],
    ['firing again is not (a late resolve would end the new alert)', refired.state, 0, 1],
  ])('a resolved notification of an instance %s', (_case, now, sent, stale) => {
    const notification = resolved.notifications[0] as AlertNotification;
    expect(notification.transition).toBe('resolved');
    const found = interruptedDeliveries(notifiedRows(resolved, T0 + MINUTE), [], states(now));
    expect(found.resume.map((resume) => resume.notification)).toEqual(sent === 1 ? [notification] : []);
    expect(found.stale).toBe(stale);
  });

  it('sends a grouped notification again with the instances still firing, and links its delivery rows', () => {
    const origins = ['https://a.test', 'https://b.test', 'https://c.test'];
    const burst = evaluateRule(RULE, { nowMs: T0, groups: origins.map(spikingOrigin) }, INACTIVE);
    const grouped = burst.notifications[0] as AlertNotification;
    expect(grouped).toMatchObject({ grouped: true, totalInstances: 3 });
    const later = evaluateRule(
      RULE,
      { nowMs: T0 + MINUTE, groups: origins.slice(1).map(spikingOrigin) },
      burst.state,
    );
    const found = interruptedDeliveries(notifiedRows(burst, T0), [], states(later.state));
    expect(found.resume.map((resume) => resume.notification)).toEqual([
      {
        ...grouped,
        instances: grouped.instances.filter((instance) => instance.key.origin !== 'https://a.test'),
        totalInstances: 2,
      },
    ]);
    const delivered = deliveredRows(grouped, ['pager', 'chat']);
    expect(interruptedDeliveries(notifiedRows(burst, T0), delivered, states(later.state)).resume).toEqual([]);
  });

  it('counts a notified row written before rows carried their notification, and does not send it', () => {
    const [row] = notifiedRows(fired, T0);
    if (row === undefined) throw new Error('no notified row');
    const { instance } = JSON.parse(row.detail) as { instance: unknown };
    const old = { ...row, detail: JSON.stringify({ grouped: false, totalInstances: 1, instance }) };
    expect(interruptedDeliveries([old], [], states(fired.state))).toEqual({
      resume: [],
      stale: 0,
      unreadable: 1,
    });
  });
});
