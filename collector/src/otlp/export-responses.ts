// The bodies OTLP receivers answer with: an ExportTraceServiceResponse on success (with partial_success when
// spans were rejected), a google.rpc.Status on failure, each in the request's encoding (OTLP/HTTP spec,
// "OTLP/HTTP Response"). google.rpc.Status and RetryInfo are not among the vendored OTLP protos; their four
// small messages are declared here from googleapis' google/rpc/status.proto and error_details.proto.
import protobuf from 'protobufjs';
import type { OtlpEncoding } from './decode-traces.js';
import { otlpProtos } from './otlp-protos.js';
import type { AcceptResult } from './span-sink.js';

/** google.rpc.Code values the receivers use (the same numbers as gRPC status codes). */
export const RPC_CODE = {
  ok: 0,
  invalidArgument: 3,
  resourceExhausted: 8,
  internal: 13,
  unavailable: 14,
  unauthenticated: 16,
} as const;
export type RpcCode = (typeof RPC_CODE)[keyof typeof RPC_CODE];

export interface RpcStatus {
  readonly code: RpcCode;
  readonly message: string;
  /** Sent as a google.rpc.RetryInfo detail (and by HTTP as `Retry-After`). */
  readonly retryAfterSeconds?: number | undefined;
}

export const MEDIA_TYPE: Readonly<Record<OtlpEncoding, string>> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
};

const RETRY_INFO_TYPE_URL = 'type.googleapis.com/google.rpc.RetryInfo';

const rpcRoot = protobuf.Root.fromJSON({
  nested: {
    google: {
      nested: {
        protobuf: {
          nested: {
            Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
            Duration: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
          },
        },
        rpc: {
          nested: {
            Status: {
              fields: {
                code: { type: 'int32', id: 1 },
                message: { type: 'string', id: 2 },
                details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 },
              },
            },
            RetryInfo: { fields: { retry_delay: { type: 'google.protobuf.Duration', id: 1 } } },
          },
        },
      },
    },
  },
});
const statusType = rpcRoot.lookupType('google.rpc.Status');
const retryInfoType = rpcRoot.lookupType('google.rpc.RetryInfo');

/** An ExportTraceServiceResponse; partial_success only when something was rejected or there is a message. */
export function encodeExportResponse(result: AcceptResult, encoding: OtlpEncoding): Buffer {
  const rejectedSpans = result.rejectedSpans;
  const errorMessage = result.errorMessage ?? '';
  const partial = rejectedSpans > 0 || errorMessage !== '';
  if (encoding === 'json') {
    // The proto3 JSON mapping writes int64 as a decimal string.
    const body = partial ? { partialSuccess: { rejectedSpans: String(rejectedSpans), errorMessage } } : {};
    return Buffer.from(JSON.stringify(body));
  }
  const { exportResponse } = otlpProtos();
  const message = exportResponse.fromObject(
    partial ? { partialSuccess: { rejectedSpans, errorMessage } } : {},
  );
  return Buffer.from(exportResponse.encode(message).finish());
}

/** A google.rpc.Status, with a RetryInfo detail when the client should retry after a delay. */
export function encodeRpcStatus(status: RpcStatus, encoding: OtlpEncoding): Buffer {
  const retry = status.retryAfterSeconds;
  if (encoding === 'json') {
    const details = retry === undefined ? [] : [{ '@type': RETRY_INFO_TYPE_URL, retryDelay: `${retry}s` }];
    return Buffer.from(JSON.stringify({ code: status.code, message: status.message, details }));
  }
  const details =
    retry === undefined
      ? []
      : [
          {
            type_url: RETRY_INFO_TYPE_URL,
            value: retryInfoType
              .encode(retryInfoType.fromObject({ retry_delay: { seconds: retry } }))
              .finish(),
          },
        ];
  const message = statusType.fromObject({ code: status.code, message: status.message, details });
  return Buffer.from(statusType.encode(message).finish());
}

/** Reads a google.rpc.Status back (tests, and anyone checking what a receiver said). */
export function decodeRpcStatus(
  body: Uint8Array,
  encoding: OtlpEncoding,
): { code: number; message: string; retryAfterSeconds: number | undefined } {
  if (encoding === 'json') {
    const parsed = JSON.parse(Buffer.from(body).toString('utf8')) as {
      code: number;
      message: string;
      details?: { retryDelay?: string }[];
    };
    const delay = parsed.details?.find((d) => d.retryDelay !== undefined)?.retryDelay;
    return {
      code: parsed.code,
      message: parsed.message,
      retryAfterSeconds: delay === undefined ? undefined : Number.parseFloat(delay),
    };
  }
  const status = statusType.toObject(statusType.decode(body), { longs: Number, defaults: true }) as {
    code: number;
    message: string;
    details: { type_url: string; value: Uint8Array }[];
  };
  const retryInfo = status.details.find((d) => d.type_url === RETRY_INFO_TYPE_URL);
  const delay =
    retryInfo === undefined
      ? undefined
      : (
          retryInfoType.toObject(retryInfoType.decode(retryInfo.value), { longs: Number }) as {
            retry_delay?: { seconds?: number };
          }
        ).retry_delay?.seconds;
  return { code: status.code, message: status.message, retryAfterSeconds: delay };
}
