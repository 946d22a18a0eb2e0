// A real OTLP/HTTP traces endpoint for tests: a node:http server on 127.0.0.1 that accepts what the OpenTelemetry
// exporters send (protobuf or JSON, gzip or not) and decodes it with protobufjs and the .proto files the
// collector vendors, so a test asserts on what crossed the wire rather than on what the SDK held.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';

const PROTO_ROOT = fileURLToPath(new URL('../../collector/src/otlp/proto/', import.meta.url));

/** An attribute value as JavaScript sees it; 64-bit integers beyond 2^53 stay bigint. */
export type OtlpValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | Uint8Array
  | readonly OtlpValue[]
  | { readonly [key: string]: OtlpValue };

export type OtlpAttributes = Readonly<Record<string, OtlpValue>>;

export interface ReceivedSpan {
  /** Lowercase hex. */
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly traceState: string | undefined;
  readonly name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client, 4 producer, 5 consumer (the API's SpanKind + 1). */
  readonly kind: number;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  /** Epoch milliseconds, fractional. */
  readonly startTimeMs: number;
  readonly endTimeMs: number;
  readonly attributes: OtlpAttributes;
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  readonly status: { readonly code: number; readonly message: string | undefined };
  readonly resource: OtlpAttributes;
  readonly scope: { readonly name: string; readonly version: string | undefined };
}

export type OtlpEncoding = 'protobuf' | 'json';

export interface ReceivedRequest {
  readonly encoding: OtlpEncoding;
  readonly gzip: boolean;
  readonly headers: IncomingHttpHeaders;
  readonly spans: readonly ReceivedSpan[];
}

export class OtlpDecodeError extends Error {
  override readonly name = 'OtlpDecodeError';
}

type Fields = Readonly<Record<string, unknown>>;

function fields(value: unknown, what: string): Fields {
  if (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    !(value instanceof Uint8Array)
  ) {
    return value as Fields;
  }
  throw new OtlpDecodeError(`${what} must be an object`);
}

function list(value: unknown, what: string): readonly unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value as unknown[];
  throw new OtlpDecodeError(`${what} must be an array`);
}

function optionalText(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  throw new OtlpDecodeError(`${what} must be a string`);
}

// Ids are bytes in protobuf and hex strings (sometimes upper-case) in OTLP/JSON; empty means absent.
function hexId(value: unknown, what: string): string | undefined {
  if (value instanceof Uint8Array) return value.length === 0 ? undefined : Buffer.from(value).toString('hex');
  const text = optionalText(value, what);
  if (text === undefined) return undefined;
  if (!/^[0-9a-fA-F]+$/.test(text)) throw new OtlpDecodeError(`${what} must be hex, got "${text}"`);
  return text.toLowerCase();
}

function requiredId(value: unknown, what: string): string {
  const id = hexId(value, what);
  if (id === undefined) throw new OtlpDecodeError(`${what} is missing`);
  return id;
}

// 64-bit integers arrive as decimal strings (protobufjs with longs: String, or OTLP/JSON) or as numbers.
function int64(value: unknown, what: string): bigint {
  if (value === undefined || value === null) return 0n;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return BigInt(value);
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  throw new OtlpDecodeError(`${what} must be a 64-bit integer, got ${JSON.stringify(value)}`);
}

function smallInt(value: bigint): number | bigint {
  const number = Number(value);
  return Number.isSafeInteger(number) ? number : value;
}

// OTLP/JSON writes non-finite doubles as strings.
function double(value: unknown, what: string): number {
  if (typeof value === 'number') return value;
  if (value === 'NaN') return Number.NaN;
  if (value === 'Infinity') return Number.POSITIVE_INFINITY;
  if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
  throw new OtlpDecodeError(`${what} must be a double, got ${JSON.stringify(value)}`);
}

// Enums are integers in both encodings, though some JSON writers send their names.
function enumValue(value: unknown, names: Readonly<Record<string, number>>, what: string): number {
  if (value === undefined || value === null) return 0;
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  if (typeof value === 'string' && names[value] !== undefined) return names[value];
  throw new OtlpDecodeError(`${what} is not a known value: ${JSON.stringify(value)}`);
}

