// Moves sealed spool segments into ClickHouse, oldest first, one insert per segment, with the segment id
// as the insert_deduplication_token; deletes a segment only after ClickHouse took it. A failed insert is
// retried (the same segment, the same token) after an exponential, jittered, capped delay (backoff.ts);
// meanwhile ingest keeps appending to the spool until it is full, and then pushes back with 503.
//
// Exactly once: a segment is immutable and its token never reused (spool-segment-name.ts), so an insert
// that is repeated, because it timed out after ClickHouse stored it or because the process died between
// the insert and the delete, is dropped by ClickHouse's insert deduplication.
//
// The one exception to "retry forever": a segment ClickHouse refuses for its content (insert-error-kind.ts)
// CONTENT_ATTEMPTS times in a row is moved to `<spool>/rejected/` (kept, counted, reported through
// onSegmentRejected), so that one bad batch cannot block every later one and hold ingest at 503.

import { performance } from 'node:perf_hooks';
import type { EventStore } from '../store/event-store.js';
import { backoffDelayMs, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { insertErrorKind } from './insert-error-kind.js';
import type { SealedSegment, Spool, SpoolStats } from './spool.js';

export interface BatchWriterOptions {
  readonly spool: Spool;
  readonly store: EventStore;
  readonly backoff?: BackoffPolicy;
  /** A draw in [0, 1) for the jitter; tests pass a fixed one. */
  readonly random?: () => number;
  /** Each stored segment: for the batch-latency histogram and the stored-rows counter. */
  readonly onBatchStored?: (batch: StoredBatch) => void;
  /** Each failed insert, with the delay before the retry: for a log line and an error counter. */
  readonly onInsertFailed?: (failure: InsertFailure) => void;
  /** A segment moved aside after ClickHouse refused its content: worth an error log and an alert. */
  readonly onSegmentRejected?: (rejection: SegmentRejection) => void;
}

export interface SegmentRejection {
  readonly segmentId: string;
  readonly rows: number;
  /** Where the segment now is, for an operator to inspect or re-insert. */
  readonly path: string;
  readonly error: unknown;
}

/** Content errors in a row on one segment before it is moved aside: a fluke gets a second chance. */
export const CONTENT_ATTEMPTS = 3;

export interface StoredBatch {
  readonly segmentId: string;
  readonly rows: number;
  readonly bytes: number;
  readonly latencyMs: number;
}

export interface InsertFailure {
  readonly segmentId: string;
  readonly error: unknown;
  /** Failures in a row, this one included. */
  readonly consecutiveFailures: number;
  readonly retryInMs: number;
}

export interface BatchWriterState {
  readonly running: boolean;
  readonly segmentsStored: number;
  readonly rowsStored: number;
  readonly bytesStored: number;
  /** Latency of the last successful insert; undefined before the first. */
  readonly lastInsertLatencyMs: number | undefined;
  readonly consecutiveFailures: number;
  readonly failedInserts: number;
  /** Segments moved to `<spool>/rejected/` and their rows. */
  readonly segmentsRejected: number;
  readonly rowsRejected: number;
  /** Message of the last failed insert; cleared by the next success. */
  readonly lastError: string | undefined;
  readonly spool: SpoolStats;
}

export interface DrainResult {
  /** Everything sealed was stored before the deadline. */
  readonly drained: boolean;
  /** What stays in the spool for the next start. */
  readonly remainingSegments: number;
  readonly remainingRows: number;
}

export class BatchWriter {
  readonly #spool: Spool;
  readonly #store: EventStore;
  readonly #backoff: BackoffPolicy;
  readonly #random: () => number;
  readonly #onBatchStored: ((batch: StoredBatch) => void) | undefined;
  readonly #onInsertFailed: ((failure: InsertFailure) => void) | undefined;
  readonly #onSegmentRejected: ((rejection: SegmentRejection) => void) | undefined;

  #loop: Promise<void> | undefined;
  /** Aborted to stop: wakes the loop from a wait for segments or a backoff delay. */
  #stop = new AbortController();
  /** Stop once the spool has no sealed segment left (shutdown), rather than waiting for more. */
  #draining = false;
  /** Aborted to wake a loop that waits for a sealed segment (a drain begins: with nothing left, it ends). */
  #idle: AbortController | undefined;

  #segmentsStored = 0;
  #rowsStored = 0;
  #bytesStored = 0;
  #lastInsertLatencyMs: number | undefined;
  #consecutiveFailures = 0;
  #failedInserts = 0;
  #segmentsRejected = 0;
  #rowsRejected = 0;
  /** Consecutive content errors, and on which segment. */
  #contentFailures = { segmentId: '', count: 0 };
  #lastError: string | undefined;

  constructor(options: BatchWriterOptions) {
    this.#spool = options.spool;
    this.#store = options.store;
    this.#backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.#random = options.random ?? Math.random;
    this.#onBatchStored = options.onBatchStored;
    this.#onInsertFailed = options.onInsertFailed;
    this.#onSegmentRejected = options.onSegmentRejected;
  }

  /** Starts storing sealed segments, the ones a previous process left first. */
  start(): void {
    if (this.#loop !== undefined) return;
    this.#stop = new AbortController();
    this.#draining = false;
    const loop: Promise<void> = this.#run()
      .catch((error: unknown) => {
        // Only a throwing callback gets here; the spool keeps everything, a restart carries on.
        this.#lastError = `the batch writer stopped: ${error instanceof Error ? error.message : String(error)}`;
      })
      .finally(() => {
        if (this.#loop === loop) this.#loop = undefined;
      });
    this.#loop = loop;
  }

  state(): BatchWriterState {
    return {
      running: this.#loop !== undefined,
      segmentsStored: this.#segmentsStored,
      rowsStored: this.#rowsStored,
      bytesStored: this.#bytesStored,
      lastInsertLatencyMs: this.#lastInsertLatencyMs,
      consecutiveFailures: this.#consecutiveFailures,
      failedInserts: this.#failedInserts,
      segmentsRejected: this.#segmentsRejected,
      rowsRejected: this.#rowsRejected,
      lastError: this.#lastError,
      spool: this.#spool.stats(),
    };
  }

  /**
   * Shutdown: seals the open segment (after the appends already accepted), stores what is sealed until
   * `deadlineMs` from now, then stops. What is left stays in the spool and is stored after the next start.
   * An insert still running at the deadline is abandoned, not cancelled: if it lands, its segment is
   * replayed under the same token next time and ClickHouse drops the copy. Call before spool.close().
   */
  async drainAndStop(deadlineMs: number): Promise<DrainResult> {
    await this.#spool.seal();
    if (this.#loop === undefined) this.start();
    this.#draining = true;
    this.#idle?.abort();
    const loop = this.#loop ?? Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, deadlineMs);
    });
    await Promise.race([loop, deadline]);
    clearTimeout(timer);
    this.#stop.abort();
    this.#loop = undefined;
    const remaining = this.#spool.sealedSegments();
    return {
      drained: remaining.length === 0,
      remainingSegments: remaining.length,
      remainingRows: remaining.reduce((sum, segment) => sum + segment.rows, 0),
    };
  }

  /** Stops at once (after the insert in flight), leaving everything in the spool. */
  async stop(): Promise<void> {
    const loop = this.#loop;
    this.#stop.abort();
    this.#loop = undefined;
    await loop;
  }

  async #run(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      const [segment] = this.#spool.sealedSegments();
      if (segment === undefined) {
        if (this.#draining) return;
        const idle = new AbortController();
        this.#idle = idle;
        // False: the spool closed, nothing more will be sealed.
        const open = await this.#spool.waitForSealed(AbortSignal.any([signal, idle.signal]));
        this.#idle = undefined;
        if (!open) return;
        continue;
      }
      const retryInMs = await this.#storeSegment(segment);
      if (retryInMs !== undefined) await delay(retryInMs, signal);
    }
  }

  /** One insert + delete. Undefined when it worked, else how long to back off before the retry. */
  async #storeSegment(segment: SealedSegment): Promise<number | undefined> {
    const started = performance.now();
    try {
      await this.#store.insertSegment(segment.path, segment.id);
      // If the delete fails the segment is inserted again next round; the token makes that harmless.
      await this.#spool.remove(segment);
    } catch (error) {
      return this.#failed(segment, error);
    }
    const latencyMs = performance.now() - started;
    this.#consecutiveFailures = 0;
    this.#contentFailures = { segmentId: '', count: 0 };
    this.#lastError = undefined;
    this.#segmentsStored += 1;
    this.#rowsStored += segment.rows;
    this.#bytesStored += segment.bytes;
    this.#lastInsertLatencyMs = latencyMs;
    this.#onBatchStored?.({ segmentId: segment.id, rows: segment.rows, bytes: segment.bytes, latencyMs });
    return undefined;
  }

  /** Counts a failed insert; moves the segment aside on a repeated content error. The delay before the next try. */
  async #failed(segment: SealedSegment, error: unknown): Promise<number | undefined> {
    this.#failedInserts += 1;
    this.#lastError = error instanceof Error ? error.message : String(error);
    if (insertErrorKind(error) === 'content') {
      const previous = this.#contentFailures;
      const count = previous.segmentId === segment.id ? previous.count + 1 : 1;
      this.#contentFailures = { segmentId: segment.id, count };
      if (count >= CONTENT_ATTEMPTS) {
        try {
          const path = await this.#spool.reject(segment);
          this.#segmentsRejected += 1;
          this.#rowsRejected += segment.rows;
          this.#contentFailures = { segmentId: '', count: 0 };
          this.#onSegmentRejected?.({ segmentId: segment.id, rows: segment.rows, path, error });
          return undefined;
        } catch (moveError) {
          error = moveError;
        }
      }
    }
    this.#consecutiveFailures += 1;
    const retryInMs = backoffDelayMs(this.#consecutiveFailures, this.#backoff, this.#random());
    this.#onInsertFailed?.({
      segmentId: segment.id,
      error,
      consecutiveFailures: this.#consecutiveFailures,
      retryInMs,
    });
    return retryInMs;
  }
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
