// OTLP/gRPC traces receiver: `opentelemetry.proto.collector.trace.v1.TraceService/Export` with @grpc/grpc-js,
// its method definition loaded by @grpc/proto-loader from the vendored protos. grpc-js handles the transport
// (HTTP/2, grpc-encoding gzip, the message-size cap → RESOURCE_EXHAUSTED); the request bytes go to the same
// decoder as OTLP/HTTP rather than proto-loader's, so a malformed request gets INVALID_ARGUMENT with the
// field that is wrong (a deserializer failure would be answered INTERNAL), and the same spans as over HTTP.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { decodeProtobufTraceRequest } from './decode-traces.js';
import { type Refusal, refusalFor } from './export-refusal.js';
import { encodeExportResponse, encodeRpcStatus, RPC_CODE, type RpcCode } from './export-responses.js';
import { OTLP_PROTO_DIR, TRACE_SERVICE_PROTO } from './otlp-protos.js';
import { type AcceptSpans, type AuthoriseIngest, bearerToken } from './span-sink.js';

/** A pino logger fits; the receiver logs refusals and failures, one line each. */
export interface ReceiverLog {
  error(details: object, message: string): void;
  warn(details: object, message: string): void;
  debug(details: object, message: string): void;
}

export interface OtlpGrpcReceiverOptions {
  readonly accept: AcceptSpans;
  readonly host: string;
  /** 0 picks a free port (start() says which). */
  readonly port: number;
  /** Largest request message after decompression, in bytes; larger → RESOURCE_EXHAUSTED. */
  readonly maxReceiveMessageBytes: number;
  readonly log?: ReceiverLog;
  /** Told of every call refused, for the collector's metrics. */
  readonly refused?: (refusal: Refusal) => void;
  /** Checks the caller's token before the request is decoded; throws IngestAuthError to refuse it. */
  readonly authorise?: AuthoriseIngest;
}

export interface OtlpGrpcReceiver {
  /** Binds and serves; resolves with the bound port. */
  start(): Promise<number>;
  /** Stops taking calls, lets those in flight finish (at most `graceMs`, default 10 s), then closes. */
  close(options?: { readonly graceMs?: number }): Promise<void>;
}

const SERVICE_NAME = 'opentelemetry.proto.collector.trace.v1.TraceService';
/** Where gRPC carries a google.rpc.Status with details (here: RetryInfo) beside the status code. */
const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

let exportMethod: grpc.MethodDefinition<Buffer, Buffer> | undefined;

/** TraceService/Export as proto-loader defines it, with the bytes passed through untouched both ways. */
function traceServiceDefinition(): grpc.ServiceDefinition {
  if (exportMethod === undefined) {
    const definition = protoLoader.loadSync(TRACE_SERVICE_PROTO, { includeDirs: [OTLP_PROTO_DIR] });
    const service = definition[SERVICE_NAME] as grpc.ServiceDefinition | undefined;
    const method = service?.Export;
    if (method === undefined) throw new Error(`${TRACE_SERVICE_PROTO} defines no ${SERVICE_NAME}/Export`);
    exportMethod = {
      ...(method as grpc.MethodDefinition<unknown, unknown>),
      requestDeserialize: (bytes: Buffer) => bytes,
      requestSerialize: (bytes: Buffer) => bytes,
      responseSerialize: (bytes: Buffer) => bytes,
      responseDeserialize: (bytes: Buffer) => bytes,
    };
  }
  return { Export: exportMethod };
}

function positiveInteger(value: unknown, name: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  throw new TypeError(
    `createOtlpGrpcReceiver: ${name} must be a positive whole number, got ${String(value)}`,
  );
}

function grpcStatusOf(code: RpcCode): grpc.status {
  switch (code) {
    case RPC_CODE.ok:
      return grpc.status.OK;
    case RPC_CODE.invalidArgument:
      return grpc.status.INVALID_ARGUMENT;
    case RPC_CODE.resourceExhausted:
      return grpc.status.RESOURCE_EXHAUSTED;
    case RPC_CODE.internal:
      return grpc.status.INTERNAL;
    case RPC_CODE.unavailable:
      return grpc.status.UNAVAILABLE;
    case RPC_CODE.unauthenticated:
      return grpc.status.UNAUTHENTICATED;
    default: {
      const unknown: never = code;
      return unknown;
    }
  }
}

