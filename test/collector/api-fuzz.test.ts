// Odd and seeded random input against one running collector (chDB in a temp directory, real HTTP on 127.0.0.1): the
// query API's parameters, the alerting API's bodies and ids, OTLP/JSON with attributes of every type and
// protobuf with flipped or cut bytes. Whatever arrives, the answer is a 2xx, a 4xx with a message, or (OTLP
// push-back) a 503; never another 5xx, and the collector stays healthy. Every GET endpoint is swept with
// each parameter it reads set to each odd value; then random combinations follow. The hand-picked cases live
// in hostile-ingest.test.ts and the packages' own tests; this one covers the combinations nobody picks.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { distinctOriginRequests } from './distinct-origins.fixture.ts';
import { otlpJsonBatch } from './otlp-json-batch.ts';
import { useTempCollector } from './temp-collector.fixture.ts';

const collector = useTempCollector('api-fuzz', { CORSIGHT_BATCH_AGE_MS: '50' });

/** xorshift32: the same seed sends the same requests, so a failure names a reproducible case. */
function seeded(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x1_0000_0000;
  };
}

const ODD_TEXT = [
  '',
  ' ',
  '0',
  '-1',
  '1e309',
  'NaN',
  'Infinity',
  '9'.repeat(40),
  '2026-13-45T99:99:99Z',
  '2026-11-27T00:00:00Z',
  '1m',
  '0m',
  '-5m',
  '999999d',
  '1.5h',
  'x'.repeat(5000),
  '\u0000',
  '%00',
  '\u202e',
  '😀'.repeat(100),
  '*',
  '**',
  '?',
  '[',
  '\\',
  '"',
  "'",
  '<script>alert(1)</script>',
  'https://a.example',
  'null',
  'true',
  '{}',
  '[]',
  'service',
  'route',
  'origin',
  'outcome',
  'reason',
  'requests',
  'blocked',
  '__proto__',
  'constructor',
] as const;

/** The odd values most likely to trip a parser, for the sweep of every parameter of every GET. */
const SWEPT_TEXT = [
  '',
  '-1',
  '1e309',
  'NaN',
  '9'.repeat(40),
  '2026-13-45T99:99:99Z',
  '0m',
  '-5m',
  '999999d',
  'x'.repeat(5000),
  '\u0000',
  '😀'.repeat(100),
  '[',
  '__proto__',
] as const;

const RULE_FIELDS = [
  'rule',
  'id',
  'name',
  'kind',
  'filter',
  'groupBy',
  'window',
  'minCount',
  'for',
  'repeat',
  'notify',
  'baseline',
  'factor',
  'lookback',
  'ratio',
  'from',
  'to',
  'allowlist',
  'service',
  'ruleId',
  'origin',
  'startsAt',
  'endsAt',
  'comment',
  'channel',
  'groupLimit',
  'keepFiringFor',
  '__proto__',
  'constructor',
] as const;

const RANGE = ['from', 'to'] as const;
const FILTERS = ['service', 'route', 'origin', 'method'] as const;
/** Each GET endpoint with the query parameters it reads. */
const GETS: Readonly<Record<string, readonly string[]>> = {
  '/api/v1/summary': [...RANGE, ...FILTERS],
  '/api/v1/timeseries': [...RANGE, 'step', ...FILTERS, 'outcome', 'kind', 'metric', 'groupBy', 'top'],
  '/api/v1/services': [...RANGE, 'limit'],
  '/api/v1/routes': [...RANGE, 'service', 'limit'],
  '/api/v1/origins/rejected': [...RANGE, ...FILTERS, 'limit'],
  '/api/v1/preflight-cache': [...RANGE, ...FILTERS, 'limit'],
  '/api/v1/mismatches': [
    ...RANGE,
    'step',
    ...FILTERS,
    'outcome',
    'kind',
    'finding',
    'code',
    'examples',
    'limit',
  ],
  '/api/v1/policy-changes': [...RANGE, 'service', 'limit'],
  '/api/v1/services/capture': [],
  '/api/v1/alerts/rules': [],
  '/api/v1/alerts/silences': [],
  '/api/v1/alerts/state': [],
  '/api/v1/alerts/events': [...RANGE, 'limit', 'rule'],
};
const GET_PATHS = Object.keys(GETS);

