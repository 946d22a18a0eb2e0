// TraceService/Export on a real grpc-js server: the real OTLP/gRPC exporter's spans reach the sink intact,
// and refusals carry the status codes (and RetryInfo) the OTLP specification asks for.
import * as grpc from '@grpc/grpc-js';
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { decodeRpcStatus } from './export-responses.js';
import { createOtlpGrpcReceiver, type OtlpGrpcReceiver } from './grpc-receiver.js';
import { otlpProtos } from './otlp-protos.js';
import { bySpanId, exportSdkSpans, expectedOtlpSpan, recordingSink } from './sdk-spans.fixture.js';
import { ingestAuthoriser } from '../ingest/ingest-tokens.js';
import { IngestAuthError, IngestBackpressureError } from './span-sink.js';

const EXPORT_PATH = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';
const MAX_MESSAGE = 64 * 1024;

const sink = recordingSink();
let receiver: OtlpGrpcReceiver;
let address: string;
let client: grpc.Client;

beforeAll(async () => {
  receiver = createOtlpGrpcReceiver({
    accept: sink.accept,
    host: '127.0.0.1',
    port: 0,
    maxReceiveMessageBytes: MAX_MESSAGE,
  });
  address = `127.0.0.1:${await receiver.start()}`;
  client = new grpc.Client(address, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client.close();
  await receiver.close({ graceMs: 1000 });
});

afterEach(() => {
  sink.calls.length = 0;
  sink.answer = () => Promise.resolve({ rejectedSpans: 0 });
  vi.unstubAllEnvs();
});

const { exportRequest, exportResponse } = otlpProtos();

function request(spans: number): Buffer {
  const message = exportRequest.fromObject({
    resourceSpans: [
      {
        scopeSpans: [
          {
            spans: Array.from({ length: spans }, (_, i) => ({
              traceId: Buffer.alloc(16, 1),
              spanId: Buffer.alloc(8, i + 1),
              name: 'CORS GET',
            })),
          },
        ],
      },
    ],
  });
  return Buffer.from(exportRequest.encode(message).finish());
}

interface CallResult {
  readonly error: grpc.ServiceError | null;
  readonly response: Buffer | undefined;
}

/** One unary Export call with raw bytes, as a misbehaving client could make it. */
function call(body: Buffer, metadata = new grpc.Metadata()): Promise<CallResult> {
  return new Promise((resolve) => {
    client.makeUnaryRequest(
      EXPORT_PATH,
      (bytes: Buffer) => bytes,
      (bytes: Buffer) => bytes,
      body,
      metadata,
      (error, response) => {
        resolve({ error, response });
      },
    );
  });
}

describe.each([
  { name: 'plain', compression: 'none' },
  { name: 'gzip', compression: 'gzip' },
])('spans from the real OTLP/gRPC exporter ($name)', ({ compression }) => {
  it('reach the sink as the SDK held them, with the token from the authorization metadata', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', compression);
    vi.stubEnv('OTEL_EXPORTER_OTLP_TRACES_HEADERS', 'authorization=Bearer s3cret');
    const sent = await exportSdkSpans(new OtlpGrpcExporter({ url: `http://${address}` }));
    expect(sink.calls.map((c) => c.auth)).toEqual(sent.map(() => ({ token: 's3cret' })));
    expect(bySpanId(sink.calls.flatMap((c) => c.spans))).toStrictEqual(bySpanId(sent.map(expectedOtlpSpan)));
  });
});

