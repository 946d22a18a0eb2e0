// OTLP/HTTP traces receiver: `POST /v1/traces` as the OTLP specification describes it ("OTLP/HTTP"):
// binary protobuf or JSON bodies, gzip or identity, an ExportTraceServiceResponse in the request's encoding
// on success and a google.rpc.Status on failure, 429/503 with Retry-After when the sink pushes back.
//
// Registered encapsulated (fastify-plugin with `encapsulate: true`): its content-type parsers and error
// handler apply to /v1/traces only, never to the routes of the app it joins (the query API keeps its JSON).
import { Transform, type Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type {
  FastifyError,
  FastifyInstance,
  FastifyPluginCallback,
  FastifyReply,
  FastifyRequest,
} from 'fastify';
import fp from 'fastify-plugin';
import { decodeTraceRequest, type OtlpEncoding } from './decode-traces.js';
import { OtlpRequestError, type Refusal, refusalFor } from './export-refusal.js';
import { encodeExportResponse, encodeRpcStatus, MEDIA_TYPE } from './export-responses.js';
import { type AcceptResult, type AcceptSpans, type AuthoriseIngest, bearerToken } from './span-sink.js';

export interface OtlpHttpReceiverOptions {
  /** Where decoded spans go; its errors choose the answer (span-sink.ts). */
  readonly accept: AcceptSpans;
  /** Largest body as sent, compressed or not, in bytes; larger → 413. */
  readonly maxBodyBytes: number;
  /** Largest body after gunzip, in bytes (the gzip-bomb guard); larger → 413. */
  readonly maxDecompressedBytes: number;
  /** Checks the token before the body is read (span-sink.ts); without it, only `accept` checks it. */
  readonly authorise?: AuthoriseIngest;
  /** Told of every request refused whole, for the collector's metrics. */
  readonly refused?: (refusal: Refusal) => void;
}

/** The path OTLP/HTTP exporters post traces to (their endpoint + `/v1/traces`). */
export const OTLP_TRACES_PATH = '/v1/traces';

function positiveInteger(value: unknown, name: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  throw new TypeError(
    `otlpHttpReceiver: ${name} must be a positive whole number of bytes, got ${String(value)}`,
  );
}

/** The OTLP encoding a Content-Type names (parameters such as charset ignored), if any. */
export function encodingOfContentType(contentType: string | undefined): OtlpEncoding | undefined {
  const semicolon = contentType?.indexOf(';') ?? -1;
  const mediaType = (semicolon === -1 ? contentType : contentType?.slice(0, semicolon))?.trim().toLowerCase();
  if (mediaType === MEDIA_TYPE.protobuf) return 'protobuf';
  if (mediaType === MEDIA_TYPE.json) return 'json';
  return undefined;
}

/** Whether the body is gzip; identity and no header mean plain. Other codings are refused (RFC 9110 §15.5.16). */
function isGzip(contentEncoding: string | undefined): boolean {
  const coding = contentEncoding?.trim().toLowerCase() ?? '';
  if (coding === 'gzip') return true;
  if (coding === '' || coding === 'identity') return false;
  throw new OtlpRequestError(
    'CORSIGHT_OTLP_UNSUPPORTED_MEDIA_TYPE',
    `Content-Encoding "${coding.slice(0, 40)}" is not supported; send gzip or identity`,
  );
}

function tooLarge(limit: number, what: string): OtlpRequestError {
  return new OtlpRequestError(
    'CORSIGHT_OTLP_TOO_LARGE',
    `${what} exceeds ${limit} bytes; export smaller batches (e.g. a lower maxExportBatchSize)`,
  );
}

/** Passes bytes through until `limit` of them have gone by, then fails with `error()`. */
function byteLimit(limit: number, error: () => Error, counted?: (bytes: number) => void): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      counted?.(chunk.length);
      if (seen > limit) callback(error());
      else callback(null, chunk);
    },
  });
}

/**
 * Holds every chunk until the stream ends, so that gunzip runs on complete bodies only: a client that sends
 * 15 KB of a gzip body inflating to 15 MiB and then goes quiet makes the collector hold its 15 KB, not
 * 15 MiB (forty such connections took a collector from 372 to 990 MB resident and held it there).
 */
function untilEnd(): Transform {
  const chunks: Buffer[] = [];
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
    flush(callback) {
      for (const chunk of chunks.splice(0)) this.push(chunk);
      callback();
    },
  });
}

/** Fastify reads `receivedEncodedLength` to check Content-Length against the bytes really sent. */
type BodyStream = Transform & { receivedEncodedLength?: number };

// Fastify never gunzips request bodies: this hook does, and caps both sides. When a limit is hit the request
// stops feeding the pipeline but keeps draining, so a client still sending reads the 413 instead of a reset
// connection; when the client goes away mid-body, the pipeline fails rather than waiting for an end.
function bodyStream(payload: Readable, gzip: boolean, maxBody: number, maxDecompressed: number): Readable {
  let stages: Transform[];
  if (gzip) {
    const inflated: BodyStream = byteLimit(maxDecompressed, () =>
      tooLarge(maxDecompressed, 'request body after gunzip'),
    );
    inflated.receivedEncodedLength = 0;
    const compressed = byteLimit(
      maxBody,
      () => tooLarge(maxBody, 'request body'),
      (bytes) => {
        inflated.receivedEncodedLength = (inflated.receivedEncodedLength ?? 0) + bytes;
      },
    );
    stages = [compressed, untilEnd(), createGunzip(), inflated];
  } else {
    const limit = Math.min(maxBody, maxDecompressed);
    stages = [byteLimit(limit, () => tooLarge(limit, 'request body'))];
  }
  const [first] = stages;
  const last = stages.at(-1);
  if (first === undefined || last === undefined) throw new Error('unreachable: no body stages');

  let stopped = false;
  const stop = (error: Error): void => {
    if (stopped) return;
    stopped = true;
    payload.unpipe(first);
    payload.resume();
    for (const stage of stages) if (stage !== last) stage.destroy();
    // Fastify answers with this error (our error handler turns it into a Status).
    if (!last.destroyed) last.destroy(error);
  };
  for (const stage of stages) stage.on('error', stop);
  payload.on('error', stop);
  payload.on('close', () => {
    if (!payload.readableEnded) stop(new Error('the client closed the connection before the body ended'));
  });

  let tail: Readable = payload;
  for (const stage of stages) tail = tail.pipe(stage);
  return tail;
}

