// A span as the collector sees it after decoding OTLP (protobuf, JSON or gRPC): the one shape every later
// step (CORS span recognition, row mapping, HTTP-span judging) reads, whatever transport it came by.

/** An attribute value; 64-bit integers arrive as numbers when safe, otherwise as decimal strings. */
export type OtlpValue =
  | string
  | number
  | boolean
  | null
  | Uint8Array
  | readonly OtlpValue[]
  | { readonly [key: string]: OtlpValue };

export type OtlpAttributes = Readonly<Record<string, OtlpValue>>;

export interface OtlpSpan {
  /** 32 lowercase hex characters. */
  readonly traceId: string;
  /** 16 lowercase hex characters. */
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  /** W3C tracestate (carries the sampling threshold `ot=th:…`). */
  readonly traceState: string | undefined;
  readonly name: string;
  /** OTLP's SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: OtlpAttributes;
  /** OTLP's status code: 0 unset, 1 ok, 2 error. */
  readonly status: { readonly code: number; readonly message: string | undefined };
  readonly resource: OtlpAttributes;
  readonly scope: { readonly name: string; readonly version: string | undefined };
}
