// Notifiers against real HTTP receivers on 127.0.0.1 (node:http, port 0): the webhook's signature checked by
// the receiver the way a user's receiver would, the Slack Block Kit and Alertmanager v2 shapes as received,
// a receiver that is down or slow (retries, every attempt recorded, nothing thrown), and a hostile origin
// that stays text in every channel.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { REASONS } from '@corsight/instrumentation';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { AlertNotification, NotifiedInstance } from './alert-evaluator.js';
import type { AlertChannel } from './alert-rule.js';
import { deliverNotification, deliverRequest, type DeliveryOptions } from './deliver-notification.js';
import { escapeSlackText, slackPayload } from './slack-payload.js';
import {
  verifyWebhookSignature,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_TIMESTAMP_HEADER,
} from './webhook-payload.js';

interface Received {
  readonly method: string | undefined;
  readonly url: string | undefined;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
}

type Behaviour = (
  request: Received,
  count: number,
) => { status: number; body?: string; headers?: Record<string, string> } | 'hang';

/** A real HTTP receiver; `behave` decides each answer, `received` keeps every request as it arrived. */
class Receiver {
  readonly received: Received[] = [];
  behave: Behaviour = () => ({ status: 200, body: 'ok' });
  private server: Server | undefined;
  private readonly hanging = new Set<() => void>();

  async start(): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const received = {
          method: request.method,
          url: request.url,
          headers: request.headers,
          body: Buffer.concat(chunks),
        };
        this.received.push(received);
        const answer = this.behave(received, this.received.length);
        if (answer === 'hang') {
          const release = () => response.destroy();
          this.hanging.add(release);
          return;
        }
        response.writeHead(answer.status, answer.headers ?? {}).end(answer.body ?? '');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const release of this.hanging) release();
    this.server?.closeAllConnections();
    const server = this.server;
    if (server === undefined) return;
    await new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  }
}

const HOSTILE =
  'https://x.test"><img src=x onerror=alert(1)> <!channel> <https://evil.test|click> `code` *b*';
const NOW = Date.UTC(2026, 10, 26, 14, 12);
const SECRET = 'a-shared-secret-of-some-length';

function instance(origin: string, blocked = 1240): NotifiedInstance {
  return {
    id: JSON.stringify(['shop', null, origin]),
    key: { service: 'shop', origin },
    startsAtMs: NOW - 10 * 60_000,
    endsAtMs: undefined,
    blocked,
    allowed: 30,
    value: blocked,
    threshold: 105,
    baseline: 35,
    peak: 1400,
    topReasons: [{ code: 'allow_origin_mismatch', requests: 1200 }],
    policyChange: { service: 'shop', atMs: NOW - 11 * 60_000, before: 'a1b2c3d4e5f6', after: 'f6e5d4c3b2a1' },
  };
}

function notification(overrides: Partial<AlertNotification> = {}): AlertNotification {
  return {
    rule: {
      id: 'spike',
      name: 'Rejected spike',
      kind: 'rejected_spike',
      windowMs: 600_000,
      repeatMs: 4 * 3_600_000,
    },
    transition: 'firing',
    atMs: NOW,
    channels: ['hook'],
    instances: [instance('https://app.example.com')],
    totalInstances: 1,
    grouped: false,
    ...overrides,
  };
}

/** No real waiting between retries; the delays asked for are recorded. */
function fastRetries(overrides: Partial<DeliveryOptions> = {}): DeliveryOptions & { slept: number[] } {
  const slept: number[] = [];
  return {
    timeoutMs: 1000,
    maxAttempts: 3,
    backoff: { initialDelayMs: 100, maxDelayMs: 2000, factor: 2 },
    random: () => 0.5,
    sleep: (ms) => {
      slept.push(ms);
      return Promise.resolve();
    },
    slept,
    ...overrides,
  };
}

const receiver = new Receiver();
let base = '';
const render = { dashboardUrl: 'https://corsight.example.com/base' };

beforeAll(async () => {
  base = await receiver.start();
});
afterAll(async () => {
  await receiver.stop();
});
beforeEach(() => {
  receiver.received.length = 0;
  receiver.behave = () => ({ status: 200, body: 'ok' });
});

