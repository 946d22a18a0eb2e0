// OTLP/HTTP protobuf requests of valid summary spans in which every span has its own origin and span id,
// for the "a million distinct origins" hostile-input test. One request is encoded once; each request sent is a
// copy with its origins' digits and its ids written in place (both fixed width), so a million spans cost a
// few copies, not a million encodes.
import { ATTR, INSTRUMENTATION_SCOPE, SPAN_NAMES } from '@corsight/instrumentation';
import { otlpProtos } from '../../collector/src/otlp/otlp-protos.ts';

const DIGITS = 8;
const PLACEHOLDER = '#'.repeat(DIGITS);

/** The origin of span `n` (0-based, over all requests): fixed width, so it can be written into a copy. */
export function distinctOrigin(n: number): string {
  return `https://o${String(n).padStart(DIGITS, '0')}.example.com`;
}

export interface DistinctOriginRequests {
  readonly spansPerRequest: number;
  /** Request `r` as bytes: spans `r * spansPerRequest …` with origins distinctOrigin(n) and span id n + 1. */
  request(r: number): Buffer;
}

export function distinctOriginRequests(options: {
  readonly service: string;
  readonly spansPerRequest: number;
  readonly timeMs: number;
}): DistinctOriginRequests {
  const { spansPerRequest } = options;
  const start = BigInt(options.timeMs) * 1_000_000n;
  const fixed64 = (value: bigint) => ({
    low: Number(value & 0xffffffffn),
    high: Number(value >> 32n),
    unsigned: true,
  });
  // Placeholder ids and origins unique per span, so their offsets in the encoding can be found.
  const placeholderId = (i: number, length: number): Buffer => {
    const id = Buffer.alloc(length, 0xee);
    id.writeUInt32BE(i + 1, length - 4);
    return id;
  };
  const placeholderOrigin = (i: number): string =>
    distinctOrigin(i).replace(/\d{8}/, `${PLACEHOLDER.slice(0, 2)}${String(i).padStart(DIGITS - 2, '0')}`);
  const spans = Array.from({ length: spansPerRequest }, (_, i) => {
    const attributes: Record<
      string,
      { stringValue: string } | { intValue: number } | { boolValue: boolean }
    > = {
      [ATTR.spanRole]: { stringValue: 'summary' },
      [ATTR.kind]: { stringValue: 'actual' },
      [ATTR.httpRoute]: { stringValue: '/orders/:id' },
      [ATTR.origin]: { stringValue: placeholderOrigin(i) },
      [ATTR.httpRequestMethod]: { stringValue: 'GET' },
      [ATTR.outcome]: { stringValue: 'blocked' },
      [ATTR.credentials]: { stringValue: 'unknown' },
      [ATTR.needsPreflight]: { boolValue: false },
      [ATTR.sampleWeight]: { intValue: 1 },
    };
    return {
      traceId: placeholderId(i, 16),
      spanId: placeholderId(i, 8),
      name: SPAN_NAMES.summary,
      kind: 1,
      startTimeUnixNano: fixed64(start),
      endTimeUnixNano: fixed64(start + 1_000_000n),
      attributes: Object.entries(attributes).map(([key, value]) => ({ key, value })),
    };
  });
  const { exportRequest } = otlpProtos();
  const template = Buffer.from(
    exportRequest
      .encode({
        resourceSpans: [
          {
            resource: { attributes: [{ key: ATTR.serviceName, value: { stringValue: options.service } }] },
            scopeSpans: [{ scope: { name: INSTRUMENTATION_SCOPE }, spans }],
          },
        ],
      })
      .finish(),
  );
  const originAt = new Int32Array(spansPerRequest);
  const traceIdAt = new Int32Array(spansPerRequest);
  const spanIdAt = new Int32Array(spansPerRequest);
  let from = 0;
  for (let i = 0; i < spansPerRequest; i++) {
    // Fields are encoded in field-number order: trace_id, span_id, …, attributes. The span id placeholder
    // equals the trace id placeholder's last 8 bytes, so it is looked for after the trace id.
    const traceId = template.indexOf(placeholderId(i, 16), from);
    const spanId = template.indexOf(placeholderId(i, 8), traceId + 16);
    const origin = template.indexOf(placeholderOrigin(i), spanId + 8);
    if (traceId < 0 || spanId < 0 || origin < 0) {
      throw new Error(`span ${String(i)}: a stamped field is missing from the encoded request`);
    }
    traceIdAt[i] = traceId;
    spanIdAt[i] = spanId;
    // The digits start after "https://o".
    originAt[i] = origin + 'https://o'.length;
    from = origin;
  }
  return {
    spansPerRequest,
    request(r) {
      const body = Buffer.from(template);
      for (let i = 0; i < spansPerRequest; i++) {
        const n = r * spansPerRequest + i;
        body.write(String(n).padStart(DIGITS, '0'), originAt[i] ?? 0, 'latin1');
        body.writeUInt32BE(n + 1, (traceIdAt[i] ?? 0) + 12);
        body.fill(0, spanIdAt[i] ?? 0, (spanIdAt[i] ?? 0) + 4);
        body.writeUInt32BE(n + 1, (spanIdAt[i] ?? 0) + 4);
      }
      return body;
    },
  };
}