const ATTRIBUTE_KEYS = [
  'cors.origin',
  'cors.kind',
  'cors.outcome',
  'cors.reasons',
  'cors.sample_weight',
  'cors.span_role',
  'http.request.header.origin',
  'http.response.header.access-control-allow-origin',
  'http.request.method',
  'http.route',
  'service.name',
] as const;

class Inputs {
  constructor(readonly random: () => number) {}

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }

  count(max: number): number {
    return Math.floor(this.random() * (max + 1));
  }

  text(): string {
    return this.pick(ODD_TEXT);
  }

  json(depth = 0): unknown {
    const roll = this.random();
    if (depth > 3 || roll < 0.3)
      return this.pick([null, true, false, 0, -1, 1e308, 0.5, 2 ** 53 + 1, this.text(), this.text()]);
    if (roll < 0.55) return Array.from({ length: this.count(3) }, () => this.json(depth + 1));
    const object: Record<string, unknown> = {};
    for (let i = 0; i <= this.count(5); i++) object[this.pick(RULE_FIELDS)] = this.json(depth + 1);
    return object;
  }

  /** A rule spec that is valid but for a field or two. */
  rule(): Record<string, unknown> {
    return {
      id: `fuzz-${String(this.count(4))}`,
      name: 'Fuzz',
      kind: this.pick(['rejected_spike', 'new_rejected_origin', 'newly_blocked_origin', 'blocked_ratio']),
      groupBy: this.pick([[], ['origin'], ['service', 'route', 'origin'], [this.text()]]),
      window: this.pick(['5m', '1m', '1d', this.text()]),
      minCount: this.pick([1, 0, -1, 1e9, this.text()]),
      ratio: this.pick([0.5, 2, -1]),
      factor: this.pick([3, 0, -2]),
      baseline: this.pick(['7d', '1m', this.text()]),
      lookback: this.pick(['30d', '1m', this.text()]),
      filter: this.pick([{}, { origin: this.text() }, { route: '/**' }, this.text()]),
    };
  }

  attributeValue(): unknown {
    return this.pick([
      { stringValue: this.text() },
      { intValue: this.text() },
      { doubleValue: this.pick([1e308, -1, this.text()]) },
      { boolValue: this.text() },
      { arrayValue: { values: [{ stringValue: this.text() }, { intValue: '7' }] } },
      { kvlistValue: { values: [{ key: 'a', value: { stringValue: 'b' } }] } },
      { bytesValue: this.text() },
      this.json(),
    ]);
  }

  /** A valid OTLP/JSON batch with one span's fields and attributes replaced by odd ones. */
  otlpJson(batch: number): string {
    const request = JSON.parse(otlpJsonBatch({ service: 'fuzz', batch, spans: 2 })) as {
      resourceSpans: { scopeSpans: { spans: Record<string, unknown>[] }[] }[];
    };
    const span = request.resourceSpans[0]?.scopeSpans[0]?.spans[0];
    if (span === undefined) throw new Error('otlpJsonBatch built no span');
    for (let i = 0; i <= this.count(3); i++) {
      const field = this.pick([
        'traceId',
        'spanId',
        'name',
        'kind',
        'startTimeUnixNano',
        'endTimeUnixNano',
        'status',
      ]);
      span[field] = this.pick([this.text(), this.json(), -1, 1e30]);
    }
    const attributes = span.attributes as { key: string; value: unknown }[];
    for (let i = 0; i <= this.count(4); i++) {
      attributes.push({ key: this.pick([...ATTRIBUTE_KEYS, this.text()]), value: this.attributeValue() });
    }
    return JSON.stringify(this.random() < 0.1 ? this.json() : request);
  }
}

interface Answer {
  readonly request: string;
  readonly status: number;
  readonly body: string;
}