function anyValue(value: unknown, what: string): OtlpValue {
  const v = fields(value ?? {}, what);
  if (v.stringValue !== undefined) {
    if (typeof v.stringValue !== 'string') throw new OtlpDecodeError(`${what}.stringValue must be a string`);
    return v.stringValue;
  }
  if (v.boolValue !== undefined) {
    if (typeof v.boolValue !== 'boolean') throw new OtlpDecodeError(`${what}.boolValue must be a boolean`);
    return v.boolValue;
  }
  if (v.intValue !== undefined) return smallInt(int64(v.intValue, `${what}.intValue`));
  if (v.doubleValue !== undefined) return double(v.doubleValue, `${what}.doubleValue`);
  if (v.arrayValue !== undefined) {
    const values = list(fields(v.arrayValue, `${what}.arrayValue`).values, `${what}.arrayValue.values`);
    return values.map((item, i) => anyValue(item, `${what}.arrayValue.values[${i}]`));
  }
  if (v.kvlistValue !== undefined) {
    return keyValues(fields(v.kvlistValue, `${what}.kvlistValue`).values, `${what}.kvlistValue`);
  }
  if (v.bytesValue !== undefined) {
    if (v.bytesValue instanceof Uint8Array) return v.bytesValue;
    // Only trace and span ids are hex in OTLP/JSON; other bytes are base64.
    if (typeof v.bytesValue === 'string') return new Uint8Array(Buffer.from(v.bytesValue, 'base64'));
    throw new OtlpDecodeError(`${what}.bytesValue must be bytes`);
  }
  // An AnyValue with no value set stands for null (an array's missing element).
  return null;
}

function keyValues(value: unknown, what: string): OtlpAttributes {
  const attributes: Record<string, OtlpValue> = {};
  list(value, what).forEach((item, i) => {
    const kv = fields(item, `${what}[${i}]`);
    if (typeof kv.key !== 'string') throw new OtlpDecodeError(`${what}[${i}].key must be a string`);
    attributes[kv.key] = anyValue(kv.value, `${what}["${kv.key}"]`);
  });
  return attributes;
}

interface Enums {
  readonly spanKind: Readonly<Record<string, number>>;
  readonly statusCode: Readonly<Record<string, number>>;
}

/** Flattens an ExportTraceServiceRequest, as plain fields in either encoding, into spans. */
function flattenRequest(request: unknown, enums: Enums): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  list(fields(request, 'request').resourceSpans, 'resourceSpans').forEach((rs, r) => {
    const resourceSpans = fields(rs, `resourceSpans[${r}]`);
    const resource = keyValues(
      fields(resourceSpans.resource ?? {}, `resourceSpans[${r}].resource`).attributes,
      `resourceSpans[${r}].resource.attributes`,
    );
    list(resourceSpans.scopeSpans, `resourceSpans[${r}].scopeSpans`).forEach((ss, s) => {
      const at = `resourceSpans[${r}].scopeSpans[${s}]`;
      const scopeSpans = fields(ss, at);
      const scopeFields = fields(scopeSpans.scope ?? {}, `${at}.scope`);
      const scope = {
        name: optionalText(scopeFields.name, `${at}.scope.name`) ?? '',
        version: optionalText(scopeFields.version, `${at}.scope.version`),
      };
      list(scopeSpans.spans, `${at}.spans`).forEach((item, i) => {
        const where = `${at}.spans[${i}]`;
        const span = fields(item, where);
        const status = fields(span.status ?? {}, `${where}.status`);
        const start = int64(span.startTimeUnixNano, `${where}.startTimeUnixNano`);
        const end = int64(span.endTimeUnixNano, `${where}.endTimeUnixNano`);
        spans.push({
          traceId: requiredId(span.traceId, `${where}.traceId`),
          spanId: requiredId(span.spanId, `${where}.spanId`),
          parentSpanId: hexId(span.parentSpanId, `${where}.parentSpanId`),
          traceState: optionalText(span.traceState, `${where}.traceState`),
          name: optionalText(span.name, `${where}.name`) ?? '',
          kind: enumValue(span.kind, enums.spanKind, `${where}.kind`),
          startTimeUnixNano: start,
          endTimeUnixNano: end,
          startTimeMs: Number(start) / 1e6,
          endTimeMs: Number(end) / 1e6,
          attributes: keyValues(span.attributes, `${where}.attributes`),
          status: {
            code: enumValue(status.code, enums.statusCode, `${where}.status.code`),
            message: optionalText(status.message, `${where}.status.message`),
          },
          resource,
          scope,
        });
      });
    });
  });
  return spans;
}

export interface OtlpTraceDecoder {
  decode(body: Uint8Array, encoding: OtlpEncoding): ReceivedSpan[];
  /** An empty ExportTraceServiceResponse (full success) in the request's encoding. */
  successResponse(encoding: OtlpEncoding): Uint8Array;
}

