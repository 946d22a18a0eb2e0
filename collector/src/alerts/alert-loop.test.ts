// The loop with receivers that fail: one that accepts connections and never answers, one that refuses them.
// Evaluation returns without waiting for either; each delivery ends after its timeout and retries and is
// recorded as failed in alert_events and on /metrics; the next minute is evaluated meanwhile.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectorMetrics } from '../ops/collector-metrics.js';
import { createEventStore, type ClickHouseEventStore } from '../store/create-event-store.js';
import { AlertLoop } from './alert-loop.js';
import { parseAlertRuleSet } from './alert-rule.js';
import { MINUTE, spikeAfterAllowedDay, storeRows, trafficRows } from './alert-store.fixture.js';
import { readEvents, readRuleStates, writeStoredRule } from './alert-store.js';

const NOW = Date.UTC(2026, 10, 16, 12, 0);

let dir: string;
let store: ClickHouseEventStore | undefined;
let silent: Server;
let deadUrl: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'corsight-alert-loop-'));
  store = await createEventStore({ clickhouse: { kind: 'chdb', dataDir: join(dir, 'data') } });
  await storeRows(store, trafficRows(spikeAfterAllowedDay(NOW, NOW + 5 * MINUTE)));
  // Takes the request and never answers.
  silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  // A port nobody listens on any more.
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  deadUrl = `http://127.0.0.1:${String((closed.address() as AddressInfo).port)}/hook`;
  await new Promise((resolve) => closed.close(resolve));
});

afterAll(async () => {
  silent.closeAllConnections();
  await new Promise((resolve) => silent.close(resolve));
  await store?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('AlertLoop with failing receivers', () => {
  it('never waits for deliveries; records each failure after its retries', async () => {
    if (store === undefined) throw new Error('chDB did not open');
    const silentUrl = `http://127.0.0.1:${String((silent.address() as AddressInfo).port)}/hook`;
    const metrics = new CollectorMetrics(() => ({ bytes: 0, segments: 0 }));
    const loop = new AlertLoop({
      client: store.client,
      ruleSet: parseAlertRuleSet({
        channels: [
          { id: 'slow', type: 'webhook', url: silentUrl },
          { id: 'dead', type: 'webhook', url: deadUrl },
        ],
        defaultRules: { enabled: false },
        rules: [
          {
            id: 'spike',
            name: 'Spike',
            kind: 'rejected_spike',
            for: '0m',
            minCount: 20,
            notify: ['slow', 'dead'],
          },
        ],
      }),
      dashboardUrl: undefined,
      evaluator: 'test',
      log: pino({ level: 'silent' }),
      metrics,
      delivery: {
        timeoutMs: 1500,
        maxAttempts: 2,
        backoff: { initialDelayMs: 50, maxDelayMs: 50, factor: 1 },
      },
    });
    const started = performance.now();
    expect(await loop.evaluateNow(NOW)).toMatchObject({ transitions: 1, notifications: 1 });
    expect(await loop.evaluateNow(NOW + MINUTE)).toMatchObject({ errors: 0, notifications: 0 });
    // Two evaluations done well before the slow receiver's first timeout.
    expect(performance.now() - started).toBeLessThan(1500);
    await loop.deliveriesSettled();
    expect(performance.now() - started).toBeGreaterThanOrEqual(3000);

    const events = await readEvents(
      store.client,
      { fromMs: NOW - MINUTE, toMs: Date.now() + MINUTE },
      100,
      'spike',
    );
    const deliveries = events.filter((event) => event.event === 'delivery');
    expect(deliveries.map((event) => [event.channelId, event.deliveryOk, event.attempts]).sort()).toEqual([
      ['dead', false, 2],
      ['slow', false, 2],
    ]);
    const slow = deliveries.find((event) => event.channelId === 'slow');
    expect(JSON.stringify(slow?.detail)).toContain('timeout after 1500 ms');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/corsight_alert_deliveries_total\{channel_type="webhook",result="failed"\} 2/);
    await loop.stop(0);
  });
});

describe('AlertLoop when a rule is deleted while it fires', () => {
  it('resolves its instances, tells the receivers, and leaves nothing for a new rule of the same id', async () => {
    if (store === undefined) throw new Error('chDB did not open');
    const received: { transition: string }[] = [];
    const hook = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString()));
      request.on('end', () => {
        received.push(JSON.parse(body) as { transition: string });
        response.end();
      });
    });
    await new Promise<void>((resolve) => hook.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${String((hook.address() as AddressInfo).port)}/hook`;
    const spec = {
      id: 'api-spike',
      name: 'API spike',
      kind: 'rejected_spike',
      for: '0m',
      minCount: 20,
      notify: ['hook'],
    };
    await writeStoredRule(store.client, { id: 'api-spike', version: 1, spec, deleted: false, by: 'test' });
    const loop = new AlertLoop({
      client: store.client,
      ruleSet: parseAlertRuleSet({
        channels: [{ id: 'hook', type: 'webhook', url }],
        defaultRules: { enabled: false },
      }),
      dashboardUrl: undefined,
      evaluator: 'test',
      log: pino({ level: 'silent' }),
    });
    try {
      expect(await loop.evaluateNow(NOW)).toMatchObject({ transitions: 1, notifications: 1 });
      await writeStoredRule(store.client, { id: 'api-spike', version: 2, spec, deleted: true, by: 'test' });
      expect(await loop.evaluateNow(NOW + MINUTE)).toMatchObject({
        rules: 0,
        transitions: 1,
        notifications: 1,
      });
      await loop.deliveriesSettled();
      expect(received.map((payload) => payload.transition)).toEqual(['firing', 'resolved']);
      // alert_events holds the resolution: a rule created again with this id starts with no instances.
      const rebuilt = await readRuleStates(store.client, ['api-spike']);
      expect(rebuilt.get('api-spike')?.state.instances.size ?? 0).toBe(0);
    } finally {
      await loop.stop(0);
      await new Promise((resolve) => hook.close(resolve));
    }
  });
});
