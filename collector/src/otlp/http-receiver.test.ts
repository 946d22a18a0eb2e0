// POST /v1/traces on a real Fastify server: what the real OTLP/HTTP exporters send reaches the sink intact,
// and every refusal gets the status and google.rpc.Status body the OTLP specification asks for.
import { request } from 'node:http';
import { gzipSync } from 'node:zlib';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ingestAuthoriser } from '../ingest/ingest-tokens.js';
import { refusalReason } from './export-refusal.js';
import { decodeRpcStatus, encodeExportResponse } from './export-responses.js';
import { otlpHttpReceiver } from './http-receiver.js';
import { otlpProtos } from './otlp-protos.js';
import { bySpanId, exportSdkSpans, expectedOtlpSpan, recordingSink } from './sdk-spans.fixture.js';
import { IngestAuthError, IngestBackpressureError } from './span-sink.js';

const MAX_BODY = 64 * 1024;
const MAX_DECOMPRESSED = 256 * 1024;

const sink = recordingSink();
let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  app = Fastify();
  await app.register(otlpHttpReceiver, {
    accept: sink.accept,
    maxBodyBytes: MAX_BODY,
    maxDecompressedBytes: MAX_DECOMPRESSED,
  });
  // A sibling route keeps Fastify's own JSON parsing: the receiver's parsers stay in its context.
  app.post('/api/echo', (request) => request.body);
  url = await app.listen({ host: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await app.close();
});

afterEach(() => {
  sink.calls.length = 0;
  sink.answer = () => Promise.resolve({ rejectedSpans: 0 });
  vi.unstubAllEnvs();
});

const { exportRequest } = otlpProtos();

function protobufRequest(spans: number, attributes = 1): Buffer {
  const span = (i: number): object => ({
    traceId: Buffer.alloc(16, 1),
    spanId: Buffer.from([0, 0, 0, 0, 0, 0, i >> 8, i & 255]),
    name: 'CORS GET',
    startTimeUnixNano: '1764158400000000000',
    endTimeUnixNano: '1764158400000500000',
    attributes: Array.from({ length: attributes }, (_, a) => ({
      key: `k${a}`,
      value: { stringValue: 'x'.repeat(20) },
    })),
  });
  const message = exportRequest.fromObject({
    resourceSpans: [{ scopeSpans: [{ spans: Array.from({ length: spans }, (_, i) => span(i)) }] }],
  });
  return Buffer.from(exportRequest.encode(message).finish());
}

/** Announces a 1000-byte OTLP body, sends `first` of it, then goes away. */
function leaveMidBody(base: string, headers: Record<string, string>, first: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const partial = request(`${base}/v1/traces`, {
      method: 'POST',
      headers: { ...PROTOBUF, 'content-length': '1000', ...headers },
    });
    partial.on('error', () => {
      resolve();
    });
    partial.write(first, () => {
      setTimeout(() => partial.destroy(), 20);
    });
  });
}

function post(
  body: string | Uint8Array,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Headers; body: Buffer }> {
  return fetch(`${url}/v1/traces`, {
    method: 'POST',
    headers,
    body: new Uint8Array(typeof body === 'string' ? Buffer.from(body) : body),
  }).then(async (response) => ({
    status: response.status,
    headers: response.headers,
    body: Buffer.from(await response.arrayBuffer()),
  }));
}

const PROTOBUF = { 'content-type': 'application/x-protobuf' };
const JSON_UTF8 = { 'content-type': 'application/json; charset=utf-8' };

const AUTH = { authorization: 'Bearer s3cret' };
const EXPORTERS: readonly { name: string; gzip: boolean; exporter: (url: string) => SpanExporter }[] = [
  { name: 'protobuf', gzip: false, exporter: (u) => new OtlpProtoExporter({ url: u, headers: AUTH }) },
  { name: 'protobuf + gzip', gzip: true, exporter: (u) => new OtlpProtoExporter({ url: u, headers: AUTH }) },
  { name: 'JSON', gzip: false, exporter: (u) => new OtlpJsonExporter({ url: u, headers: AUTH }) },
  { name: 'JSON + gzip', gzip: true, exporter: (u) => new OtlpJsonExporter({ url: u, headers: AUTH }) },
];