describe('generic webhook', () => {
  const channel: AlertChannel = { id: 'hook', type: 'webhook', url: '', secret: SECRET };

  it('arrives signed over timestamp and body, and the receiver can verify it', async () => {
    const records = await deliverNotification(
      notification(),
      [{ ...channel, url: `${base}/hook` }],
      render,
      fastRetries(),
    );
    expect(records).toMatchObject([
      { channelId: 'hook', channelType: 'webhook', ok: true, attempts: [{ attempt: 1, status: 200 }] },
    ]);
    const [request] = receiver.received;
    if (request === undefined) throw new Error('nothing received');
    expect(request.headers['content-type']).toBe('application/json');
    const check = {
      secret: SECRET,
      timestamp: request.headers[WEBHOOK_TIMESTAMP_HEADER] as string,
      signature: request.headers[WEBHOOK_SIGNATURE_HEADER] as string,
      body: request.body,
      nowMs: Date.now(),
    };
    expect(check.signature).toMatch(/^v1=[0-9a-f]{64}$/);
    expect(verifyWebhookSignature(check)).toBe(true);
    expect(verifyWebhookSignature({ ...check, secret: 'another-secret-of-some-length' })).toBe(false);
    expect(verifyWebhookSignature({ ...check, body: Buffer.concat([request.body, Buffer.from(' ')]) })).toBe(
      false,
    );
    expect(verifyWebhookSignature({ ...check, nowMs: Date.now() + 3_600_000 })).toBe(false);
  });

  it('carries rule, counts, baseline, reasons with their fix, the policy change and a dashboard link', async () => {
    await deliverNotification(notification(), [{ ...channel, url: `${base}/hook` }], render, fastRetries());
    const body = JSON.parse(receiver.received[0]?.body.toString('utf8') ?? '') as Record<string, unknown>;
    expect(body).toMatchObject({
      version: 1,
      source: 'corsight',
      transition: 'firing',
      rule: { id: 'spike', kind: 'rejected_spike', window: '10m' },
      totalInstances: 1,
      instances: [
        {
          key: { service: 'shop', origin: 'https://app.example.com' },
          state: 'firing',
          counts: { blocked: 1240, allowed: 30 },
          baseline: 35,
          threshold: 105,
          peak: 1400,
          endsAt: null,
          topReasons: [
            {
              code: 'allow_origin_mismatch',
              requests: 1200,
              summary: REASONS.allow_origin_mismatch.summary,
              fix: REASONS.allow_origin_mismatch.fix,
            },
          ],
          policyChange: { service: 'shop', before: 'a1b2c3d4e5f6', after: 'f6e5d4c3b2a1' },
        },
      ],
    });
    const link = new URL((body['instances'] as { dashboardUrl: string }[])[0]?.dashboardUrl ?? '');
    expect(link.pathname).toBe('/base/origins');
    expect(link.searchParams.get('origin')).toBe('https://app.example.com');
    expect(link.searchParams.get('service')).toBe('shop');
  });

  it('sends no signature header without a secret', async () => {
    await deliverNotification(
      notification(),
      [{ id: 'hook', type: 'webhook', url: `${base}/hook` }],
      render,
      fastRetries(),
    );
    expect(receiver.received[0]?.headers[WEBHOOK_SIGNATURE_HEADER]).toBeUndefined();
    expect(receiver.received[0]?.headers[WEBHOOK_TIMESTAMP_HEADER]).toMatch(/^\d+$/);
  });

  it('keeps a hostile origin as data: no raw < > & in the body, the same string after parsing, capped', async () => {
    const long = `${HOSTILE}${'a'.repeat(400)}`;
    await deliverNotification(
      notification({ instances: [instance(long)] }),
      [{ ...channel, url: `${base}/hook` }],
      render,
      fastRetries(),
    );
    const raw = receiver.received[0]?.body.toString('utf8') ?? '';
    expect(raw).not.toMatch(/[<>&]/);
    const body = JSON.parse(raw) as { instances: { key: { origin: string } }[] };
    const origin = body.instances[0]?.key.origin ?? '';
    expect(Array.from(origin)).toHaveLength(256);
    expect(origin.startsWith(HOSTILE)).toBe(true);
    expect(origin.endsWith('…')).toBe(true);
  });
});

