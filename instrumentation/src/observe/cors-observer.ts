// The heart of the adapters: judge each exchange, count it under its summary key, and turn the counts and a
// few exemplars into OpenTelemetry spans. The Fastify plugin and the Node middleware only capture the request
// and the response as written, then call observe().
import { type Context, diag, SpanKind, type Tracer, trace } from '@opentelemetry/api';
import { CorsAggregator, type SummaryInterval } from '../aggregate/aggregator.js';
import type { SummaryKey } from '../aggregate/summary-key.js';
import {
  type CorsOptions,
  type CorsRequest,
  type CorsResponse,
  evaluateCors,
  requestHost,
} from '../core/index.js';
import { readRequestInputs, readResponseInputs } from '../core/verdict-inputs.js';
import {
  type CrossOriginVerdict,
  exchangeSpanAttributes,
  isCrossOrigin,
  summaryKeyOf,
  withRouteFindings,
} from '../emit/exchange-span.js';
import { summaryAttributes } from '../emit/span-attributes.js';
import { detailSpanName, INSTRUMENTATION_SCOPE, SPAN_NAMES } from '../schema.js';
import { deadObserver, liveObserver } from './live-observers.js';
import { type CorsightOptions, normaliseOptions, type ObserverSettings } from './options.js';
import { type Judgement, VerdictMemo } from './verdict-memo.js';

export interface ObservedExchange {
  /** The request as received. */
  readonly request: CorsRequest;
  /** The response as written to the socket. */
  readonly response: CorsResponse;
  /** The route template (`/orders/:id`); undefined when no route matched. */
  readonly route: string | undefined;
  /** Epoch milliseconds. */
  readonly startTime: number;
  readonly endTime: number;
  /** The context active when the request arrived: the parent of its detail span. */
  readonly context: Context | undefined;
  /** The API's own origin as this request addressed it, when the options do not fix it. */
  readonly serverOrigin?: string | undefined;
}

// Span creation costs ~12 µs each (../shared/STACK.md): emit a flush's summaries a slice per tick.
const SPANS_PER_TICK = 256;
// Exchanges judged at once at most, bounding what the queue keeps alive under a burst. 64, the bound the
// adapters' per-turn batches had before both moved onto head-watch.ts: with 512, a burst of synchronous
// requests in one turn (1000 in the Express bench) held hundreds of exchanges with their requests and
// responses, and cost 4–10 µs more per request in that bench than 64 (same run).
const MAX_QUEUED = 64;

