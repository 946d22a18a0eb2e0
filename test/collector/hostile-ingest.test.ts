// The bad-input promise, against one running collector (chDB in a temp directory, real HTTP on
// 127.0.0.1): truncated and garbage protobuf, wrong content types, a gzip bomb, an oversized body, wrong
// attribute types, a 64 KiB origin, unknown OTLP/JSON fields and a million distinct origins each get their
// documented answer, and after each one the collector still stores a valid request.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { ATTR } from '@corsight/instrumentation';
import { describe, expect, it } from 'vitest';
import { useTempCollector } from './temp-collector.fixture.ts';
import { decodeRpcStatus } from '../../collector/src/otlp/export-responses.ts';
import { distinctOrigin, distinctOriginRequests } from './distinct-origins.fixture.ts';
import { otlpJsonBatch, spanIdOf } from './otlp-json-batch.ts';

const MiB = 1024 * 1024;
const MAX_BODY_BYTES = 8 * MiB;
const MAX_DECOMPRESSED_BYTES = 16 * MiB;
const PROTOBUF = 'application/x-protobuf';
const JSON_TYPE = 'application/json';

const collector = useTempCollector('hostile', {
  CORSIGHT_MAX_BODY_BYTES: String(MAX_BODY_BYTES),
  CORSIGHT_MAX_DECOMPRESSED_BYTES: String(MAX_DECOMPRESSED_BYTES),
  CORSIGHT_BATCH_AGE_MS: '50',
});
const tracesUrl = (): string => `${collector().httpUrl}/v1/traces`;

interface Answer {
  readonly status: number;
  readonly body: Buffer;
}

async function post(body: Buffer | string, headers: Record<string, string>): Promise<Answer> {
  // A Buffer is an ArrayBufferView, which fetch sends as it is; the DOM typings lag on Uint8Array<ArrayBufferLike>.
  const response = await fetch(tracesUrl(), { method: 'POST', headers, body: body as BodyInit });
  return { status: response.status, body: Buffer.from(await response.arrayBuffer()) };
}

/** The google.rpc.Status message of a refusal, in the encoding the request named (JSON otherwise). */
function refusalMessage(answer: Answer, encoding: 'protobuf' | 'json'): string {
  return decodeRpcStatus(answer.body, encoding).message;
}

async function count(sql: string, params: Record<string, unknown>): Promise<number[]> {
  const result = await collector().store.client.query({
    query: sql,
    query_params: params,
    format: 'JSONCompactEachRow',
  });
  const [row] = await result.json<string[]>();
  return (row ?? []).map(Number);
}

/** Polls until `service` has `expected` rows in cors_events (or the deadline passes); returns the count. */
async function storedRows(service: string, expected: number, deadlineMs = 20_000): Promise<number> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const [rows = 0] = await count('SELECT count() FROM cors_events WHERE service = {service:String}', {
      service,
    });
    if (rows >= expected || Date.now() > deadline) return rows;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

let probes = 0;

/** A valid request right after a hostile one is acknowledged and stored. */
async function expectStillStoring(): Promise<void> {
  const service = `probe-${String(++probes)}`;
  const answer = await post(otlpJsonBatch({ service, batch: 9000 + probes, spans: 3 }), {
    'content-type': JSON_TYPE,
  });
  expect(answer.status).toBe(200);
  expect(JSON.parse(answer.body.toString())).toEqual({});
  expect(await storedRows(service, 3)).toBe(3);
}

function validProtobuf(): Buffer {
  return distinctOriginRequests({
    service: 'protobuf-probe',
    spansPerRequest: 4,
    timeMs: Date.now(),
  }).request(0);
}

describe('malformed bodies', () => {
  it('answers a truncated protobuf body with 400 and a message naming the problem', async () => {
    const whole = validProtobuf();
    const answer = await post(whole.subarray(0, Math.floor(whole.length * 0.6)), {
      'content-type': PROTOBUF,
    });
    expect(answer.status).toBe(400);
    expect(refusalMessage(answer, 'protobuf')).toMatch(/\S{10}/);
    await expectStillStoring();
  });

  it('answers garbage protobuf with 400 and a message', async () => {
    // Field 1 (resource_spans) as a length-delimited field claiming far more bytes than follow, then noise.
    const garbage = Buffer.concat([Buffer.from([0x0a, 0xff, 0xff, 0x03]), Buffer.alloc(512, 0xfe)]);
    const answer = await post(garbage, { 'content-type': PROTOBUF });
    expect(answer.status).toBe(400);
    expect(refusalMessage(answer, 'protobuf')).toMatch(/\S{10}/);
    await expectStillStoring();
  });

  it('answers malformed JSON with 400 and a message', async () => {
    const answer = await post('{"resourceSpans": [{"scopeSpans": [', { 'content-type': JSON_TYPE });
    expect(answer.status).toBe(400);
    expect(refusalMessage(answer, 'json')).toMatch(/\S{10}/);
    await expectStillStoring();
  });

  it('answers gzip-labelled bytes that are not gzip with 400', async () => {
    const answer = await post(validProtobuf(), { 'content-type': PROTOBUF, 'content-encoding': 'gzip' });
    expect(answer.status).toBe(400);
    expect(refusalMessage(answer, 'protobuf')).toMatch(/gzip/);
    await expectStillStoring();
  });
});