/** Loads the vendored trace-service protos (once per call; keep the decoder). */
export function createOtlpTraceDecoder(): OtlpTraceDecoder {
  const root = new protobuf.Root();
  // The protos import each other by their path under the proto root.
  root.resolvePath = (_origin, target) => join(PROTO_ROOT, target);
  root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto');
  const requestType = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
  const responseType = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse');
  const enums: Enums = {
    spanKind: root.lookupEnum('opentelemetry.proto.trace.v1.Span.SpanKind').values,
    statusCode: root.lookupEnum('opentelemetry.proto.trace.v1.Status.StatusCode').values,
  };
  return {
    decode(body, encoding) {
      let plain: unknown;
      if (encoding === 'json') {
        plain = JSON.parse(Buffer.from(body).toString('utf8'));
      } else {
        // Longs as decimal strings, bytes left as bytes: the flattening reads both encodings alike.
        plain = requestType.toObject(requestType.decode(body), {
          longs: String,
          enums: Number,
          arrays: true,
        });
      }
      return flattenRequest(plain, enums);
    },
    successResponse(encoding) {
      return encoding === 'json' ? Buffer.from('{}') : responseType.encode(responseType.create({})).finish();
    },
  };
}

export interface OtlpReceiver {
  /** The OTLP/HTTP base URL (`http://127.0.0.1:<port>`), what OTEL_EXPORTER_OTLP_ENDPOINT takes. */
  readonly url: string;
  /** `<url>/v1/traces`, what an exporter's `url` option takes. */
  readonly tracesUrl: string;
  /** Every span received so far, in arrival order. */
  readonly spans: readonly ReceivedSpan[];
  readonly requests: readonly ReceivedRequest[];
  /** Requests it answered with an error status, with the reason. */
  readonly rejections: readonly string[];
  /** Resolves once at least `count` spans have arrived. */
  waitForSpans(count: number, timeoutMs?: number): Promise<readonly ReceivedSpan[]>;
  close(): Promise<void>;
}

function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'application/x-protobuf') return 'protobuf';
  if (mediaType === 'application/json') return 'json';
  return undefined;
}

type Refusal = [status: number, reason: string];

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Starts a receiver on 127.0.0.1 and a free port. Close it in afterAll/afterEach. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const decoder = createOtlpTraceDecoder();
  const spans: ReceivedSpan[] = [];
  const requests: ReceivedRequest[] = [];
  const rejections: string[] = [];
  const waiters = new Set<() => void>();

  function refuse(response: ServerResponse, status: number, reason: string): void {
    rejections.push(`${status} ${reason}`);
    response.writeHead(status, { 'content-type': 'text/plain' }).end(reason);
  }

  /** Takes one request; returns the status and reason when it refuses it. */
  async function handle(request: IncomingMessage, response: ServerResponse): Promise<Refusal | undefined> {
    if (request.url !== '/v1/traces') return [404, `no OTLP signal at ${String(request.url)}`];
    if (request.method !== 'POST') return [405, `${String(request.method)} /v1/traces`];
    const encoding = encodingOf(request.headers['content-type']);
    if (encoding === undefined) return [415, `content-type ${String(request.headers['content-type'])}`];
    const contentEncoding = request.headers['content-encoding']?.toLowerCase();
    if (contentEncoding !== undefined && contentEncoding !== 'gzip' && contentEncoding !== 'identity') {
      return [415, `content-encoding ${contentEncoding}`];
    }
    const gzip = contentEncoding === 'gzip';
    let received: ReceivedSpan[];
    try {
      const raw = await readBody(request);
      received = decoder.decode(gzip ? gunzipSync(raw) : raw, encoding);
    } catch (error) {
      return [400, error instanceof Error ? error.message : String(error)];
    }
    requests.push({ encoding, gzip, headers: request.headers, spans: received });
    spans.push(...received);
    for (const wake of waiters) wake();
    response
      .writeHead(200, { 'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf' })
      .end(decoder.successResponse(encoding));
    return undefined;
  }

  const server = createServer((request, response) => {
    handle(request, response).then(
      (refusal) => {
        if (refusal !== undefined) refuse(response, ...refusal);
      },
      (error: unknown) => {
        refuse(response, 500, String(error));
      },
    );
  });
  await new Promise<void>((resolve, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    tracesUrl: `${url}/v1/traces`,
    spans,
    requests,
    rejections,
    waitForSpans(count, timeoutMs = 5000) {
      if (spans.length >= count) return Promise.resolve(spans);
      return new Promise((resolve, fail) => {
        const wake = (): void => {
          if (spans.length < count) return;
          clearTimeout(timer);
          waiters.delete(wake);
          resolve(spans);
        };
        const timer = setTimeout(() => {
          waiters.delete(wake);
          const why = rejections.length > 0 ? `; rejected: ${rejections.join(', ')}` : '';
          fail(new Error(`OTLP receiver: ${spans.length} of ${count} spans after ${timeoutMs} ms${why}`));
        }, timeoutMs);
        waiters.add(wake);
      });
    },
    close() {
      return new Promise((resolve, fail) => {
        server.close((error) => {
          if (error === undefined) resolve();
          else fail(error);
        });
        // Exporters keep connections alive; do not wait for them to time out.
        server.closeAllConnections();
      });
    },
  };
}
