// Cycles on the worker thread, over real chDB through the relay: the same outcome as a cycle on this thread,
// the worker niced and no other thread (Linux), its logs forwarded, and a new worker after the last ended.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore, type ClickHouseEventStore } from '../store/create-event-store.js';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { AlertCycle, type CycleLog, type CycleOutcome } from './alert-cycle.js';
import {
  AlertCycleThread,
  deserialisedOnce,
  serialiseOutcome,
  type SerialisedOutcome,
  WORKER_NICE,
} from './alert-cycle-thread.js';
import type { AlertInstance, RuleState } from './alert-evaluator.js';
import { parseAlertRuleSet } from './alert-rule.js';
import { MINUTE, spikeAfterAllowedDay, storeRows, trafficRows } from './alert-store.fixture.js';

const NOW = Date.UTC(2026, 10, 16, 12, 0);

let dir: string;
let store: ClickHouseEventStore | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'corsight-alert-cycle-thread-'));
  store = await createEventStore({ clickhouse: { kind: 'chdb', dataDir: join(dir, 'data') } });
  await storeRows(store, trafficRows(spikeAfterAllowedDay(NOW, NOW)));
});

afterAll(async () => {
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ruleSet = parseAlertRuleSet({
  channels: [],
  defaultRules: { enabled: false },
  rules: [{ id: 'spike', name: 'Spike', kind: 'rejected_spike', for: '0m', minCount: 20 }],
});

function collectingLog(): CycleLog & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    warn: (_fields, message) => lines.push(message),
    error: (_fields, message) => lines.push(message),
  };
}

/** Nice values of this process's threads (Linux), by thread id. */
function threadNice(): Map<string, number> {
  const nice = new Map<string, number>();
  for (const id of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${id}/stat`, 'utf8');
    nice.set(id, Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
  }
  return nice;
}

describe('an outcome handed over by the worker', () => {
  const instance: AlertInstance = {
    id: 'spike|orders-api||https://app.example.com',
    key: { service: 'orders-api', origin: 'https://app.example.com' },
    state: 'firing',
    activeSinceMs: NOW - 2 * MINUTE,
    firingSinceMs: NOW - MINUTE,
    lastNotifiedMs: NOW - MINUTE,
    lastAnnouncedMs: NOW - MINUTE,
    clearSinceMs: undefined,
    peak: 1240,
    last: { holds: true, blocked: 1240, allowed: 0, value: Number.NaN, threshold: 50 },
    topReasons: [{ code: 'allow_origin_mismatch', requests: 1240 }],
    policyChange: undefined,
  };
  const states = new Map<string, RuleState>([
    ['spike', { instances: new Map([[instance.id, instance]]) }],
    ['quiet', { instances: new Map() }],
  ]);
  const outcome: CycleOutcome = {
    report: { nowMs: NOW, rules: 2, errors: 0, transitions: 0, notifications: 0, durationMs: 12 },
    rules: [],
    states,
    instances: { pending: 0, firing: 1 },
    outgoing: [],
    evaluated: 2,
  };

  it('moves the states as bytes, without a copy, and reads them back whole once asked', () => {
    const { message, transfer } = serialiseOutcome(outcome);
    expect(transfer).toHaveLength(1);
    const { port1, port2 } = new MessageChannel();
    try {
      port1.postMessage(message, transfer);
      // Moved, not copied: the sender's buffer is detached.
      expect(message.states.byteLength).toBe(0);
      const received = receiveMessageOnPort(port2)?.message as SerialisedOutcome;
      expect(received.instances).toEqual({ pending: 0, firing: 1 });
      const read = deserialisedOnce(received.states);
      // Maps, undefined fields and NaN as they were (JSON would lose all three).
      expect(read()).toEqual(states);
      expect(read().get('spike')?.instances.get(instance.id)?.last.value).toBeNaN();
      expect(read()).toBe(read());
    } finally {
      port1.close();
      port2.close();
    }
  });
});

describe('AlertCycleThread', () => {
  it('evaluates on a worker, niced, as a cycle on this thread does', async () => {
    if (store === undefined) throw new Error('chDB did not open');
    const client = store.client;
    const thread = new AlertCycleThread({ client, ruleSet, evaluator: 'test', log: collectingLog() });
    try {
      const outcome = await thread.run(NOW);
      expect(outcome.report).toMatchObject({ rules: 1, errors: 0, transitions: 1, notifications: 1 });
      expect(outcome.outgoing.map(({ notification }) => notification.rule.id)).toEqual(['spike']);
      expect(outcome.evaluated).toBe(1);
      expect(outcome.rules.map((active) => active.rule.id)).toEqual(['spike']);
      expect([...(outcome.states().get('spike')?.instances.values() ?? [])].map((i) => i.state)).toEqual([
        'firing',
      ]);
      // The worker's thread, and no other: a thread it started would inherit the nice value.
      if (process.platform === 'linux') {
        expect([...threadNice().values()].filter((nice) => nice > 0)).toEqual([WORKER_NICE]);
      }
      // The next minute on this thread, from the state the worker recorded in alert_events: still firing.
      const local = new AlertCycle({ client, ruleSet, evaluator: 'test', log: collectingLog() });
      const next = await local.run(NOW + MINUTE);
      expect(next.report).toMatchObject({ errors: 0, transitions: 0 });
      expect([...(next.states.get('spike')?.instances.values() ?? [])].map((i) => i.state)).toEqual([
        'firing',
      ]);
    } finally {
      await thread.close();
    }
  });

  it('forwards the worker’s logs, and starts a new worker after the last one ended', async () => {
    if (store === undefined) throw new Error('chDB did not open');
    const log = collectingLog();
    const thread = new AlertCycleThread({ client: store.client, ruleSet, evaluator: 'test', log });
    try {
      await thread.run(NOW + 2 * MINUTE);
      await thread.close();
      // Reading the saved rules fails on a missing table; the cycle logs it and goes on with the file's rules.
      await store.client.command({ query: 'RENAME TABLE alert_rules TO alert_rules_away' });
      try {
        const outcome = await thread.run(NOW + 3 * MINUTE);
        expect(outcome.report).toMatchObject({ rules: 1, errors: 0 });
      } finally {
        await store.client.command({ query: 'RENAME TABLE alert_rules_away TO alert_rules' });
      }
      expect(log.lines).toContain('reading the saved alert rules failed; evaluating the last known ones');
    } finally {
      await thread.close();
    }
  });
});