function firstText(values: grpc.MetadataValue[]): string | undefined {
  const value = values[0];
  return typeof value === 'string' ? value : undefined;
}

/** Creates the receiver; nothing listens until start(). */
export function createOtlpGrpcReceiver(options: OtlpGrpcReceiverOptions): OtlpGrpcReceiver {
  const { accept, host, log } = options;
  if (typeof accept !== 'function') {
    throw new TypeError('createOtlpGrpcReceiver: accept must be the function that takes decoded spans');
  }
  const port = options.port;
  if (!Number.isSafeInteger(port) || port < 0 || port > 65535) {
    throw new TypeError(`createOtlpGrpcReceiver: port must be 0–65535, got ${String(port)}`);
  }
  const maxReceive = positiveInteger(options.maxReceiveMessageBytes, 'maxReceiveMessageBytes');

  const server = new grpc.Server({ 'grpc.max_receive_message_length': maxReceive });

  async function exportSpans(call: grpc.ServerUnaryCall<Buffer, Buffer>): Promise<Buffer> {
    const auth = { token: bearerToken(firstText(call.metadata.get('authorization'))) };
    // Before decoding, as OTLP/HTTP checks it before reading the body: a caller without a token must not
    // make the collector decode up to maxReceiveMessageBytes first.
    options.authorise?.(auth);
    const spans = decodeProtobufTraceRequest(call.request);
    const received = spans.length;
    const result = await accept(spans, auth);
    const { rejectedSpans } = result;
    if (!Number.isSafeInteger(rejectedSpans) || rejectedSpans < 0 || rejectedSpans > received) {
      throw new TypeError(
        `the span sink answered rejectedSpans ${String(rejectedSpans)} for ${received} spans received`,
      );
    }
    return encodeExportResponse(result, 'protobuf');
  }

  function refuse(error: unknown, callback: grpc.sendUnaryData<Buffer>): void {
    const refusal = refusalFor(error);
    options.refused?.(refusal);
    // Backpressure first: under overload it answers every call, and an error line each would flood the log.
    if (refusal.retryAfterSeconds !== undefined) {
      log?.debug({ code: refusal.code }, `OTLP/gRPC export refused: ${refusal.message}`);
    } else if (refusal.httpStatus >= 500) {
      log?.error({ err: error }, 'OTLP/gRPC export failed inside the collector');
    } else if (refusal.code === RPC_CODE.invalidArgument)
      log?.warn({}, `OTLP/gRPC export refused: ${refusal.message}`);
    else log?.debug({ code: refusal.code }, `OTLP/gRPC export refused: ${refusal.message}`);
    const metadata = new grpc.Metadata();
    if (refusal.retryAfterSeconds !== undefined) {
      // OTLP/gRPC: RESOURCE_EXHAUSTED and UNAVAILABLE are retryable, after the RetryInfo delay when present.
      metadata.set(STATUS_DETAILS_KEY, encodeRpcStatus(refusal, 'protobuf'));
    }
    callback({ code: grpcStatusOf(refusal.code), details: refusal.message, metadata });
  }

  server.addService(traceServiceDefinition(), {
    Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
      exportSpans(call).then(
        (response) => {
          callback(null, response);
        },
        (error: unknown) => {
          refuse(error, callback);
        },
      );
    },
  });

  return {
    start() {
      // IPv6 literals need brackets in a gRPC target.
      const address = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
      return new Promise((resolve, reject) => {
        server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (error, boundPort) => {
          if (error === null) resolve(boundPort);
          else reject(new Error(`OTLP/gRPC receiver cannot listen on ${address}: ${error.message}`));
        });
      });
    },
    close({ graceMs = 10_000 } = {}) {
      return new Promise((resolve) => {
        const force = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, graceMs);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      });
    },
  };
}