describe('wrong content types', () => {
  it.each([
    ['text/plain', 'hello'],
    ['application/grpc', 'hello'],
    ['multipart/form-data; boundary=x', '--x--'],
  ])('answers Content-Type %s with 415 naming the types it takes', async (contentType, body) => {
    const answer = await post(body, { 'content-type': contentType });
    expect(answer.status).toBe(415);
    expect(refusalMessage(answer, 'json')).toContain('application/x-protobuf');
    await expectStillStoring();
  });

  it('answers a Content-Encoding other than gzip with 415', async () => {
    const answer = await post(validProtobuf(), { 'content-type': PROTOBUF, 'content-encoding': 'br' });
    expect(answer.status).toBe(415);
    await expectStillStoring();
  });
});

describe('size limits', () => {
  it('answers a gzip bomb that inflates past CORSIGHT_MAX_DECOMPRESSED_BYTES with 413', async () => {
    // 64 MiB of zeros gzip to ~64 KiB: far under the body limit, four times the inflated limit.
    const bomb = gzipSync(Buffer.alloc(64 * MiB), { level: 9 });
    expect(bomb.length).toBeLessThan(MAX_BODY_BYTES);
    const heapBefore = process.memoryUsage().heapUsed;
    const answer = await post(bomb, { 'content-type': PROTOBUF, 'content-encoding': 'gzip' });
    expect(answer.status).toBe(413);
    expect(refusalMessage(answer, 'protobuf')).toContain(
      `after gunzip exceeds ${String(MAX_DECOMPRESSED_BYTES)}`,
    );
    // Inflation stopped at the limit: the heap did not take the 64 MiB.
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(MAX_DECOMPRESSED_BYTES * 2);
    await expectStillStoring();
  });

  it('answers a body past CORSIGHT_MAX_BODY_BYTES with 413, by its Content-Length', async () => {
    const answer = await post(Buffer.alloc(MAX_BODY_BYTES + MiB, 0x0a), { 'content-type': PROTOBUF });
    expect(answer.status).toBe(413);
    expect(refusalMessage(answer, 'protobuf')).toContain(`exceeds ${String(MAX_BODY_BYTES)}`);
    await expectStillStoring();
  });

  it('answers a chunked body (no Content-Length) that grows past the limit with 413', async () => {
    const chunk = new Uint8Array(MiB).fill(0x0a);
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent > MAX_BODY_BYTES + MiB) controller.close();
        else {
          sent += chunk.length;
          controller.enqueue(chunk);
        }
      },
    });
    const response = await fetch(tracesUrl(), {
      method: 'POST',
      headers: { 'content-type': PROTOBUF },
      body,
      duplex: 'half',
    } as RequestInit);
    expect(response.status).toBe(413);
    await response.arrayBuffer();
    await expectStillStoring();
  });
});

describe('invalid spans inside a valid request', () => {
  it('stores the valid spans and names the wrong attribute types and the 64 KiB origin in partial_success', async () => {
    const service = 'partly-valid';
    const hugeOrigin = `https://${'a'.repeat(64 * 1024)}.example.com`;
    const answer = await post(
      otlpJsonBatch({
        service,
        batch: 1,
        spans: 5,
        attributes: (index) =>
          [
            {},
            { [ATTR.sampleWeight]: 'lots' },
            { [ATTR.needsPreflight]: 1 },
            { [ATTR.origin]: hugeOrigin },
            {},
          ][index] ?? {},
      }),
      { 'content-type': JSON_TYPE },
    );
    expect(answer.status).toBe(200);
    const { partialSuccess } = JSON.parse(answer.body.toString()) as {
      partialSuccess: { rejectedSpans: string; errorMessage: string };
    };
    expect(partialSuccess.rejectedSpans).toBe('3');
    expect(partialSuccess.errorMessage).toContain(ATTR.sampleWeight);
    expect(partialSuccess.errorMessage).toContain(ATTR.needsPreflight);
    expect(partialSuccess.errorMessage).toContain(ATTR.origin);
    // The answer quotes a length, never the 64 KiB value.
    expect(partialSuccess.errorMessage.length).toBeLessThan(1000);

    expect(await storedRows(service, 2)).toBe(2);
    const result = await collector().store.client.query({
      query: `SELECT lower(hex(span_id)) AS id FROM cors_events WHERE service = {service:String} ORDER BY id`,
      query_params: { service },
      format: 'JSONEachRow',
    });
    expect((await result.json<{ id: string }>()).map((row) => row.id)).toEqual([
      spanIdOf(1, 0),
      spanIdOf(1, 4),
    ]);
    await expectStillStoring();
  });

  it('ignores unknown OTLP/JSON fields at every level and stores the spans', async () => {
    const service = 'unknown-fields';
    const request = JSON.parse(otlpJsonBatch({ service, batch: 2, spans: 2 })) as {
      resourceSpans: {
        resource: Record<string, unknown>;
        scopeSpans: { scope: Record<string, unknown>; spans: Record<string, unknown>[] }[];
      }[];
    } & Record<string, unknown>;
    request.someFutureField = { nested: [1, 2, 3] };
    const [resourceSpans] = request.resourceSpans;
    if (resourceSpans === undefined) throw new Error('otlpJsonBatch gave no resourceSpans');
    Object.assign(resourceSpans, { entityRefs: [{ type: 'service' }] });
    resourceSpans.resource.droppedEntities = 3;
    const [scopeSpans] = resourceSpans.scopeSpans;
    if (scopeSpans === undefined) throw new Error('otlpJsonBatch gave no scopeSpans');
    scopeSpans.scope.futureScopeField = 'x';
    for (const span of scopeSpans.spans) Object.assign(span, { futureSpanField: { a: 1 }, flags2: 7 });
    const answer = await post(JSON.stringify(request), { 'content-type': JSON_TYPE });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body.toString())).toEqual({});
    expect(await storedRows(service, 2)).toBe(2);
  });
});

