// The ingest benches' OTLP/HTTP load: clients posting stamped protobuf payloads (otlp-load-payloads.ts) to one
// collector back to back over keep-alive connections, each waiting out a refusal as an exporter would.
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool } from 'undici';
import { otlpProtos } from '../src/otlp/otlp-protos.js';
import { seededRandom, stampPayload, type LoadPayload } from './otlp-load-payloads.js';

export interface LoadOptions {
  readonly seconds: number;
  /** Requests in flight: one connection each. */
  readonly inFlight: number;
  /** How far back the spans of a request start (otlp-load-payloads.ts LIVE_SPREAD_MS). */
  readonly spreadMs: number;
  /** Seeds the stamped ids and times; loads sent at once into one store need different seeds. */
  readonly seed: number;
}

export interface LoadResult {
  readonly acknowledgedSpans: number;
  readonly requests: number;
  /** Requests answered other than 200, by status. */
  readonly refused: ReadonlyMap<number, number>;
  /** Spans a 200 answer reported as rejected (partial_success). */
  readonly rejectedSpans: number;
  /** Client-side latency of every request, sorted. */
  readonly latenciesMs: Float64Array;
  readonly loadSeconds: number;
}

/** `options.inFlight` clients post stamped payloads to `baseUrl` for `options.seconds`. */
export async function sendLoad(
  baseUrl: string,
  payloads: readonly LoadPayload[],
  options: LoadOptions,
): Promise<LoadResult> {
  const pool = new Pool(baseUrl, { connections: options.inFlight, pipelining: 1 });
  const { exportResponse } = otlpProtos();
  const largest = Math.max(...payloads.map((payload) => payload.template.length));
  const latencies: number[] = [];
  const refused = new Map<number, number>();
  // Span ids of different seeds never meet: each load counts its sequence from its own billion.
  let sequence = options.seed * 1_000_000_000;
  let next = 0;
  let acknowledgedSpans = 0;
  let rejectedSpans = 0;
  const started = performance.now();
  const end = started + options.seconds * 1000;
  await Promise.all(
    Array.from({ length: options.inFlight }, async (_, worker) => {
      const buffer = Buffer.alloc(largest);
      const random = seededRandom(options.seed * 1000 + worker);
      while (performance.now() < end) {
        const payload = payloads[next++ % payloads.length];
        if (payload === undefined) throw new Error('no payloads');
        const body = stampPayload(payload, buffer, sequence, Date.now(), random, options.spreadMs);
        sequence += payload.spans;
        const sent = performance.now();
        const response = await pool.request({
          path: '/v1/traces',
          method: 'POST',
          headers: { 'content-type': 'application/x-protobuf' },
          body,
        });
        const answer = new Uint8Array(await response.body.arrayBuffer());
        latencies.push(performance.now() - sent);
        if (response.statusCode === 200) {
          const decoded = exportResponse.toObject(exportResponse.decode(answer), { longs: Number }) as {
            partialSuccess?: { rejectedSpans?: number };
          };
          const rejected = decoded.partialSuccess?.rejectedSpans ?? 0;
          rejectedSpans += rejected;
          acknowledgedSpans += payload.spans - rejected;
        } else {
          refused.set(response.statusCode, (refused.get(response.statusCode) ?? 0) + 1);
          const retryAfter = Number(response.headers['retry-after'] ?? 0);
          await sleep(Math.min(1000, retryAfter * 1000));
        }
      }
    }),
  );
  const loadSeconds = (performance.now() - started) / 1000;
  await pool.close();
  return {
    acknowledgedSpans,
    requests: latencies.length,
    refused,
    rejectedSpans,
    latenciesMs: Float64Array.from(latencies).sort(),
    loadSeconds,
  };
}