describe('Slack', () => {
  const channel = (): AlertChannel => ({ id: 'hook', type: 'slack', url: `${base}/services/T/B/X` });

  it('posts Block Kit: a header, the instance line, why and fix, and a context with the link', async () => {
    const records = await deliverNotification(notification(), [channel()], render, fastRetries());
    expect(records[0]?.ok).toBe(true);
    const body = JSON.parse(receiver.received[0]?.body.toString('utf8') ?? '') as {
      text: string;
      blocks: { type: string; text?: { type: string; text: string }; elements?: { text: string }[] }[];
    };
    expect(body.blocks.map((block) => block.type)).toEqual(['header', 'section', 'section', 'context']);
    expect(body.blocks[0]?.text).toEqual({
      type: 'plain_text',
      text: '🔴 Firing: Rejected spike',
      emoji: true,
    });
    expect(body.blocks[1]?.text?.text).toBe(
      '• `https://app.example.com` on `shop`: 1,240 blocked requests in 10m (usual 35, threshold 105)',
    );
    expect(body.blocks[2]?.text?.text).toContain(
      `*Fix:* ${escapeSlackText(REASONS.allow_origin_mismatch.fix)}`,
    );
    expect(body.blocks[2]?.text?.text).toContain('*Since the* policy change at 2026-11-26 14:01 UTC');
    expect(body.blocks[3]?.elements?.[0]?.text).toMatch(
      /^Rule `spike` · <https:\/\/corsight\.example\.com\/base\/origins\?[^|>]+\|Open in Corsight>$/,
    );
    // What a phone shows: one short line.
    expect(body.text).toBe(
      'Firing: Rejected spike, https://app.example.com shop, 1,240 blocked requests in 10m (usual 35, threshold 105)',
    );
    expect(body.text.length).toBeLessThanOrEqual(300);
  });

  it('makes a hostile origin inert: no link, no mention, no formatting, only our own link remains', () => {
    const payload = slackPayload(notification({ instances: [instance(HOSTILE)] }), render);
    const texts = [
      payload.text,
      ...payload.blocks.flatMap((block) => {
        const typed = block as { text?: { text: string }; elements?: { text: string }[] };
        return [typed.text?.text ?? '', ...(typed.elements ?? []).map((element) => element.text)];
      }),
    ];
    const ownLink = /<https:\/\/corsight\.example\.com\/base\/origins\?[^<>|]*\|Open in Corsight>/g;
    for (const text of texts) expect(text.replace(ownLink, '')).not.toMatch(/[<>]/);
    const line = (payload.blocks[1] as { text: { text: string } }).text.text;
    expect(line).toContain('&lt;!channel&gt;');
    expect(line).toContain('&lt;img src=x onerror=alert(1)&gt;');
    // The origin sits in one code span: its backticks were replaced so it cannot close the span early.
    expect(line.startsWith('• `https://x.test"&gt;&lt;img')).toBe(true);
    expect(line).toContain(' code  *b*` on `shop`');
  });

  it('folds a scanner burst into one message listing ten instances and the count of the rest', () => {
    const instances = Array.from({ length: 20 }, (_, index) => instance(`https://s${index}.scan.test`, 50));
    const payload = slackPayload(notification({ instances, totalInstances: 500, grouped: true }), render);
    expect((payload.blocks[0] as { text: { text: string } }).text.text).toBe(
      '🔴 Firing: Rejected spike (500 instances)',
    );
    const lines = (payload.blocks[1] as { text: { text: string } }).text.text.split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[10]).toBe('…and 490 more');
    expect(payload.text).toBe('Firing: Rejected spike, 500 instances');
  });
});

describe('Alertmanager v2', () => {
  const channel = (): AlertChannel => ({ id: 'hook', type: 'alertmanager', url: `${base}/am/` });

  it('posts an array of alerts to /api/v2/alerts with labels, annotations, startsAt/endsAt and generatorURL', async () => {
    await deliverNotification(notification(), [channel()], render, fastRetries());
    const request = receiver.received[0];
    expect(request?.url).toBe('/am/api/v2/alerts');
    const alerts = JSON.parse(request?.body.toString('utf8') ?? '') as Record<string, unknown>[];
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      labels: {
        alertname: 'Rejected spike',
        rule_id: 'spike',
        kind: 'rejected_spike',
        source: 'corsight',
        service: 'shop',
        origin: 'https://app.example.com',
      },
      annotations: {
        reason: 'allow_origin_mismatch',
        fix: REASONS.allow_origin_mismatch.fix,
        baseline: '35',
      },
      startsAt: new Date(NOW - 600_000).toISOString(),
      // Past the next reminder (4h) plus a margin, renewed by each reminder.
      endsAt: new Date(NOW + 4 * 3_600_000 + 600_000).toISOString(),
    });
    expect(String(alerts[0]?.['generatorURL'])).toMatch(/^https:\/\/corsight\.example\.com\/base\/origins\?/);
  });

  it('ends a resolved alert at its resolve time', async () => {
    const resolved = { ...instance('https://app.example.com'), endsAtMs: NOW };
    await deliverNotification(
      notification({ transition: 'resolved', instances: [resolved] }),
      [channel()],
      render,
      fastRetries(),
    );
    const alerts = JSON.parse(receiver.received[0]?.body.toString('utf8') ?? '') as { endsAt: string }[];
    expect(alerts[0]?.endsAt).toBe(new Date(NOW).toISOString());
  });
});