describe('OTLP/gRPC answers', () => {
  it('answers an empty ExportTraceServiceResponse on success', async () => {
    const { error, response } = await call(request(2));
    expect(error).toBeNull();
    expect(exportResponse.toObject(exportResponse.decode(response ?? Buffer.alloc(0)))).toEqual({});
    expect(sink.calls[0]?.spans).toHaveLength(2);
  });

  it('reports spans the sink rejected as partial success', async () => {
    sink.answer = () => Promise.resolve({ rejectedSpans: 2, errorMessage: 'two spans had no cors.kind' });
    const { response } = await call(request(3));
    expect(
      exportResponse.toObject(exportResponse.decode(response ?? Buffer.alloc(0)), { longs: Number }),
    ).toEqual({ partialSuccess: { rejectedSpans: 2, errorMessage: 'two spans had no cors.kind' } });
  });

  it('answers malformed requests INVALID_ARGUMENT, naming the problem, and keeps serving', async () => {
    const truncated = await call(request(3).subarray(0, 30));
    expect(truncated.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(truncated.error?.details).toMatch(/not a valid ExportTraceServiceRequest/);
    const badId = exportRequest.fromObject({
      resourceSpans: [
        { scopeSpans: [{ spans: [{ traceId: Buffer.alloc(3), spanId: Buffer.alloc(8, 1) }] }] },
      ],
    });
    const wrongId = await call(Buffer.from(exportRequest.encode(badId).finish()));
    expect(wrongId.error?.details).toBe(
      'resourceSpans[0].scopeSpans[0].spans[0].traceId must be 16 bytes, got 3',
    );
    expect(sink.calls).toEqual([]);
    expect((await call(request(1))).error).toBeNull();
  });

  it('answers UNAUTHENTICATED when the sink refuses the token', async () => {
    sink.answer = () => Promise.reject(new IngestAuthError());
    const metadata = new grpc.Metadata();
    metadata.set('authorization', 'Bearer wrong');
    const { error } = await call(request(1), metadata);
    expect(error?.code).toBe(grpc.status.UNAUTHENTICATED);
    expect(sink.calls[0]?.auth).toEqual({ token: 'wrong' });
  });

  it('checks the token before decoding, when told how', async () => {
    const guarded = createOtlpGrpcReceiver({
      accept: sink.accept,
      authorise: ingestAuthoriser({ tokens: ['token-0123456789abcdef'] }),
      host: '127.0.0.1',
      port: 0,
      maxReceiveMessageBytes: MAX_MESSAGE,
    });
    const guardedClient = new grpc.Client(
      `127.0.0.1:${String(await guarded.start())}`,
      grpc.credentials.createInsecure(),
    );
    try {
      // Bytes that do not decode: refused for the missing token, not for the bytes, and never decoded.
      const error = await new Promise<grpc.ServiceError | null>((resolve) => {
        guardedClient.makeUnaryRequest(
          EXPORT_PATH,
          (bytes: Buffer) => bytes,
          (bytes: Buffer) => bytes,
          Buffer.from([0xff, 0xff, 0xff]),
          (failure) => {
            resolve(failure);
          },
        );
      });
      expect(error?.code).toBe(grpc.status.UNAUTHENTICATED);
      expect(sink.calls).toEqual([]);
    } finally {
      guardedClient.close();
      await guarded.close({ graceMs: 1000 });
    }
  });

  it.each([
    ['overloaded', grpc.status.RESOURCE_EXHAUSTED],
    ['unavailable', grpc.status.UNAVAILABLE],
  ] as const)('answers backpressure (%s) with code %i and a RetryInfo delay', async (kind, code) => {
    sink.answer = () => Promise.reject(new IngestBackpressureError(kind, 4));
    const { error } = await call(request(1));
    expect(error?.code).toBe(code);
    const [details] = error?.metadata.get('grpc-status-details-bin') ?? [];
    expect(details).toBeInstanceOf(Buffer);
    expect(decodeRpcStatus(details as Buffer, 'protobuf')).toMatchObject({ code, retryAfterSeconds: 4 });
  });

  it('answers a message over maxReceiveMessageBytes RESOURCE_EXHAUSTED before decoding it', async () => {
    const { error } = await call(Buffer.alloc(MAX_MESSAGE + 1));
    expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(sink.calls).toEqual([]);
  });

  it('answers a gzip message that expands past maxReceiveMessageBytes RESOURCE_EXHAUSTED', async () => {
    // 64 KiB of zeros travel as a few hundred bytes.
    const gzipClient = new grpc.Client(address, grpc.credentials.createInsecure(), {
      'grpc.default_compression_algorithm': grpc.compressionAlgorithms.gzip,
    });
    const error = await new Promise<grpc.ServiceError | null>((resolve) => {
      gzipClient.makeUnaryRequest(
        EXPORT_PATH,
        (bytes: Buffer) => bytes,
        (bytes: Buffer) => bytes,
        Buffer.alloc(MAX_MESSAGE + 1),
        (failure) => {
          resolve(failure);
        },
      );
    });
    gzipClient.close();
    expect(error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(sink.calls).toEqual([]);
  });

  it('answers INTERNAL when the sink fails unexpectedly', async () => {
    sink.answer = () => Promise.reject(new Error('disk on fire'));
    const { error } = await call(request(1));
    expect(error?.code).toBe(grpc.status.INTERNAL);
    expect(error?.details).not.toMatch(/disk/);
  });
});

describe('closing', () => {
  it('lets a call in flight finish, then stops listening', async () => {
    const own = createOtlpGrpcReceiver({
      accept: () =>
        new Promise((resolve) => {
          setTimeout(() => {
            resolve({ rejectedSpans: 0 });
          }, 100);
        }),
      host: '127.0.0.1',
      port: 0,
      maxReceiveMessageBytes: MAX_MESSAGE,
    });
    const ownClient = new grpc.Client(`127.0.0.1:${await own.start()}`, grpc.credentials.createInsecure());
    const inFlight = new Promise<grpc.ServiceError | null>((resolve) => {
      ownClient.makeUnaryRequest(
        EXPORT_PATH,
        (bytes: Buffer) => bytes,
        (bytes: Buffer) => bytes,
        request(1),
        (error) => {
          resolve(error);
        },
      );
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    await own.close();
    expect(await inFlight).toBeNull();
    ownClient.close();
  });

  it('refuses a port that is not one', () => {
    expect(() =>
      createOtlpGrpcReceiver({
        accept: sink.accept,
        host: '127.0.0.1',
        port: 70000,
        maxReceiveMessageBytes: 1,
      }),
    ).toThrow(/port must be 0–65535, got 70000/);
  });
});
