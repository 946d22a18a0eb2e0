// Restart mid-firing, against chDB: the evaluator's rows go into alert_events, a "new process" rebuilds the
// state from the newest row per instance and carries on: no lost firing instance, no second announcement,
// the reminder on its original schedule.
import { describe, expect, it } from 'vitest';
import { useTempChdb } from '../store/temp-chdb.fixture.js';
import { DEFAULT_SCHEMA_OPTIONS } from '../store/schema-ddl.js';
import { evaluateRule, INACTIVE, type EvaluationResult, type RuleState } from './alert-evaluator.js';
import {
  deliveryRows,
  evaluationRows,
  LATEST_INSTANCE_ROWS_SQL,
  rebuildRuleState,
  type AlertEventRow,
  type LatestInstanceRow,
} from './alert-event-rows.js';
import type { GroupWindow } from './alert-input.js';
import { parseAlertRule } from './alert-rule.js';
import { ALERT_TABLES, alertSchemaDdl } from './alert-schema.js';
import { MINUTE, spikingOrigin, T0 } from './alert-traffic.fixture.js';

const RULE = parseAlertRule({
  id: 'spike',
  name: 'Spike',
  kind: 'rejected_spike',
  for: '2m',
  repeat: '30m',
  notify: ['chat'],
});
const CONTEXT = { ruleVersion: 1, evaluator: 'collector-a' };

const chdb = useTempChdb('alert-events', async (client) => {
  for (const query of alertSchemaDdl(DEFAULT_SCHEMA_OPTIONS)) await client.command({ query });
}).client;

async function insert(rows: readonly AlertEventRow[]): Promise<void> {
  if (rows.length > 0)
    await chdb().insert({ table: ALERT_TABLES.events, format: 'JSONEachRow', values: rows });
}

/** Evaluates minutes [from, to) and stores every row, as the loop will. */
async function evaluateMinutes(
  state: RuleState,
  from: number,
  to: number,
  groups: (minute: number) => GroupWindow[],
): Promise<{ state: RuleState; results: EvaluationResult[] }> {
  const results: EvaluationResult[] = [];
  let current = state;
  for (let minute = from; minute < to; minute += 1) {
    const nowMs = T0 + minute * MINUTE;
    const result = evaluateRule(RULE, { nowMs, groups: groups(minute) }, current);
    await insert(evaluationRows(RULE.id, result, nowMs, CONTEXT));
    for (const notification of result.notifications) {
      const record = {
        channelId: 'chat',
        channelType: 'slack' as const,
        ok: true,
        attempts: [{ attempt: 1, startedAtMs: nowMs, durationMs: 12, status: 200 }],
      };
      await insert(deliveryRows(notification, [record], CONTEXT));
    }
    results.push(result);
    current = result.state;
  }
  return { state: current, results };
}

async function rebuild(): Promise<{ state: RuleState; skipped: string[] }> {
  const result = await chdb().query({
    query: LATEST_INSTANCE_ROWS_SQL,
    query_params: { rule_ids: [RULE.id] },
    format: 'JSONEachRow',
  });
  return rebuildRuleState(await result.json<LatestInstanceRow>());
}

describe('restart mid-firing', () => {
  it('rebuilds the firing instance, does not announce it again, and reminds on the original schedule', async () => {
    // a.test fires at minute 2; b.test fires at 2 and resolves by 8; c.test is pending at the restart.
    const before = await evaluateMinutes(INACTIVE, 0, 10, (minute) => [
      spikingOrigin('https://a.test'),
      ...(minute < 4 ? [spikingOrigin('https://b.test')] : []),
      ...(minute >= 9 ? [spikingOrigin('https://c.test')] : []),
    ]);
    const sentBefore = before.results.flatMap((result) =>
      result.notifications.map((n) => `${n.transition} ${n.instances[0]?.key.origin ?? ''}`),
    );
    expect(sentBefore).toEqual(['firing https://a.test', 'firing https://b.test', 'resolved https://b.test']);

    const rebuilt = await rebuild();
    expect(rebuilt.skipped).toEqual([]);
    expect([...rebuilt.state.instances.values()].map((i) => [i.key.origin, i.state])).toEqual(
      expect.arrayContaining([
        ['https://a.test', 'firing'],
        ['https://c.test', 'pending'],
      ]),
    );
    expect(rebuilt.state.instances.size).toBe(2);
    const a = [...rebuilt.state.instances.values()].find((i) => i.key.origin === 'https://a.test');
    expect(a).toMatchObject({
      firingSinceMs: T0 + 2 * MINUTE,
      lastNotifiedMs: T0 + 2 * MINUTE,
      topReasons: [{ code: 'missing_allow_origin' }],
    });

    // The "new process" continues from minute 10 with the rebuilt state.
    const after = await evaluateMinutes(rebuilt.state, 10, 33, () => [
      spikingOrigin('https://a.test'),
      spikingOrigin('https://c.test'),
    ]);
    const sentAfter = after.results.flatMap((result, index) =>
      result.notifications.map((n) => `${10 + index} ${n.transition} ${n.instances[0]?.key.origin ?? ''}`),
    );
    // c.test completes its `for` (pending since 9) at 11; a.test's reminder is due 30m after minute 2.
    expect(sentAfter).toEqual(['11 firing https://c.test', '32 reminder https://a.test']);
  });

  it('skips a row it cannot read instead of failing the start-up', () => {
    const result = rebuildRuleState([
      { instance_id: 'x', detail: '{not json' },
      { instance_id: 'y', detail: JSON.stringify({ instance: { id: 'y', state: 'exploded' } }) },
      { instance_id: 'z', detail: JSON.stringify({ instance: null }) },
    ]);
    expect(result.skipped).toEqual(['x', 'y']);
    expect(result.state.instances.size).toBe(0);
  });

  it('records deliveries with their attempts', async () => {
    const result = await chdb().query({
      query: `SELECT channel_id, delivery_ok, attempts, JSONExtractString(detail, 'channelType') AS type
FROM ${ALERT_TABLES.events} WHERE event = 'delivery' ORDER BY at, instance_id`,
      format: 'JSONEachRow',
    });
    const rows = await result.json<{
      channel_id: string;
      delivery_ok: boolean;
      attempts: number;
      type: string;
    }>();
    expect(rows.length).toBeGreaterThanOrEqual(4);
    expect(rows[0]).toEqual({ channel_id: 'chat', delivery_ok: true, attempts: 1, type: 'slack' });
  });
});
