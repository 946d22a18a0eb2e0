// Issue 8's path in front of the oracle's API servers: OpenTelemetry's own HTTP instrumentation
// (`@opentelemetry/instrumentation-http`, capturing the headers the setup guide lists) makes a plain HTTP
// server span per request, a real OTLP/protobuf exporter sends them to a real collector, and the collector
// judges them into rows in chDB. Each row is paired with the exchange it describes through the span id.
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CAPTURE_REQUEST_HEADERS,
  CAPTURE_RESPONSE_HEADERS,
  readCollectorConfig,
  startCollector,
} from '@corsight/collector';
import type { CorsVerdict, ReasonCode, WarningCode } from '@corsight/instrumentation';
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { exchangeSeqOf, type HandlerWrapper } from './api-server.ts';

export const HTTP_SPAN_SERVICE = 'oracle-http-spans';
const WARM_UP_PATH = '/corsight-warm-up';

export interface HttpSpanProbe {
  readonly wrap: HandlerWrapper;
  /**
   * One cross-origin request to WARM_UP_PATH, answered with a CORS header, before the scenarios: the collector
   * judges a service's HTTP spans only once it has seen that the service captures CORS response headers
   * (before that, a span without them may only mean they are not captured).
   */
  warmUp(apiOrigin: string): Promise<void>;
  /** Flushes the spans, waits for the collector to store them, and reads its verdict per exchange `seq`. */
  finish(): Promise<ReadonlyMap<number, CorsVerdict>>;
  close(): Promise<void>;
}

interface VerdictRow {
  readonly span_id: string;
  readonly kind: 'preflight' | 'actual';
  readonly outcome: CorsVerdict['outcome'];
  readonly reasons: ReasonCode[];
  readonly warnings: WarningCode[];
  readonly credentials: CorsVerdict['credentials'];
}

export async function startHttpSpanProbe(): Promise<HttpSpanProbe> {
  const dir = mkdtempSync(join(tmpdir(), 'corsight-oracle-http-spans-'));
  const collector = await startCollector(
    readCollectorConfig({
      CORSIGHT_DATA_DIR: dir,
      CORSIGHT_OTLP_PORT: '0',
      CORSIGHT_OTLP_GRPC_PORT: 'off',
      CORSIGHT_LOG_LEVEL: 'warn',
      CORSIGHT_BATCH_AGE_MS: '100',
    }),
  );
  const tracerProvider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': HTTP_SPAN_SERVICE }),
    spanProcessors: [
      new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${collector.httpUrl}/v1/traces` })),
    ],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  const instrumentation = new HttpInstrumentation({
    headersToSpanAttributes: {
      server: {
        requestHeaders: [...CAPTURE_REQUEST_HEADERS],
        responseHeaders: [...CAPTURE_RESPONSE_HEADERS],
      },
    },
    // Only the oracle's requests: the exporter's POSTs and the collector receiving them are not the subject
    // (and would feed back: every export would make a span to export).
    ignoreOutgoingRequestHook: () => true,
    ignoreIncomingRequestHook: (request) => request.url?.startsWith('/v1/traces') === true,
  });
  instrumentation.setTracerProvider(tracerProvider);
  instrumentation.enable();
  // The instrumentation patches node:http when it is required after enable(); the servers are ESM imports of
  // the same module object, whose Server.prototype.emit is what gets wrapped.
  createRequire(import.meta.url)('node:http');

  const requests: [IncomingMessage, string][] = [];
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    instrumentation.disable();
    await tracerProvider.shutdown();
    context.disable();
    await collector.close();
    rmSync(dir, { recursive: true, force: true });
  };

  return {
    wrap(handler) {
      return (req, res) => {
        const spanId = trace.getActiveSpan()?.spanContext().spanId;
        if (req.url === WARM_UP_PATH) {
          // setHeader, not writeHead's headers: the instrumentation reads response headers with getHeader().
          res.setHeader('access-control-allow-origin', '*');
          res.writeHead(204).end();
          return;
        }
        if (spanId !== undefined) requests.push([req, spanId]);
        handler(req, res);
      };
    },
    async warmUp(apiOrigin) {
      const response = await fetch(`${apiOrigin}${WARM_UP_PATH}`, {
        headers: { origin: 'https://warm-up.test' },
      });
      if (response.status !== 204) throw new Error(`warm-up request answered ${response.status}`);
      await tracerProvider.forceFlush();
    },
    async finish() {
      await tracerProvider.forceFlush();
      const { metrics, store } = collector;
      const deadline = Date.now() + 30_000;
      for (;;) {
        const accepted = (await metrics.spansAccepted.get()).values[0]?.value ?? 0;
        const stored = (await metrics.rowsStored.get()).values[0]?.value ?? 0;
        if (stored >= accepted) break;
        if (Date.now() > deadline)
          throw new Error(`the collector stored ${stored} of ${accepted} rows in 30 s`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const result = await store.client.query({
        query: `SELECT lower(hex(span_id)) AS span_id, kind, outcome, reasons, warnings, credentials
                FROM cors_events WHERE service = {service:String} AND source = 'http_span'`,
        query_params: { service: HTTP_SPAN_SERVICE },
        format: 'JSONEachRow',
      });
      const rows = new Map((await result.json<VerdictRow>()).map((row) => [row.span_id, row]));
      const verdicts = new Map<number, CorsVerdict>();
      for (const [req, spanId] of requests) {
        const seq = exchangeSeqOf(req);
        const row = rows.get(spanId);
        if (seq === undefined || row === undefined) continue;
        verdicts.set(seq, {
          kind: row.kind,
          outcome: row.outcome,
          reasons: row.reasons,
          warnings: row.warnings,
          credentials: row.credentials,
        });
      }
      return verdicts;
    },
    close,
  };
}