describe('delivery', () => {
  const request = () => ({
    url: `${base}/hook`,
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });

  it('retries a 500 and records both attempts', async () => {
    receiver.behave = (_request, count) =>
      count === 1 ? { status: 500, body: 'database is down' } : { status: 204 };
    const options = fastRetries();
    const result = await deliverRequest(request(), options);
    expect(result.ok).toBe(true);
    expect(result.attempts).toMatchObject([
      { attempt: 1, status: 500, error: 'HTTP 500: database is down' },
      { attempt: 2, status: 204 },
    ]);
    expect(options.slept).toEqual([75]);
  });

  it('does not retry a 404 (a wrong URL does not heal)', async () => {
    receiver.behave = () => ({ status: 404, body: 'no_service' });
    const result = await deliverRequest(request(), fastRetries());
    expect(result).toMatchObject({ ok: false, attempts: [{ status: 404, error: 'HTTP 404: no_service' }] });
  });

  it('waits as long as Retry-After asks on a 429, up to the backoff cap', async () => {
    receiver.behave = (_request, count) =>
      count === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 };
    const options = fastRetries();
    expect((await deliverRequest(request(), options)).ok).toBe(true);
    expect(options.slept).toEqual([1000]);
  });

  it('records a receiver that is down: every attempt refused, backoff between them, nothing thrown', async () => {
    const down = new Receiver();
    const url = await down.start();
    await down.stop();
    const options = fastRetries();
    const records = await deliverNotification(
      notification(),
      [{ id: 'hook', type: 'webhook', url }],
      render,
      options,
    );
    expect(records).toHaveLength(1);
    expect(records[0]?.ok).toBe(false);
    expect(records[0]?.attempts.map((attempt) => attempt.error)).toEqual([
      expect.stringMatching(/^ECONNREFUSED/),
      expect.stringMatching(/^ECONNREFUSED/),
      expect.stringMatching(/^ECONNREFUSED/),
    ]);
    expect(options.slept).toEqual([75, 150]);
  });

  it('records a receiver that is slow: each attempt times out', async () => {
    receiver.behave = () => 'hang';
    const started = performance.now();
    const result = await deliverRequest(request(), fastRetries({ timeoutMs: 150, maxAttempts: 2 }));
    expect(result.ok).toBe(false);
    expect(result.attempts.map((attempt) => attempt.error)).toEqual([
      'timeout after 150 ms',
      'timeout after 150 ms',
    ]);
    for (const attempt of result.attempts) expect(attempt.durationMs).toBeGreaterThanOrEqual(140);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(receiver.received).toHaveLength(2);
  });

  it.each([
    ['an attempt in flight', () => 'hang' as const, 'interrupted'],
    ['the wait before the next attempt', () => ({ status: 503 }), 'HTTP 503'],
  ])('ends at once when interrupted during %s, and starts no other attempt', async (_case, behave, error) => {
    receiver.behave = behave;
    const stop = new AbortController();
    setTimeout(() => {
      stop.abort();
    }, 100);
    const started = performance.now();
    const result = await deliverRequest(request(), {
      timeoutMs: 5000,
      maxAttempts: 8,
      backoff: { initialDelayMs: 60_000, maxDelayMs: 60_000, factor: 2 },
      signal: stop.signal,
    });
    expect(performance.now() - started).toBeLessThan(1000);
    expect(result).toMatchObject({ ok: false, attempts: [{ attempt: 1, error }] });
    expect(result.attempts).toHaveLength(1);
    expect(receiver.received).toHaveLength(1);
  });

  it('records a notification for a channel that no longer exists', async () => {
    const records = await deliverNotification(
      notification({ channels: ['gone'] }),
      [],
      render,
      fastRetries(),
    );
    expect(records).toMatchObject([
      { channelId: 'gone', channelType: 'unknown', ok: false, attempts: [{ error: 'no such channel' }] },
    ]);
  });
});
