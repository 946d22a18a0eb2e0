// HTTP server spans in the attribute shapes real OpenTelemetry instrumentations emit when told to capture
// headers, written from their documentation (the same exchange in every shape):
// - Java agent 2.x (stable conventions; `otel.instrumentation.http.server.capture-request-headers`): string
//   arrays under `http.request.header.<lower-case-name>`.
// - Java agent 1.x and Python (`OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST`, older conventions):
//   `-` in header names written `_`, `http.method`, `http.status_code`, `http.scheme`, `net.host.*` /
//   `http.host`, `http.target`.
// - .NET (OpenTelemetry .NET automatic instrumentation, `…_CAPTURE_REQUEST_HEADERS`): string arrays, current
//   conventions.
// - Go: `otelhttp` captures no headers itself; a handler adds them with `attribute.String` — plain strings.
// - Node `@opentelemetry/instrumentation-http` `headersToSpanAttributes`: arrays, older conventions by
//   default.
import type { OtlpAttributes, OtlpSpan } from '../otlp/otlp-span.js';

export interface Exchange {
  readonly method: string;
  readonly path: string;
  readonly route: string;
  readonly status: number;
  readonly request: Readonly<Record<string, string>>;
  readonly response: Readonly<Record<string, string>>;
}

type Shape = (exchange: Exchange) => OtlpAttributes;

function headers(
  prefix: string,
  values: Readonly<Record<string, string>>,
  name: (header: string) => string,
  value: (text: string) => OtlpAttributes[string],
): Record<string, OtlpAttributes[string]> {
  return Object.fromEntries(
    Object.entries(values).map(([header, text]) => [`${prefix}${name(header)}`, value(text)]),
  );
}

const same = (header: string): string => header;
const underscored = (header: string): string => header.replaceAll('-', '_');
const array = (text: string): string[] => [text];
const plain = (text: string): string => text;

const stable =
  (value: (text: string) => OtlpAttributes[string]): Shape =>
  (exchange) => ({
    'http.request.method': exchange.method,
    'url.scheme': 'https',
    'url.path': exchange.path,
    'server.address': 'api.example',
    'server.port': 443,
    'http.route': exchange.route,
    'http.response.status_code': exchange.status,
    'user_agent.original': 'Mozilla/5.0',
    ...headers('http.request.header.', exchange.request, same, value),
    ...headers('http.response.header.', exchange.response, same, value),
  });

const legacy =
  (name: (header: string) => string): Shape =>
  (exchange) => ({
    'http.method': exchange.method,
    'http.scheme': 'https',
    'http.target': exchange.path,
    'http.host': 'api.example',
    'net.host.port': 443,
    'http.route': exchange.route,
    'http.status_code': exchange.status,
    'http.user_agent': 'Mozilla/5.0',
    ...headers('http.request.header.', exchange.request, name, array),
    ...headers('http.response.header.', exchange.response, name, array),
  });

export const SHAPES: Readonly<Record<string, Shape>> = {
  'java agent 2.x': stable(array),
  'java agent 1.x': legacy(underscored),
  python: legacy(underscored),
  '.net': stable(array),
  go: stable(plain),
  'node instrumentation-http': legacy(same),
};

let nextSpanId = 1;

export function serverSpan(
  attributes: OtlpAttributes,
  options: {
    service?: string;
    traceState?: string;
    kind?: number;
    startMs?: number;
    parentSpanId?: string;
    resource?: OtlpAttributes;
  } = {},
): OtlpSpan {
  const start = BigInt(options.startMs ?? Date.now()) * 1_000_000n;
  return {
    traceId: 'cd'.repeat(16),
    spanId: (nextSpanId++).toString(16).padStart(16, '0'),
    parentSpanId: options.parentSpanId,
    traceState: options.traceState,
    name: 'HTTP',
    kind: options.kind ?? 2,
    startTimeUnixNano: start,
    endTimeUnixNano: start + 2_000_000n,
    attributes,
    status: { code: 0, message: undefined },
    resource: options.resource ?? { 'service.name': options.service ?? 'billing-java' },
    scope: { name: 'io.opentelemetry.tomcat-10.0', version: '2.10.0' },
  };
}