describe('a million distinct origins', () => {
  const REQUESTS = 100;
  const SPANS_PER_REQUEST = 10_000;
  const SERVICE = 'million-origins';
  // The heap may grow by this much, GC'd, after storing the million: the collector keeps no per-origin
  // state (its decoder's string cache is 4096 slots of strings ≤ 48 bytes, under 1 MiB), whereas keeping the
  // million origins (29-character strings, ≥ 40 bytes each as V8 strings, plus a map entry) would cost
  // ≥ 60 MiB. The rest is slack for what a run leaves in V8's heap (compiled code, prom-client, pino).
  const HEAP_GROWTH_LIMIT = 48 * MiB;

  it('acknowledges and stores every span, keeps /healthz and /readyz answering, and keeps its heap bounded', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const requests = distinctOriginRequests({
      service: SERVICE,
      spansPerRequest: SPANS_PER_REQUEST,
      timeMs: Date.now(),
    });
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();

    // Health checks keep going while the million arrives.
    const health: number[] = [];
    const sending = new AbortController();
    const healthChecks = (async () => {
      while (!sending.signal.aborted) {
        for (const path of ['/healthz', '/readyz']) {
          const response = await fetch(`${collector().httpUrl}${path}`);
          await response.arrayBuffer();
          health.push(response.status);
        }
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();

    const answers: { status: number; body: string }[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        while (next < REQUESTS) {
          const answer = await post(requests.request(next++), { 'content-type': PROTOBUF });
          answers.push({ status: answer.status, body: answer.body.toString('hex') });
        }
      }),
    );
    const acknowledgedMs = performance.now() - started;
    // An empty ExportTraceServiceResponse (no partial_success) encodes to zero bytes.
    expect(answers).toEqual(Array.from({ length: REQUESTS }, () => ({ status: 200, body: '' })));

    const total = REQUESTS * SPANS_PER_REQUEST;
    expect(await storedRows(SERVICE, total, 120_000)).toBe(total);
    const storedMs = performance.now() - started;
    sending.abort();
    await healthChecks;
    expect(health.length).toBeGreaterThan(0);
    expect(health.filter((status) => status !== 200)).toEqual([]);

    const [rows, origins, first, last] = await count(
      `SELECT count(), uniqExact(origin), countIf(origin = {first:String}), countIf(origin = {last:String})
         FROM cors_events WHERE service = {service:String}`,
      { service: SERVICE, first: distinctOrigin(0), last: distinctOrigin(total - 1) },
    );
    expect({ rows, origins, first, last }).toEqual({ rows: total, origins: total, first: 1, last: 1 });

    for (const path of ['/healthz', '/readyz']) {
      expect((await fetch(`${collector().httpUrl}${path}`)).status).toBe(200);
    }
    gc();
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    console.log(
      `a million distinct origins: acknowledged in ${(acknowledgedMs / 1000).toFixed(1)} s, stored in ` +
        `${(storedMs / 1000).toFixed(1)} s; heap after GC ${(heapGrowth / MiB).toFixed(1)} MiB over the start, ` +
        `RSS (chDB, collector and test in one process) ${(rssBefore / MiB).toFixed(0)} → ` +
        `${(process.memoryUsage().rss / MiB).toFixed(0)} MiB`,
    );
    expect(heapGrowth).toBeLessThan(HEAP_GROWTH_LIMIT);
    await expectStillStoring();
  }, 240_000);
});
