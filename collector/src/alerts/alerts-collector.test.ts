// Alerting in a running collector, end to end with real parts: chDB in a temp data directory, rows stored
// through the ingest path, a rules file whose webhook points at a real local HTTP receiver, the evaluator
// driven at chosen instants (evaluateNow) instead of the clock. A firing alert is delivered once, signed,
// and shown by the API; a restart on the same data keeps it firing without a second notification. The API's
// validation, tokens, silences, backtest and test notification are checked against the same collector.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readCollectorConfig } from '../config/collector-config.js';
import { startCollector, type RunningCollector } from '../server/start-collector.js';
import { AlertRuleError } from './alert-rule.js';
import { DAY, HOUR, MINUTE, storeRows, trafficRows, type Traffic } from './alert-store.fixture.js';
import {
  verifyWebhookSignature,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
} from './webhook-payload.js';

const NOW = Date.UTC(2026, 10, 16, 12, 0);
const SECRET = 'webhook-secret-0123456789';
const READ = 'reader-token-0000000001';
const ADMIN = 'admin-token-00000000001';
const APP = 'https://app.example.com';
const SPIKY = 'https://spiky.example.com';
/** Two injected spikes of 20 blocked requests per minute for 10 minutes. */
const SPIKES = [NOW - 20 * HOUR, NOW - 6 * HOUR];

interface Received {
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

let dir: string;
let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
let collector: RunningCollector | undefined;

function rulesFile(name: string, content: unknown): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(content));
  return path;
}

const RULES = {
  channels: [{ id: 'hook', type: 'webhook', url: '', secret: SECRET }],
  defaultRules: { enabled: false },
  rules: [
    {
      id: 'app-spike',
      name: 'Orders API rejects an origin',
      kind: 'rejected_spike',
      filter: { service: 'orders-*', origin: APP },
      window: '5m',
      minCount: 20,
      for: '0m',
      notify: ['hook'],
    },
  ],
};

async function start(env: Record<string, string> = {}): Promise<RunningCollector> {
  const config = readCollectorConfig({
    CORSIGHT_DATA_DIR: join(dir, 'data'),
    CORSIGHT_OTLP_PORT: '0',
    CORSIGHT_OTLP_GRPC_PORT: 'off',
    CORSIGHT_LOG_LEVEL: 'silent',
    CORSIGHT_READ_TOKENS: READ,
    CORSIGHT_ADMIN_TOKENS: ADMIN,
    CORSIGHT_ALERT_RULES: rulesFile('rules.json', {
      ...RULES,
      channels: [{ ...RULES.channels[0], url: `${receiverUrl}/hook` }],
    }),
    ...env,
  });
  return startCollector(config, { scheduleAlerts: false });
}

function running(): RunningCollector {
  if (collector === undefined) throw new Error('the collector did not start');
  return collector;
}

async function api(
  method: string,
  path: string,
  token: string | undefined,
  payload?: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${running().httpUrl}/api/v1/alerts${path}`, {
    method,
    headers: {
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
      ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(payload === undefined ? {} : { body: JSON.stringify(payload) }),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
}

const streams: Traffic[] = [
  // Two days of a steady trickle (never a spike) from one origin, with allowed traffic.
  { origin: 'https://steady.example.com', fromMs: NOW - 2 * DAY, toMs: NOW, blocked: 1, allowed: 3 },
  ...SPIKES.map((at) => ({ origin: SPIKY, fromMs: at, toMs: at + 10 * MINUTE, blocked: 20 })),
  // The live spike the rules file's rule sees at NOW (blocked_if_credentialed is not a rejection).
  { origin: APP, fromMs: NOW - 5 * MINUTE, toMs: NOW, blocked: 10, blockedIfCredentialed: 50 },
];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'corsight-alerts-collector-'));
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        url: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${String((receiver.address() as AddressInfo).port)}`;
  collector = await start();
  await storeRows(running().store, trafficRows(streams));
});