function checkResult(result: AcceptResult, received: number): AcceptResult {
  const { rejectedSpans } = result;
  if (!Number.isSafeInteger(rejectedSpans) || rejectedSpans < 0 || rejectedSpans > received) {
    throw new TypeError(
      `the span sink answered rejectedSpans ${String(rejectedSpans)} for ${received} spans received`,
    );
  }
  return result;
}

function registerReceiver(fastify: FastifyInstance, options: OtlpHttpReceiverOptions): void {
  // Options are checked once, at registration; the request path reads plain fields.
  if (typeof options.accept !== 'function') {
    throw new TypeError('otlpHttpReceiver: accept must be the function that takes decoded spans');
  }
  const accept = options.accept;
  const maxBody = positiveInteger(options.maxBodyBytes, 'maxBodyBytes');
  const maxDecompressed = positiveInteger(options.maxDecompressedBytes, 'maxDecompressedBytes');

  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser(
    [MEDIA_TYPE.protobuf, MEDIA_TYPE.json],
    { parseAs: 'buffer' },
    (_request, body, done) => {
      done(null, body);
    },
  );

  const { authorise, refused } = options;
  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    // A client that left mid-body shows as a body shorter than its Content-Length: counted apart from
    // requests that are malformed, and not logged (it is gone, and nothing it sent was wrong).
    const aborted = request.raw.readableAborted;
    const refusal: Refusal = aborted ? { ...refusalFor(error), reason: 'aborted' } : refusalFor(error);
    refused?.(refusal);
    // Backpressure (503 with Retry-After) is told apart first: under overload it answers every request, and
    // an error line with a stack for each would flood the log exactly then.
    if (aborted || refusal.httpStatus === 401 || refusal.retryAfterSeconds !== undefined) {
      request.log.debug({ status: refusal.httpStatus }, `OTLP export refused: ${refusal.message}`);
    } else if (refusal.httpStatus >= 500) {
      request.log.error({ err: error }, 'OTLP export failed inside the collector');
    } else {
      request.log.warn({ status: refusal.httpStatus }, `OTLP export refused: ${refusal.message}`);
    }
    const encoding = encodingOfContentType(request.headers['content-type']) ?? 'json';
    if (refusal.retryAfterSeconds !== undefined)
      reply.header('retry-after', String(refusal.retryAfterSeconds));
    return reply.code(refusal.httpStatus).type(MEDIA_TYPE[encoding]).send(encodeRpcStatus(refusal, encoding));
  });

  fastify.route({
    method: 'POST',
    url: OTLP_TRACES_PATH,
    // Fastify counts the bytes the preParsing stream yields (decompressed); the hook enforces both limits
    // with its own messages, this is the backstop.
    bodyLimit: Math.max(maxBody, maxDecompressed),
    // Before the body: a client without a valid token costs no gunzip (up to maxDecompressedBytes) or decode.
    onRequest: (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void) => {
      try {
        authorise?.({ token: bearerToken(request.headers.authorization) });
      } catch (error) {
        done(error as Error);
        return;
      }
      done();
    },
    preParsing: (request: FastifyRequest, _reply: FastifyReply, payload: Readable) => {
      const { headers } = request;
      if (encodingOfContentType(headers['content-type']) === undefined) {
        const sent =
          headers['content-type'] === undefined ? 'none' : `"${headers['content-type'].slice(0, 80)}"`;
        throw new OtlpRequestError(
          'CORSIGHT_OTLP_UNSUPPORTED_MEDIA_TYPE',
          `Content-Type ${sent} is not OTLP; send application/x-protobuf or application/json`,
        );
      }
      const gzip = isGzip(headers['content-encoding']);
      if (Number(headers['content-length']) > maxBody) throw tooLarge(maxBody, 'request body');
      return Promise.resolve(bodyStream(payload, gzip, maxBody, maxDecompressed));
    },
    handler: async (request, reply) => {
      // preParsing refused every other Content-Type.
      const encoding = encodingOfContentType(request.headers['content-type']) ?? 'protobuf';
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const spans = decodeTraceRequest(body, encoding);
      const received = spans.length;
      const result = checkResult(
        await accept(spans, { token: bearerToken(request.headers.authorization) }),
        received,
      );
      return reply.code(200).type(MEDIA_TYPE[encoding]).send(encodeExportResponse(result, encoding));
    },
  });
}

const plugin: FastifyPluginCallback<OtlpHttpReceiverOptions> = (fastify, options, done) => {
  try {
    registerReceiver(fastify, options);
  } catch (error) {
    done(error instanceof Error ? error : new Error(String(error)));
    return;
  }
  done();
};

/**
 * The OTLP/HTTP traces endpoint as a Fastify plugin: `app.register(otlpHttpReceiver, { accept, maxBodyBytes,
 * maxDecompressedBytes })` adds `POST /v1/traces` (under the register prefix, if any).
 */
export const otlpHttpReceiver = fp(plugin, {
  fastify: '5.x',
  name: '@corsight/otlp-http-receiver',
  encapsulate: true,
});
