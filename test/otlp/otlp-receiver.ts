// A real OTLP/HTTP traces endpoint for tests: a node:http server on 127.0.0.1 that accepts what the OpenTelemetry
// exporters send (protobuf or JSON, gzip or not) and decodes it with the collector's own OTLP decoder, so a
// test asserts on what crossed the wire rather than on what the SDK held. Deliberately not the collector's
// Fastify receiver: it records every request and refusal, and has no sink, limits or auth in the way.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeTraceRequest, type OtlpEncoding } from '../../collector/src/otlp/decode-traces.ts';
import { encodeExportResponse } from '../../collector/src/otlp/export-responses.ts';
import type { OtlpSpan } from '../../collector/src/otlp/otlp-span.ts';

export { OtlpDecodeError, type OtlpEncoding } from '../../collector/src/otlp/decode-traces.ts';
export type { OtlpAttributes, OtlpValue } from '../../collector/src/otlp/otlp-span.ts';

/** A span as received: the collector's decoded span (lowercase hex ids, bigint times, safe integers). */
export type ReceivedSpan = OtlpSpan;

export interface ReceivedRequest {
  readonly encoding: OtlpEncoding;
  readonly gzip: boolean;
  readonly headers: IncomingHttpHeaders;
  readonly spans: readonly ReceivedSpan[];
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
      received = decodeTraceRequest(gzip ? gunzipSync(raw) : raw, encoding);
    } catch (error) {
      return [400, error instanceof Error ? error.message : String(error)];
    }
    requests.push({ encoding, gzip, headers: request.headers, spans: received });
    spans.push(...received);
    for (const wake of waiters) wake();
    response
      .writeHead(200, { 'content-type': encoding === 'json' ? 'application/json' : 'application/x-protobuf' })
      .end(encodeExportResponse({ rejectedSpans: 0 }, encoding));
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