afterAll(async () => {
  await collector?.close({ drainMs: 0 });
  await new Promise((resolve) => receiver.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

describe('the evaluator in the collector', () => {
  it('delivers one signed notification when a rule fires, and shows the instance firing', async () => {
    const alerts = running().alerts;
    const report = await alerts?.evaluateNow(NOW);
    expect(report).toMatchObject({ rules: 1, errors: 0, transitions: 1, notifications: 1 });
    await alerts?.deliveriesSettled();
    expect(received).toHaveLength(1);
    const [hook] = received;
    expect(hook?.url).toBe('/hook');
    expect(
      verifyWebhookSignature({
        secret: SECRET,
        timestamp: hook?.headers[WEBHOOK_TIMESTAMP_HEADER] as string,
        signature: hook?.headers[WEBHOOK_SIGNATURE_HEADER] as string,
        body: hook?.body ?? '',
        nowMs: Date.now(),
      }),
    ).toBe(true);
    const payload = JSON.parse(hook?.body ?? '{}') as Record<string, unknown>;
    expect(payload).toMatchObject({
      transition: 'firing',
      rule: { id: 'app-spike' },
      instances: [{ key: { service: 'orders-api', origin: APP }, counts: { blocked: 50, allowed: 250 } }],
    });

    const state = await api('GET', '/state', READ);
    expect(state.status).toBe(200);
    expect(state.body).toMatchObject({
      evaluating: true,
      instances: [
        { ruleId: 'app-spike', state: 'firing', key: { origin: APP }, blocked: 50, firingSince: NOW },
      ],
    });
    const metrics = await (await fetch(`${running().httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/corsight_alert_deliveries_total\{channel_type="webhook",result="ok"\} 1/);
    expect(metrics).toMatch(/corsight_alert_instances\{state="firing"\} 1/);
    expect(metrics).toMatch(/corsight_alert_evaluations_total\{result="ok"\} 1/);
  });

  it('answers a wrong method with 405 and Allow, an unknown path with 404 naming what it serves', async () => {
    const traces = await fetch(`${running().httpUrl}/v1/traces`);
    expect(traces.status).toBe(405);
    expect(traces.headers.get('allow')).toBe('POST');
    const unknown = await fetch(`${running().httpUrl}/api/v1/sumary?x=1`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({
      error: 'not_found',
      message: expect.stringContaining('/api/v1/summary') as unknown,
    });
  });

  it('counts the OTLP requests it refuses whole on /metrics', async () => {
    const post = async (contentType: string, body: string) =>
      (
        await fetch(`${running().httpUrl}/v1/traces`, {
          method: 'POST',
          headers: { 'content-type': contentType },
          body,
        })
      ).status;
    expect(await post('text/plain', 'x')).toBe(415);
    expect(await post('application/json', '{"resourceSpans":7}')).toBe(400);
    expect(await post('application/json', '{"resourceSpans":8}')).toBe(400);
    const metrics = await (await fetch(`${running().httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/corsight_otlp_requests_refused_total\{reason="unsupported_media_type"\} 1\n/);
    expect(metrics).toMatch(/corsight_otlp_requests_refused_total\{reason="malformed"\} 2\n/);
  });

  it('after a restart on the same data: still firing, no second notification', async () => {
    await running().close({ drainMs: 0 });
    collector = undefined;
    collector = await start();
    // Before its first cycle the restarted evaluator answers from alert_events, not with nothing firing.
    expect((await api('GET', '/state', READ)).body).toMatchObject({
      instances: [{ ruleId: 'app-spike', state: 'firing', firingSince: NOW }],
    });
    const report = await running().alerts?.evaluateNow(NOW + MINUTE);
    expect(report).toMatchObject({ errors: 0, transitions: 0, notifications: 0 });
    await running().alerts?.deliveriesSettled();
    expect(received).toHaveLength(1);
    const state = await api('GET', '/state', READ);
    expect(state.body).toMatchObject({
      instances: [{ ruleId: 'app-spike', state: 'firing', firingSince: NOW }],
    });
    // Deliveries are recorded when they happen (the clock's now), transitions at the evaluated minute.
    const events = await api(
      'GET',
      `/events?from=${String(NOW - HOUR)}&to=${String(Date.now() + HOUR)}`,
      READ,
    );
    const kinds = (events.body.events as { event: string; deliveryOk: boolean | null }[]).map((e) => e.event);
    expect(kinds.sort()).toEqual(['delivery', 'firing', 'notified']);
    expect(events.body.events).toContainEqual(
      expect.objectContaining({ event: 'delivery', channelId: 'hook', deliveryOk: true, attempts: 1 }),
    );
    const range = `from=${String(NOW - HOUR)}&to=${String(Date.now() + HOUR)}`;
    const one = await api('GET', `/events?${range}&rule=app-spike&limit=2`, READ);
    expect(one.body.events).toHaveLength(2);
    // Each parameter once and in its one form, as the query API takes them: a repeated rule used to answer
    // an empty list, and limit=1e3 passed.
    for (const wrong of ['rule=app-spike&rule=app-spike', 'limit=1e3', 'limit=0x10', 'rule=../x']) {
      const refused = await api('GET', `/events?${range}&${wrong}`, READ);
      expect(refused.status, wrong).toBe(400);
      expect(refused.body, wrong).toMatchObject({ error: 'bad_parameter', parameter: wrong.split('=')[0] });
    }
  });

  it('stops start-up on a wrong rules file, naming each wrong field', async () => {
    const wrong = rulesFile('wrong.json', {
      rules: [{ id: 'x', name: 'x', kind: 'rejected_spike', window: '5x' }],
    });
    const config = readCollectorConfig({
      CORSIGHT_DATA_DIR: join(dir, 'other'),
      CORSIGHT_ALERT_RULES: wrong,
      CORSIGHT_LOG_LEVEL: 'silent',
    });
    const failure = await startCollector(config).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(AlertRuleError);
    expect((failure as AlertRuleError).problems).toEqual([
      'rules[0].window: expected a duration like 5m, 1h, 7d, got "5x"',
    ]);
  });
});

describe('the alerts API', () => {
  const rule = {
    id: 'api-ratio',
    name: 'Search blocks a third of its CORS requests',
    kind: 'blocked_ratio',
    ratio: 0.3,
    notify: ['hook'],
  };

  it('takes rule and silence changes only with an admin token', async () => {
    // An admin token reads whatever a read token reads: the query API and the capture status too.
    for (const path of ['/api/v1/summary', '/api/v1/services/capture', '/api/v1/alerts/rules']) {
      const read = async (token: string | undefined) =>
        (
          await fetch(`${running().httpUrl}${path}`, {
            headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
          })
        ).status;
      expect([path, await read(undefined), await read(READ), await read(ADMIN)]).toEqual([
        path,
        401,
        200,
        200,
      ]);
    }
    expect((await api('POST', '/rules', undefined, rule)).status).toBe(401);
    expect((await api('POST', '/rules', READ, rule)).status).toBe(401);
    expect((await api('GET', '/rules', undefined)).status).toBe(401);
    const created = await api('POST', '/rules', ADMIN, rule);
    expect(created).toMatchObject({
      status: 201,
      body: { version: 1, rule: { id: 'api-ratio', window: '5m' } },
    });
    expect((await api('POST', '/rules', ADMIN, rule)).status).toBe(409);
    const changed = await api('PUT', '/rules/api-ratio', ADMIN, { ...rule, ratio: 0.5 });
    expect(changed).toMatchObject({ status: 200, body: { version: 2, rule: { ratio: 0.5 } } });
    // Reads are reads whatever the method that asks: HEAD too.
    expect((await api('HEAD', '/rules', READ)).status).toBe(200);
    const ratioSilence = await api('POST', '/silences', ADMIN, {
      ruleId: 'api-ratio',
      origin: APP,
      endsAt: Date.now() + HOUR,
    });
    expect(ratioSilence.status).toBe(400);
    expect(String(ratioSilence.body.message)).toContain('not by origin');
    const listed = await api('GET', '/rules', READ);
    expect(listed.body.rules).toMatchObject([
      { id: 'app-spike', source: 'file', state: 'firing', instances: { firing: 1, pending: 0 } },
      { id: 'api-ratio', source: 'api', version: 2, state: 'inactive', spec: { ratio: 0.5 } },
    ]);
    // The evaluator picks up API rules at its next cycle.
    expect(await running().alerts?.evaluateNow(NOW + 2 * MINUTE)).toMatchObject({ rules: 2, errors: 0 });

    const silence = await api('POST', '/silences', ADMIN, {
      ruleId: 'app-spike',
      origin: APP,
      endsAt: new Date(Date.now() + DAY).toISOString(),
      comment: 'known: the frontend is being moved',
    });
    expect(silence).toMatchObject({ status: 201, body: { silence: { ruleId: 'app-spike', origin: APP } } });
    const id = (silence.body.silence as { id: string }).id;
    expect((await api('GET', '/silences', READ)).body).toMatchObject({ silences: [{ id, origin: APP }] });
    expect((await api('DELETE', `/silences/${id}`, READ)).status).toBe(401);
    expect((await api('DELETE', `/silences/${id}`, ADMIN)).status).toBe(204);
    expect((await api('GET', '/silences', READ)).body).toEqual({ silences: [] });

    expect((await api('DELETE', '/rules/app-spike', ADMIN)).status).toBe(409);
    expect((await api('DELETE', '/rules/api-ratio', ADMIN)).status).toBe(204);
    expect((await api('DELETE', '/rules/api-ratio', ADMIN)).status).toBe(404);
    const after = await api('GET', '/rules', READ);
    expect((after.body.rules as { id: string }[]).map((r) => r.id)).toEqual(['app-spike']);
  });

  it('takes concurrent changes to one rule one at a time: none lost, no version twice', async () => {
    const race = { ...rule, id: 'race' };
    const created = await Promise.all([1, 2, 3].map(() => api('POST', '/rules', ADMIN, race)));
    expect(created.map((answer) => answer.status).sort()).toEqual([201, 409, 409]);
    const changed = await Promise.all(
      [0.4, 0.5, 0.6].map((ratio) => api('PUT', '/rules/race', ADMIN, { ...race, ratio })),
    );
    expect(changed.map((answer) => answer.body.version).sort()).toEqual([2, 3, 4]);
    expect((await api('DELETE', '/rules/race', ADMIN)).status).toBe(204);
  });

  it.each([
    ['/rules', { ...rule, window: '5x' }, 'rule.window: expected a duration like 5m, 1h, 7d, got "5x"'],
    ['/rules', { ...rule, kind: 'spike' }, 'rule.kind: expected kind to be one of'],
    ['/rules', { ...rule, notify: ['pager'] }, 'rule.notify: unknown channel "pager" (known: hook;'],
    ['/rules', [], '(body): expected a JSON object'],
    ['/silences', { ruleId: 'app-spike' }, 'silence.endsAt: expected an ISO-8601'],
    ['/silences', { ruleId: 'nope', endsAt: Date.now() + HOUR }, 'silence.ruleId: no rule "nope"'],
    [
      '/silences',
      { ruleId: 'app-spike', origin: 'https://a.example\u0000', endsAt: Date.now() + HOUR },
      'silence.origin: must not contain control characters',
    ],
    [
      '/silences',
      { ruleId: 'app-spike', origin: 'HTTPS://PARTNER.EXAMPLE/', endsAt: Date.now() + HOUR },
      'silence.origin: must be an origin as alerts name it',
    ],
    [
      '/silences',
      { ruleId: 'app-spike', comment: 'moved\u001b[2J', endsAt: Date.now() + HOUR },
      'silence.comment: must not contain control characters other than line breaks and tabs',
    ],
    ['/backtest', { rule: { ...rule, ratio: 2 } }, 'rule.ratio: must be ≤ 1'],
    ['/backtest', { rule, from: 'yesterday' }, 'from must be an ISO-8601'],
    ['/backtest', { rule, from: NOW, to: NOW - HOUR }, 'from: must be earlier than to'],
    ['/test', { channel: 'pager' }, 'channel: expected a channel id from the rules file (known: hook)'],
  ])('answers POST %s %j with a 400 naming the field', async (path, payload, message) => {
    const answer = await api('POST', path, ADMIN, payload);
    expect(answer.status).toBe(400);
    expect(JSON.stringify(answer.body)).toContain(JSON.stringify(message).slice(1, -1));
  });

  it('backtests a rule over the stored minutes: each injected spike once, with its key and start', async () => {
    const answer = await api('POST', '/backtest', READ, {
      // A draft: no id or name yet.
      rule: {
        kind: 'rejected_spike',
        window: '5m',
        minCount: 20,
        for: '2m',
      },
      from: NOW - DAY,
      to: new Date(NOW - 30 * MINUTE).toISOString(),
    });
    expect(answer.status).toBe(200);
    const firings = answer.body.firings as {
      key: unknown;
      start: number;
      end: number | null;
      peak: number;
    }[];
    expect(firings.map((firing) => firing.key)).toEqual([
      { service: 'orders-api', origin: SPIKY },
      { service: 'orders-api', origin: SPIKY },
    ]);
    firings.forEach((firing, index) => {
      const spike = SPIKES[index] ?? 0;
      expect(firing.start).toBeGreaterThanOrEqual(spike);
      expect(firing.start).toBeLessThanOrEqual(spike + 5 * MINUTE);
      expect(firing.end).not.toBeNull();
      expect(firing.peak).toBe(100);
    });
  });

  it('sends a test notification on a channel and records its delivery', async () => {
    const before = received.length;
    const answer = await api('POST', '/test', ADMIN, { channel: 'hook' });
    expect(answer).toMatchObject({ status: 200, body: { delivery: { channelId: 'hook', ok: true } } });
    expect(received).toHaveLength(before + 1);
    expect(JSON.parse(received.at(-1)?.body ?? '{}')).toMatchObject({ rule: { id: 'corsight-test' } });
  });
});

describe('a collector with read tokens but no admin token', () => {
  it('refuses changes and says which setting allows them', async () => {
    await running().close({ drainMs: 0 });
    collector = undefined;
    collector = await start({ CORSIGHT_ADMIN_TOKENS: '', CORSIGHT_ALERTS: 'off' });
    expect(running().alerts).toBeUndefined();
    const answer = await api('POST', '/rules', READ, {
      id: 'x',
      name: 'x',
      kind: 'blocked_ratio',
      ratio: 0.5,
    });
    expect(answer.status).toBe(403);
    expect(answer.body.message).toContain('CORSIGHT_ADMIN_TOKENS');
    // Not evaluating here: the state comes from alert_events.
    const state = await api('GET', '/state', READ);
    expect(state.body).toMatchObject({
      evaluating: false,
      instances: [{ ruleId: 'app-spike', state: 'firing', firingSince: NOW }],
    });
  });
});
