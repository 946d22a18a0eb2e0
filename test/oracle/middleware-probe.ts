// Corsight's real node:http middleware in front of the oracle's API servers, one span per request
// (`sampling: 1`), so each recorded exchange can be paired with the verdict the middleware emitted.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ATTR, type CorsVerdict, type ReasonCode, type WarningCode } from '@corsight/instrumentation';
import { corsight, type CorsightRequestListener } from '@corsight/instrumentation/node';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { exchangeSeqOf, type HandlerWrapper } from './api-server.ts';

export interface MiddlewareProbe {
  readonly wrap: HandlerWrapper;
  /** Ends the middleware and reads its spans: the verdict per exchange `seq` (none for non-CORS requests). */
  finish(): Promise<ReadonlyMap<number, CorsVerdict>>;
}

export function startMiddlewareProbe(): MiddlewareProbe {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const listeners: CorsightRequestListener<IncomingMessage, ServerResponse, void>[] = [];
  return {
    wrap(handler) {
      // The exchange's seq stands in for a route template, so each span names the exchange it judged.
      const listener = corsight.wrap(handler, {
        tracerProvider,
        sampling: 1,
        route: (request) => String(exchangeSeqOf(request) ?? -1),
      });
      listeners.push(listener);
      return listener;
    },
    async finish() {
      await Promise.all(listeners.map((listener) => listener.shutdown()));
      const verdicts = new Map<number, CorsVerdict>();
      for (const span of exporter.getFinishedSpans()) {
        const a = span.attributes;
        verdicts.set(Number(a[ATTR.httpRoute]), {
          kind: a[ATTR.kind] as 'preflight' | 'actual',
          outcome: a[ATTR.outcome] as CorsVerdict['outcome'],
          reasons: (a[ATTR.reasons] ?? []) as ReasonCode[],
          warnings: (a[ATTR.warnings] ?? []) as WarningCode[],
          credentials: a[ATTR.credentials] as CorsVerdict['credentials'],
        });
      }
      await tracerProvider.shutdown();
      return verdicts;
    },
  };
}
