// The vendored OTLP definitions (./proto, see its README), loaded once with protobufjs. The decoders and
// encoders are the ones protobufjs generates from the official .proto files: nothing here hand-decodes the
// wire format.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

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
  readonly exportRequest: protobuf.Type;
  readonly exportResponse: protobuf.Type;
  /** Enum name → number, for OTLP/JSON writers that send names (`SPAN_KIND_SERVER`). */
  readonly spanKinds: Readonly<Record<string, number>>;
  readonly statusCodes: Readonly<Record<string, number>>;
}

let loaded: OtlpProtos | undefined;

/** The OTLP trace types; the first call reads the vendored files (a few ms), later calls are free. */
export function otlpProtos(): OtlpProtos {
  if (loaded !== undefined) return loaded;
  const root = new protobuf.Root();
  // The protos import each other by their path under the proto root.
  root.resolvePath = (_origin, target) => join(OTLP_PROTO_DIR, target);
  root.loadSync(TRACE_SERVICE_PROTO);
  root.resolveAll();
  loaded = {
    exportRequest: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
    exportResponse: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
    spanKinds: root.lookupEnum('opentelemetry.proto.trace.v1.Span.SpanKind').values,
    statusCodes: root.lookupEnum('opentelemetry.proto.trace.v1.Status.StatusCode').values,
  };
  return loaded;
}
