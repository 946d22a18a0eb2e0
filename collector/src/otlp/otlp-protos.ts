// The vendored OTLP definitions (./proto, see its README), loaded once with protobufjs. The decoders and
// encoders are the ones protobufjs generates from the official .proto files, with one exception on the Root
// requests are decoded with: AnyValue, read with protobufjs's Reader straight into OtlpValue
// (any-value-decoder.ts says why).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { decodeAnyValuesAsOtlpValues } from './any-value-decoder.js';

/** The trace service's file, relative to OTLP_PROTO_DIR. */
export const TRACE_SERVICE_PROTO = 'opentelemetry/proto/collector/trace/v1/trace_service.proto';

/**
 * The directory the `.proto` files import each other from (`opentelemetry/proto/...`): beside this module
 * when it runs from src/, and the package's src/otlp/proto when it runs compiled from dist/otlp (tsc does
 * not copy .proto files).
 */
export const OTLP_PROTO_DIR =
  [new URL('./proto/', import.meta.url), new URL('../../src/otlp/proto/', import.meta.url)]
    .map((url) => fileURLToPath(url))
    .find((dir) => existsSync(join(dir, TRACE_SERVICE_PROTO))) ??
  fileURLToPath(new URL('./proto/', import.meta.url));

export interface OtlpProtos {
  /** To encode requests (tests, benches); its decode gives protobufjs's message objects throughout. */
  readonly exportRequest: protobuf.Type;
  /**
   * To decode requests: its attribute values decode to OtlpValue (any-value-decoder.ts) rather than to
   * AnyValue messages. A Root of its own, so that `exportRequest` stays protobufjs's own both ways.
   */
  readonly exportRequestReader: protobuf.Type;
  readonly exportResponse: protobuf.Type;
  /** Enum name → number, for OTLP/JSON writers that send names (`SPAN_KIND_SERVER`). */
  readonly spanKinds: Readonly<Record<string, number>>;
  readonly statusCodes: Readonly<Record<string, number>>;
}

let loaded: OtlpProtos | undefined;

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  // The protos import each other by their path under the proto root.
  root.resolvePath = (_origin, target) => join(OTLP_PROTO_DIR, target);
  root.loadSync(TRACE_SERVICE_PROTO);
  root.resolveAll();
  return root;
}

const EXPORT_REQUEST = 'opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest';

/** The OTLP trace types; the first call reads the vendored files (a few ms), later calls are free. */
export function otlpProtos(): OtlpProtos {
  if (loaded !== undefined) return loaded;
  const root = loadRoot();
  const readerRoot = loadRoot();
  decodeAnyValuesAsOtlpValues(
    readerRoot.lookupType('opentelemetry.proto.common.v1.AnyValue'),
    readerRoot.lookupType('opentelemetry.proto.common.v1.KeyValueList'),
  );
  loaded = {
    exportRequest: root.lookupType(EXPORT_REQUEST),
    exportRequestReader: readerRoot.lookupType(EXPORT_REQUEST),
    exportResponse: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
    spanKinds: root.lookupEnum('opentelemetry.proto.trace.v1.Span.SpanKind').values,
    statusCodes: root.lookupEnum('opentelemetry.proto.trace.v1.Status.StatusCode').values,
  };
  return loaded;
}