describe.each(EXPORTERS)('spans from the real OTLP/HTTP exporter ($name)', ({ gzip, exporter }) => {
  it('reach the sink as the SDK held them, with the bearer token', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', gzip ? 'gzip' : 'none');
    const sent = await exportSdkSpans(exporter(`${url}/v1/traces`));
    expect(sink.calls.map((call) => call.auth)).toEqual(sent.map(() => ({ token: 's3cret' })));
    expect(bySpanId(sink.calls.flatMap((call) => call.spans))).toStrictEqual(
      bySpanId(sent.map(expectedOtlpSpan)),
    );
  });
});

describe('OTLP/HTTP answers', () => {
  it('answers success with an empty ExportTraceServiceResponse in the request encoding', async () => {
    const protobuf = await post(protobufRequest(2), PROTOBUF);
    expect(protobuf.status).toBe(200);
    expect(protobuf.headers.get('content-type')).toBe('application/x-protobuf');
    expect(protobuf.body).toEqual(encodeExportResponse({ rejectedSpans: 0 }, 'protobuf'));
    const json = await post('{"resourceSpans":[]}', JSON_UTF8);
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    expect(JSON.parse(json.body.toString())).toEqual({});
    // Empty requests reach the sink too, so tokens are checked for them as well.
    expect(sink.calls.map((call) => call.spans.length)).toEqual([2, 0]);
  });

  it('reports spans the sink rejected as partial success', async () => {
    sink.answer = () => Promise.resolve({ rejectedSpans: 1, errorMessage: 'span 0: cors.kind must be …' });
    const protobuf = await post(protobufRequest(3), PROTOBUF);
    expect(protobuf.status).toBe(200);
    expect(
      otlpProtos().exportResponse.toObject(otlpProtos().exportResponse.decode(protobuf.body), {
        longs: Number,
      }),
    ).toEqual({ partialSuccess: { rejectedSpans: 1, errorMessage: 'span 0: cors.kind must be …' } });
    const oneSpan = {
      resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: '01'.repeat(16), spanId: '02'.repeat(8) }] }] }],
    };
    const json = await post(JSON.stringify(oneSpan), { 'content-type': 'application/json' });
    expect(JSON.parse(json.body.toString())).toEqual({
      partialSuccess: { rejectedSpans: '1', errorMessage: 'span 0: cors.kind must be …' },
    });
  });

  it.each([
    ['overloaded', 429, 8],
    ['unavailable', 503, 14],
  ] as const)(
    'answers backpressure (%s) with %i, Retry-After and a RetryInfo',
    async (kind, status, code) => {
      sink.answer = () => Promise.reject(new IngestBackpressureError(kind, 2.5));
      for (const [headers, encoding] of [
        [PROTOBUF, 'protobuf'],
        [JSON_UTF8, 'json'],
      ] as const) {
        const response = await post(encoding === 'json' ? '{}' : protobufRequest(1), headers);
        expect(response.status).toBe(status);
        expect(response.headers.get('retry-after')).toBe('3');
        expect(decodeRpcStatus(response.body, encoding)).toEqual({
          code,
          message: expect.stringMatching(/retry later/) as unknown,
          retryAfterSeconds: 3,
        });
      }
    },
  );

  it('answers 401 when the sink refuses the token, and passes what was sent', async () => {
    sink.answer = () => Promise.reject(new IngestAuthError());
    const response = await post(protobufRequest(1), { ...PROTOBUF, authorization: 'Bearer wrong' });
    expect(response.status).toBe(401);
    expect(decodeRpcStatus(response.body, 'protobuf')).toMatchObject({ code: 16 });
    const missing = await post('{}', JSON_UTF8);
    expect(missing.status).toBe(401);
    expect(sink.calls.map((call) => call.auth.token)).toEqual(['wrong', undefined]);
  });

  it('answers 500 without internals when the sink fails unexpectedly', async () => {
    sink.answer = () => Promise.reject(new Error('ECONNREFUSED 10.0.0.7:8123'));
    const response = await post('{}', JSON_UTF8);
    expect(response.status).toBe(500);
    expect(decodeRpcStatus(response.body, 'json').message).not.toMatch(/10\.0\.0\.7/);
  });

  const bomb = gzipSync(Buffer.alloc(MAX_DECOMPRESSED + 1));
  it.each([
    [
      'truncated protobuf',
      400,
      PROTOBUF,
      protobufRequest(3).subarray(0, 40),
      /not a valid ExportTraceServiceRequest/,
    ],
    [
      'garbage protobuf',
      400,
      PROTOBUF,
      Buffer.from('\xff\xff\xff\xff'),
      /not a valid ExportTraceServiceRequest/,
    ],
    ['non-JSON', 400, JSON_UTF8, '{"resourceSpans": [', /not valid JSON/],
    [
      'JSON of the wrong shape',
      400,
      JSON_UTF8,
      '{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"zz"}]}]}]}',
      /^resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.traceId must be 32 hex characters/,
    ],
    [
      'an unknown content type',
      415,
      { 'content-type': 'text/plain' },
      'x',
      /Content-Type "text\/plain" is not OTLP/,
    ],
    ['no content type', 415, {}, protobufRequest(1), /Content-Type none is not OTLP/],
    [
      'an unsupported content encoding',
      415,
      { ...PROTOBUF, 'content-encoding': 'br' },
      'x',
      /Content-Encoding "br"/,
    ],
    ['gzip that is not gzip', 400, { ...PROTOBUF, 'content-encoding': 'gzip' }, 'plain', /not valid gzip/],
    [
      'a body over maxBodyBytes',
      413,
      PROTOBUF,
      Buffer.alloc(MAX_BODY + 1),
      /request body exceeds 65536 bytes/,
    ],
    [
      'gzip that expands past maxDecompressedBytes',
      413,
      { ...PROTOBUF, 'content-encoding': 'gzip' },
      bomb,
      /request body after gunzip exceeds 262144 bytes/,
    ],
  ] as const)('answers %s with %i and a Status saying why', async (_, status, headers, body, message) => {
    const response = await post(body, headers);
    expect(response.status).toBe(status);
    const sentType = (headers as Readonly<Record<string, string>>)['content-type'];
    const encoding = sentType === 'application/x-protobuf' ? 'protobuf' : 'json';
    expect(decodeRpcStatus(response.body, encoding).message).toMatch(message);
    expect(sink.calls).toEqual([]);
    // And it keeps serving.
    expect((await post(protobufRequest(1), PROTOBUF)).status).toBe(200);
  });

  it('counts a chunked body against the limit as it streams', async () => {
    const chunks = [protobufRequest(1), Buffer.alloc(MAX_BODY)];
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        const chunk = chunks.shift();
        if (chunk === undefined) controller.close();
        else controller.enqueue(new Uint8Array(chunk));
      },
    });
    const response = await fetch(`${url}/v1/traces`, {
      method: 'POST',
      headers: PROTOBUF,
      body,
      duplex: 'half',
    });
    expect(response.status).toBe(413);
  });

  it.each([false, true])('shrugs off a client that leaves mid-body (gzip: %s)', async (gzip) => {
    await leaveMidBody(
      url,
      gzip ? { 'content-encoding': 'gzip' } : {},
      gzip ? gzipSync(Buffer.alloc(5000)).subarray(0, 10) : Buffer.alloc(10),
    );
    expect((await post(protobufRequest(1), PROTOBUF)).status).toBe(200);
    expect(sink.calls).toHaveLength(1);
  });

  it('inflates a gzip body only once all of it has arrived', async () => {
    const headers = { ...PROTOBUF, 'content-length': '1000', 'content-encoding': 'gzip' };
    const answered: { status: number | undefined; body: string } = { status: undefined, body: '' };
    const partial = request(`${url}/v1/traces`, { method: 'POST', headers }, (response) => {
      response.setEncoding('utf8').on('data', (chunk: string) => (answered.body += chunk));
      answered.status = response.statusCode;
    });
    const done = new Promise<void>((resolve) => partial.on('close', resolve));
    // Not gzip from its first byte: gunzip would refuse it at once, had it started before the end.
    partial.write(Buffer.alloc(10, 0x41));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(answered.status).toBeUndefined();
    partial.end(Buffer.alloc(990, 0x41));
    await done;
    await vi.waitFor(() => {
      expect(answered.status).toBe(400);
    });
    expect(answered.body).toMatch(/not valid gzip/);
  });

  it('takes a gzip body whose expansion stays within the limit', async () => {
    const request = protobufRequest(200, 10);
    expect(request.length).toBeGreaterThan(MAX_BODY);
    const response = await post(gzipSync(request), { ...PROTOBUF, 'content-encoding': 'GZIP' });
    expect(response.status).toBe(200);
    expect(sink.calls[0]?.spans).toHaveLength(200);
  });

  it('leaves the JSON parsing of the routes beside it alone', async () => {
    const response = await fetch(`${url}/api/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(await response.json()).toEqual({ a: 1 });
  });

  it('refuses options that are not byte counts at registration', async () => {
    const other = Fastify();
    await expect(
      other
        .register(otlpHttpReceiver, { accept: sink.accept, maxBodyBytes: 0, maxDecompressedBytes: 1 })
        .ready(),
    ).rejects.toThrow(/maxBodyBytes must be a positive whole number of bytes, got 0/);
    await other.close();
  });
});

describe('reporting refusals', () => {
  it('counts a client that leaves mid-body as aborted, not as a malformed request', async () => {
    const refusals: string[] = [];
    const counted = Fastify();
    await counted.register(otlpHttpReceiver, {
      accept: sink.accept,
      refused: (refusal) => refusals.push(refusalReason(refusal)),
      maxBodyBytes: MAX_BODY,
      maxDecompressedBytes: MAX_DECOMPRESSED,
    });
    const base = await counted.listen({ host: '127.0.0.1', port: 0 });
    try {
      await leaveMidBody(base, {}, Buffer.alloc(10));
      await vi.waitFor(() => {
        expect(refusals).toEqual(['aborted']);
      });
    } finally {
      await counted.close();
    }
  });
});

describe('with a token check before the body', () => {
  it('answers 401 to a wrong token without reading or decoding the body, and reports every refusal', async () => {
    const refusals: string[] = [];
    const guarded = Fastify();
    await guarded.register(otlpHttpReceiver, {
      accept: sink.accept,
      authorise: ingestAuthoriser({ tokens: ['s3cret'] }),
      refused: (refusal) => refusals.push(refusalReason(refusal)),
      maxBodyBytes: MAX_BODY,
      maxDecompressedBytes: MAX_DECOMPRESSED,
    });
    const base = await guarded.listen({ host: '127.0.0.1', port: 0 });
    try {
      const send = (body: Uint8Array, headers: Record<string, string>) =>
        fetch(`${base}/v1/traces`, { method: 'POST', headers, body: new Uint8Array(body) });
      // A gzip bomb and garbage: with a wrong or missing token, neither is inflated nor decoded.
      const bomb = gzipSync(Buffer.alloc(MAX_DECOMPRESSED * 4));
      const gzipped = { ...PROTOBUF, 'content-encoding': 'gzip' };
      expect((await send(bomb, { ...gzipped, authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await send(Buffer.from('garbage'), PROTOBUF)).status).toBe(401);
      expect(sink.calls).toEqual([]);
      // With the token, the same bodies get their own answers.
      expect((await send(bomb, { ...gzipped, ...AUTH })).status).toBe(413);
      expect((await send(Buffer.from('garbage'), { ...PROTOBUF, ...AUTH })).status).toBe(400);
      expect((await send(protobufRequest(2), { ...PROTOBUF, ...AUTH })).status).toBe(200);
      expect(refusals).toEqual(['unauthenticated', 'unauthenticated', 'too_large', 'malformed']);
    } finally {
      await guarded.close();
    }
  });
});