export class CorsObserver {
  readonly #settings: ObserverSettings;
  readonly #tracer: Tracer;
  readonly #aggregator: CorsAggregator;
  #timer: NodeJS.Timeout | undefined;
  #pending: SummaryInterval[] = [];
  #emitting: Promise<void> | undefined;
  #failures = 0;
  readonly #queue: ObservedExchange[] = [];
  readonly #memo = new VerdictMemo();
  readonly #verdictOptions: {
    serverOrigin: string | undefined;
    allowedOrigins: ReadonlySet<string> | undefined;
  };

  constructor(options: CorsightOptions = {}) {
    this.#settings = normaliseOptions(options);
    this.#verdictOptions = {
      serverOrigin: this.#settings.serverOrigin,
      allowedOrigins: this.#settings.policy?.allowedOrigins,
    };
    const provider = this.#settings.tracerProvider ?? trace.getTracerProvider();
    this.#tracer = provider.getTracer(INSTRUMENTATION_SCOPE);
    this.#aggregator = new CorsAggregator(Date.now(), this.#settings.limits);
    // Per-request mode flushes too: its origins are capped per route and interval like the summaries'.
    this.#timer = setInterval(() => {
      this.flush();
    }, this.#settings.flushIntervalMs);
    this.#timer.unref();
    liveObserver(this);
  }

  /**
   * The API's own origin when the options fix it (normalised), so an adapter can leave requests from it out
   * before building an exchange; undefined when each request's own is used.
   */
  get serverOrigin(): string | undefined {
    return this.#settings.serverOrigin;
  }

  /** Errors caught while observing (logged once through the OpenTelemetry diag logger). */
  get failures(): number {
    return this.#failures;
  }

  /**
   * Queues one exchange to be judged and counted with the others that end in the same turn of the event
   * loop. Never throws: the application must not notice Corsight.
   *
   * Why a queue: run once per request, between the HTTP stack's own work, the engine and the aggregator find
   * their code and data out of the CPU's caches. Measured on this machine inside a node:http handler, judging
   * a request took 4–5 µs, and judging the same request again right after took ~1 µs. Judged in a batch, only
   * the first exchange pays. In the Fastify paired bench, judging each GET inside writeHead kept 76.3 % of
   * @fastify/cors's throughput, queueing it here 86.3 % (same run), though the verdict memo makes a repeated
   * exchange cheap either way. The adapters hand over exchanges whose fields are read lazily, so headers and
   * routes are read in the batch too; they stay valid because the objects they read are done changing.
   */
  observe(exchange: ObservedExchange): void {
    const queue = this.#queue;
    queue.push(exchange);
    if (queue.length >= MAX_QUEUED) this.#judgeQueued();
    else if (queue.length === 1) setImmediate(this.#judgeQueuedSoon);
  }

  readonly #judgeQueuedSoon = (): void => {
    this.#judgeQueued();
  };

  #judgeQueued(): void {
    const queue = this.#queue;
    for (let i = 0; i < queue.length; i++) this.judge(queue[i] as ObservedExchange);
    queue.length = 0;
  }

  /**
   * Judges and counts one exchange now (observe() queues it instead, and says why that is cheaper).
   * Never throws.
   */
  judge(exchange: ObservedExchange): void {
    try {
      this.#observe(exchange);
    } catch (error) {
      if (this.#failures++ === 0) diag.error('@corsight/instrumentation: observing a request failed', error);
    }
  }

  #observe(exchange: ObservedExchange): void {
    const settings = this.#settings;
    // One options object for every verdict (evaluateCors keeps nothing of it): only the origin changes.
    const options = this.#verdictOptions;
    if (settings.serverOrigin === undefined) options.serverOrigin = exchange.serverOrigin;
    const judgement = this.#judgement(exchange, options);
    if (judgement === undefined) return;
    if (settings.sampling !== undefined) {
      // Per-request mode: a weighted span for a sample of the requests, no summaries. The sampled ones are
      // still recorded, so that past the per-route limit their `cors.origin` is `(other)`, as in summaries:
      // random Origin values must not become as many keys the collector's rollups group by. (A span still
      // carries the response headers as sent, length-capped, which a reflecting server fills with them.)
      if (settings.random() < settings.sampling) {
        const counted = this.#aggregator.record(judgement.key);
        this.#emitDetail(counted.key, judgement.verdict, exchange, 1 / settings.sampling);
      }
      return;
    }
    const counted =
      judgement.counted === undefined
        ? this.#aggregator.record(judgement.key)
        : this.#aggregator.recordAgain(judgement.counted);
    judgement.counted = counted;
    if (counted.exemplar) this.#emitDetail(counted.key, judgement.verdict, exchange, 0);
  }

  /**
   * The judgement of a cross-origin exchange (undefined for one that is not), remembered by its inputs for
   * the rest of the interval (verdict-memo.ts says why); exchanges whose inputs cannot be keyed are judged
   * every time.
   */
  #judgement(exchange: ObservedExchange, options: CorsOptions): Judgement | undefined {
    const memo = this.#memo;
    const request = exchange.request;
    const shape = readRequestInputs(request, options.serverOrigin, memo.requestInputs);
    if (shape === 'unkeyed') return this.#judge(exchange, options);
    // A keyed request's Origin is a string or absent (readRequestInputs checked it).
    const origin = (request.headers.origin as string | undefined) ?? '';
    let remembered = memo.findRequest(origin);
    if (remembered === undefined) {
      // Judged before its response and route are read: a request that is not CORS never needs them.
      const judgement = this.#judge(exchange, options);
      remembered = memo.rememberRequest(origin, judgement !== undefined);
      if (judgement !== undefined && readResponseInputs(exchange.response, shape, memo.responseInputs))
        memo.rememberResponse(remembered, exchange.route, judgement);
      return judgement;
    }
    if (!remembered.crossOrigin) return undefined;
    if (!readResponseInputs(exchange.response, shape, memo.responseInputs))
      return this.#judge(exchange, options);
    const route = exchange.route;
    const known = memo.findResponse(remembered, route);
    if (known !== undefined) return known;
    const judgement = this.#judge(exchange, options);
    if (judgement !== undefined) memo.rememberResponse(remembered, route, judgement);
    return judgement;
  }

  #judge(exchange: ObservedExchange, options: CorsOptions): Judgement | undefined {
    const request = exchange.request;
    const judged = evaluateCors(request, exchange.response, options);
    if (!isCrossOrigin(judged)) return undefined;
    const route = exchange.route;
    const verdict = withRouteFindings(judged, route);
    const key = summaryKeyOf(verdict, request.method, route, this.#settings.policy?.hash);
    return { verdict, key, counted: undefined };
  }

  #emitDetail(
    key: SummaryKey,
    verdict: CrossOriginVerdict,
    exchange: ObservedExchange,
    weight: number,
  ): void {
    const headers = exchange.request.headers;
    const userAgent = headers['user-agent'];
    const host = requestHost(headers);
    const attributes = exchangeSpanAttributes({
      key,
      verdict,
      response: exchange.response,
      userAgent: typeof userAgent === 'string' ? userAgent : undefined,
      serverAddress: host?.replace(/:\d+$/, ''),
      weight,
      serviceName: this.#settings.serviceName,
    });
    const name = detailSpanName(key.kind, key.method);
    this.#tracer
      .startSpan(
        name,
        { kind: SpanKind.INTERNAL, startTime: exchange.startTime, attributes },
        exchange.context,
      )
      .end(exchange.endTime);
  }

  /** Ends the current interval and emits its summary spans (a slice per tick). */
  flush(): void {
    this.#judgeQueued();
    // Remembered judgements hold the aggregator's answers of this interval.
    this.#memo.clear();
    const interval = this.#aggregator.drain(Date.now());
    // Per-request mode emitted its spans already; the interval only bounded its origins.
    if (this.#settings.sampling !== undefined) return;
    if (interval.records.length === 0) return;
    this.#pending.push(interval);
    this.#emitting ??= this.#emitPending().finally(() => {
      this.#emitting = undefined;
    });
  }

  /** Resolves once every summary counted so far has been handed to the tracer. */
  async drained(): Promise<void> {
    while (this.#emitting !== undefined) await this.#emitting;
  }

  /** Stops the flush timer and emits what is left. Call before the tracer provider shuts down. */
  async shutdown(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    deadObserver(this);
    this.flush();
    await this.drained();
  }

  async #emitPending(): Promise<void> {
    let emitted = 0;
    for (let interval = this.#pending.shift(); interval !== undefined; interval = this.#pending.shift()) {
      for (const record of interval.records) {
        if (emitted > 0 && emitted % SPANS_PER_TICK === 0)
          await new Promise((resolve) => setImmediate(resolve));
        try {
          this.#tracer
            .startSpan(SPAN_NAMES.summary, {
              kind: SpanKind.INTERNAL,
              startTime: interval.start,
              root: true,
              attributes: summaryAttributes(record.key, record.count, this.#settings.serviceName),
            })
            .end(interval.end);
        } catch (error) {
          if (this.#failures++ === 0)
            diag.error('@corsight/instrumentation: emitting a summary failed', error);
        }
        emitted++;
      }
    }
  }
}