describe('random input', () => {
  it('gets a 2xx or a 4xx with a message from every API, never another 5xx, and the collector stays healthy', async () => {
    const base = collector().httpUrl;
    const inputs = new Inputs(seeded(20261127));
    const protobuf = distinctOriginRequests({
      service: 'fuzz-protobuf',
      spansPerRequest: 4,
      timeMs: Date.now(),
    });
    const answers: Answer[] = [];
    const send = async (
      method: string,
      path: string,
      body?: string | Buffer,
      type?: string,
    ): Promise<void> => {
      const headers: Record<string, string> = type === undefined ? {} : { 'content-type': type };
      if (body instanceof Buffer && type === 'application/json') headers['content-encoding'] = 'gzip';
      const response = await fetch(`${base}${path}`, {
        method,
        headers,
        body: (body ?? null) as BodyInit | null,
      });
      answers.push({
        request: `${method} ${path.slice(0, 200)} ${String(body ?? '').slice(0, 200)}`,
        status: response.status,
        body: await response.text(),
      });
    };
    // Every GET with each parameter it reads set to each odd value, one at a time, four requests in flight.
    const sweep = GET_PATHS.flatMap((path) =>
      (GETS[path] ?? []).flatMap((name) =>
        SWEPT_TEXT.map((value) => `${path}?${new URLSearchParams({ [name]: value }).toString()}`),
      ),
    );
    const workers = Array.from({ length: 4 }, async (_, worker) => {
      for (let i = worker; i < sweep.length; i += 4) await send('GET', sweep[i] as string);
    });
    await Promise.all(workers);
    // Then random combinations of everything.
    for (let i = 0; i < 500; i++) {
      const roll = inputs.random();
      if (roll < 0.35) {
        const query = new URLSearchParams();
        const path = inputs.pick(GET_PATHS);
        const names = GETS[path] ?? [];
        for (let k = 0; names.length > 0 && k < inputs.count(4); k++)
          query.append(inputs.pick(names), inputs.text());
        await send('GET', `${path}?${query.toString()}`);
      } else if (roll < 0.45) {
        const body = inputs.pick([
          JSON.stringify(inputs.json()),
          JSON.stringify({
            allowlist: Array.from({ length: inputs.count(4) }, () => inputs.text()),
            from: inputs.text(),
          }),
          inputs.text(),
        ]);
        await send('POST', '/api/v1/simulate', body, inputs.pick(['application/json', 'text/plain']));
      } else if (roll < 0.6) {
        const path = inputs.pick([
          '/api/v1/alerts/rules',
          '/api/v1/alerts/silences',
          '/api/v1/alerts/backtest',
          '/api/v1/alerts/test',
          `/api/v1/alerts/rules/${encodeURIComponent(inputs.text())}`,
          `/api/v1/alerts/silences/${encodeURIComponent(inputs.text())}`,
        ]);
        const method = /\/(rules|silences)\/./.test(path) ? inputs.pick(['PUT', 'DELETE']) : 'POST';
        if (method === 'DELETE') {
          await send(method, path);
        } else {
          const body = inputs.pick([
            JSON.stringify(inputs.json()),
            JSON.stringify(inputs.rule()),
            JSON.stringify({ rule: inputs.rule(), from: inputs.text() }),
            JSON.stringify({ ruleId: inputs.text(), origin: inputs.text(), endsAt: inputs.text() }),
          ]);
          await send(method, path, body, 'application/json');
        }
      } else if (roll < 0.8) {
        const text = inputs.otlpJson(i);
        await send('POST', '/v1/traces', inputs.random() < 0.2 ? gzipSync(text) : text, 'application/json');
      } else {
        const bytes = Buffer.from(protobuf.request(i));
        for (let k = 0; k <= inputs.count(8); k++)
          bytes[Math.floor(inputs.random() * bytes.length)] = inputs.count(255);
        const sent = inputs.random() < 0.5 ? bytes : bytes.subarray(0, inputs.count(bytes.length));
        await send('POST', '/v1/traces', sent, 'application/x-protobuf');
      }
    }
    // 503: OTLP push-back; 502: POST /test when the channel failed (no channel is configured here).
    const failed = answers.filter(
      ({ request, status }) =>
        status >= 500 &&
        status !== 503 &&
        !(status === 502 && request.startsWith('POST /api/v1/alerts/test')),
    );
    expect(failed).toEqual([]);
    // A 4xx explains itself.
    expect(answers.filter(({ status, body }) => status >= 400 && status < 500 && body.length < 10)).toEqual(
      [],
    );
    // Both kinds of answer occurred: the inputs reached past the validators as well as into them.
    expect(answers.some(({ status }) => status === 200)).toBe(true);
    expect(answers.some(({ status }) => status === 400)).toBe(true);
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
  }, 240_000);
});
