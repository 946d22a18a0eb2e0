// OTLP/JSON export requests full of valid Corsight summary spans, each with its own span id, for tests that
// need to know exactly which spans a collector acknowledged (the SDK exporters retry and batch on their own).
import { ATTR, INSTRUMENTATION_SCOPE } from '@corsight/instrumentation';

type JsonValue =
  | { stringValue: string }
  | { intValue: string }
  | { doubleValue: number }
  | { boolValue: boolean }
  | { arrayValue: { values: JsonValue[] } };

function value(raw: string | number | boolean | readonly string[]): JsonValue {
  if (typeof raw === 'string') return { stringValue: raw };
  if (typeof raw === 'boolean') return { boolValue: raw };
  if (typeof raw === 'number')
    return Number.isInteger(raw) ? { intValue: String(raw) } : { doubleValue: raw };
  return { arrayValue: { values: raw.map((item) => ({ stringValue: item })) } };
}

/** 16 hex characters unique per (batch, index). */
export function spanIdOf(batch: number, index: number): string {
  return (batch * 100_000 + index + 1).toString(16).padStart(16, '0');
}

export interface BatchOptions {
  readonly service: string;
  readonly batch: number;
  readonly spans: number;
  /** The origin of span i; all spans share one by default. */
  readonly origin?: (index: number) => string;
  readonly timeMs?: number;
  /** Attributes of span i set over (or added to) the valid defaults, e.g. to make one span invalid. */
  readonly attributes?: (
    index: number,
  ) => Readonly<Record<string, string | number | boolean | readonly string[]>>;
}

/** An ExportTraceServiceRequest as OTLP/JSON text. */
export function otlpJsonBatch(options: BatchOptions): string {
  const start = BigInt(options.timeMs ?? Date.now()) * 1_000_000n;
  const spans = Array.from({ length: options.spans }, (_, index) => {
    const attributes: Record<string, string | number | boolean | readonly string[]> = {
      [ATTR.spanRole]: 'summary',
      [ATTR.kind]: 'actual',
      [ATTR.httpRoute]: '/orders/:id',
      [ATTR.origin]: options.origin?.(index) ?? 'https://app.example.com',
      [ATTR.httpRequestMethod]: 'GET',
      [ATTR.outcome]: 'blocked',
      [ATTR.reasons]: ['allow_origin_mismatch'],
      [ATTR.warnings]: [],
      [ATTR.credentials]: 'unknown',
      [ATTR.needsPreflight]: false,
      [ATTR.sampleWeight]: 1,
      ...options.attributes?.(index),
    };
    return {
      traceId: 'a'.repeat(16) + spanIdOf(options.batch, index),
      spanId: spanIdOf(options.batch, index),
      name: 'CORS summary',
      kind: 1,
      startTimeUnixNano: String(start),
      endTimeUnixNano: String(start + 1_000_000n),
      attributes: Object.entries(attributes).map(([key, raw]) => ({ key, value: value(raw) })),
    };
  });
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: options.service } }] },
        scopeSpans: [{ scope: { name: INSTRUMENTATION_SCOPE }, spans }],
      },
    ],
  });
}
