// The loop with receivers that fail: one that accepts connections and never answers, one that refuses them.
// Evaluation returns without waiting for either; each delivery ends after its timeout and retries and is
// recorded as failed in alert_events and on /metrics; the next minute is evaluated meanwhile. Across a
// restart (a new loop on the same data): a stop interrupts the deliveries still retrying, and the new loop
// sends each again once, unless it was delivered or is no longer true.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CollectorMetrics } from '../ops/collector-metrics.js';
import { createEventStore, type ClickHouseEventStore } from '../store/create-event-store.js';
import { AlertLoop, type AlertLoopOptions } from './alert-loop.js';
import { parseAlertRuleSet } from './alert-rule.js';
import { DAY, MINUTE, spikeAfterAllowedDay, storeRows, trafficRows } from './alert-store.fixture.js';
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

/** A webhook receiver that answers `status` (settable), recording what it was sent and how it answered. */
async function receiver(): Promise<{
  readonly url: string;
  status: number;
  readonly requests: { readonly status: number; readonly transition: string; readonly origins: string[] }[];
  close(): Promise<void>;
}> {
  const hook = {
    url: '',
    status: 500,
    requests: [] as { status: number; transition: string; origins: string[] }[],
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      }),
  };
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const payload = JSON.parse(body) as { transition: string; instances: { key: { origin: string } }[] };
      hook.requests.push({
        status: hook.status,
        transition: payload.transition,
        origins: payload.instances.map((instance) => instance.key.origin),
      });
      response.writeHead(hook.status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  hook.url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}/hook`;
  return hook;
}

describe('AlertLoop across a restart', { timeout: 20_000 }, () => {
  /** Each test at its own day, so that one test's rows are outside another's resume window. */
  const restartLoop = (at: number, urls: Record<string, string>) => {
    if (store === undefined) throw new Error('chDB did not open');
    const options: AlertLoopOptions = {
      client: store.client,
      ruleSet: parseAlertRuleSet({
        channels: Object.entries(urls).map(([id, url]) => ({ id, type: 'webhook', url })),
        defaultRules: { enabled: false },
        rules: [
          {
            id: `spike-${String(at)}`,
            name: 'Spike',
            kind: 'rejected_spike',
            for: '0m',
            keepFiringFor: '0m',
            minCount: 20,
            notify: Object.keys(urls),
          },
        ],
      }),
      dashboardUrl: undefined,
      evaluator: 'test',
      log: pino({ level: 'silent' }),
      // After a failed attempt the next is at least half a minute away: a stop must not wait for it.
      delivery: {
        timeoutMs: 1000,
        maxAttempts: 8,
        backoff: { initialDelayMs: 60_000, maxDelayMs: 60_000, factor: 2 },
      },
    };
    return (nowMs: number) => new AlertLoop({ ...options, now: () => nowMs });
  };

  const until = async (holds: () => boolean): Promise<void> => {
    while (!holds()) await new Promise((resolve) => setTimeout(resolve, 10));
  };

  async function deliveries(ruleId: string): Promise<[string | null, boolean | null][]> {
    if (store === undefined) throw new Error('chDB did not open');
    const events = await readEvents(store.client, { fromMs: 0, toMs: Date.now() + DAY }, 100, ruleId);
    return events
      .filter((event) => event.event === 'delivery')
      .map((event): [string | null, boolean | null] => [event.channelId, event.deliveryOk])
      .sort();
  }

  it('delivers a notification a restart interrupted exactly once more, to the channel that did not have it', async () => {
    if (store === undefined) throw new Error('chDB did not open');
    const at = NOW + 2 * DAY;
    await storeRows(store, trafficRows(spikeAfterAllowedDay(at, at + 5 * MINUTE)));
    const [pager, chat] = [await receiver(), await receiver()];
    chat.status = 204;
    const loopAt = restartLoop(at, { pager: pager.url, chat: chat.url });
    try {
      const before = loopAt(at + 20_000);
      expect(await before.evaluateNow(at)).toMatchObject({ notifications: 1 });
      await until(() => pager.requests.length === 1 && chat.requests.length === 1);
      const stopping = performance.now();
      await before.stop(100);
      expect(performance.now() - stopping).toBeLessThan(1000);
      // The chat's delivery was recorded when it ended; the pager's, interrupted, is not.
      expect(await deliveries(`spike-${String(at)}`)).toEqual([['chat', true]]);
      const afterStop = pager.requests.length;

      pager.status = 204;
      const after = loopAt(at + 3 * MINUTE);
      expect(await after.resumeDeliveries()).toEqual({ resumed: 1, stale: 0, unreadable: 0 });
      await after.deliveriesSettled();
      expect(pager.requests.slice(afterStop)).toEqual([
        { status: 204, transition: 'firing', origins: ['https://app.example.com'] },
      ]);
      expect(chat.requests).toHaveLength(1);
      expect(await deliveries(`spike-${String(at)}`)).toEqual([
        ['chat', true],
        ['pager', true],
      ]);
      // Nor does the restarted evaluator announce the instance again.
      expect(await after.evaluateNow(at + 3 * MINUTE)).toMatchObject({ errors: 0, notifications: 0 });
      await after.stop(0);

      // Another restart finds nothing left to send.
      const again = loopAt(at + 4 * MINUTE);
      expect(await again.resumeDeliveries()).toEqual({ resumed: 0, stale: 0, unreadable: 0 });
      await again.stop(0);
      expect(pager.requests.filter((request) => request.status === 204)).toHaveLength(1);
    } finally {
      await Promise.all([pager.close(), chat.close()]);
    }
  });
  it('does not send a firing notification again once its instance has resolved; sends the resolve', async () => {
    if (store === undefined) throw new Error('chDB did not open');
    const at = NOW + 4 * DAY;
    await storeRows(store, trafficRows(spikeAfterAllowedDay(at, at + 5 * MINUTE)));
    const pager = await receiver();
    const loopAt = restartLoop(at, { pager: pager.url });
    try {
      const before = loopAt(at + 10 * MINUTE);
      expect(await before.evaluateNow(at)).toMatchObject({ notifications: 1 });
      // Ten minutes on, the window holds no blocked request: the instance resolves (keepFiringFor 0m).
      expect(await before.evaluateNow(at + 10 * MINUTE)).toMatchObject({ transitions: 1, notifications: 1 });
      await until(() => pager.requests.some((request) => request.transition === 'resolved'));
      await before.stop(0);
      expect(await deliveries(`spike-${String(at)}`)).toEqual([]);
      const afterStop = pager.requests.length;

      pager.status = 204;
      const after = loopAt(at + 12 * MINUTE);
      expect(await after.resumeDeliveries()).toEqual({ resumed: 1, stale: 1, unreadable: 0 });
      await after.deliveriesSettled();
      await after.stop(0);
      expect(pager.requests.slice(afterStop)).toEqual([
        { status: 204, transition: 'resolved', origins: ['https://app.example.com'] },
      ]);
    } finally {
      await pager.close();
    }
  });

  it('does not send again what was delivered before the restart', async () => {
    if (store === undefined) throw new Error('chDB did not open');
    const at = NOW + 6 * DAY;
    await storeRows(store, trafficRows(spikeAfterAllowedDay(at, at + 5 * MINUTE)));
    const pager = await receiver();
    pager.status = 204;
    const loopAt = restartLoop(at, { pager: pager.url });
    try {
      const before = loopAt(at + 20_000);
      expect(await before.evaluateNow(at)).toMatchObject({ notifications: 1 });
      await before.deliveriesSettled();
      await before.stop(0);
      const after = loopAt(at + MINUTE);
      expect(await after.resumeDeliveries()).toEqual({ resumed: 0, stale: 0, unreadable: 0 });
      await after.stop(0);
      expect(pager.requests).toEqual([
        { status: 204, transition: 'firing', origins: ['https://app.example.com'] },
      ]);
    } finally {
      await pager.close();
    }
  });
});
