// The collector's alert cycles on a worker thread of their own (alert-cycle-worker.ts), away from the event
// loop that takes ingest. A cycle's JavaScript (parsing the answers of its reads, baselines, priors, evaluation:
// ~0.2–0.6 s of CPU on an idle machine, more with much live traffic) otherwise runs on the thread that decodes
// and spools every OTLP request, in bursts that stalled its event loop for up to ~300 ms. With a spare core
// the worker runs beside ingest. The worker's SQL still runs here, on the background client (chDB cannot be
// loaded in a worker): sql-relay.ts.
//
// The worker runs at nice 10, measured against 0 and 19 with collector/bench/alerts.bench.ts (two collectors
// sharing a saturated core, one evaluating 600 rules, one with alerts off):
// - nice 19: the worker ran a few milliseconds a second, a cycle lasted minutes, and the evaluating collector
//   got ~11 % less CPU than the other (96 vs 107 CPU s over 200 s, three runs), ingesting 10–15 % less: its
//   other threads waited on the starved worker (a lock it held while preempted, presumably);
// - nice 0: the CPU was shared evenly, but ingest lost 11 % while a cycle ran (0.888×, 95 % 0.804–0.981);
// - nice 10 (two runs): no CPU deficit (101.9 vs 102.5, 104.8 vs 99.1 CPU s), ingest 0.977× and 0.971× while
//   a cycle ran (95 % 0.913–1.044 and 0.921–1.025), a cycle stretched to ~2.5 minutes on the saturated core.
// With a spare core none of this matters: the worker runs beside ingest.
// The worker's compiling runs on it too, at its nice value: the collector's node runs with
// --no-concurrent-recompilation (cli/node-flags.ts says why and what it measured).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deserialize, serialize } from 'node:v8';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import type { ClickHouseClient } from '@clickhouse/client';
import type { CycleLog, CycleOutcome, LoopOutcome } from './alert-cycle.js';
import type { RuleState } from './alert-evaluator.js';
import type { AlertRuleSet } from './alert-rule.js';
import { serveSqlRelay } from './sql-relay.js';

/** The worker's nice value (Linux): see the top of this file. */
export const WORKER_NICE = 10;

/** What the worker starts with. */
export interface CycleWorkerData {
  /** The nice value the worker gives its own thread. */
  readonly nice: number;
  readonly ruleSet: AlertRuleSet;
  readonly evaluator: string;
  /** The worker's end of the SQL relay. */
  readonly sql: MessagePort;
}

export interface CycleRequest {
  readonly id: number;
  readonly nowMs: number;
}

export type WorkerMessage =
  | { readonly type: 'ready' }
  | {
      readonly type: 'log';
      readonly level: 'warn' | 'error';
      readonly fields: Record<string, unknown>;
      readonly message: string;
    }
  | { readonly type: 'outcome'; readonly id: number; readonly outcome: SerialisedOutcome }
  | {
      readonly type: 'failed';
      readonly id: number;
      readonly message: string;
      readonly stack: string | undefined;
    };

/**
 * An outcome as the worker posts it: the states serialised (v8.serialize) into a buffer that moves to this
 * thread without a copy, so the thread that takes ingest neither rebuilds them every cycle nor collects the
 * last cycle's copy a minute later. Only the alerts API reads them, and deserialises them once when it does
 * (`deserialisedOnce`). In an alert storm they are ~10,000 instances (alert-storm.ts); 10,000 instances of the
 * same shape took 26–66 ms of this thread to receive as a cloned Map, 0.03–0.05 ms as moved bytes (5.6 MiB,
 * serialised on the worker in 19–27 ms).
 */
export interface SerialisedOutcome extends Omit<CycleOutcome, 'states'> {
  readonly states: Uint8Array;
}

/** The outcome the worker posts, and what it hands over without a copy. */
export function serialiseOutcome(outcome: CycleOutcome): {
  message: SerialisedOutcome;
  transfer: ArrayBuffer[];
} {
  const states = serialize(outcome.states);
  // v8.serialize hands back a buffer of its own, exactly as long as the bytes: it can move to the other thread.
  const whole = states.byteOffset === 0 && states.byteLength === states.buffer.byteLength;
  return {
    message: { ...outcome, states },
    transfer: whole && states.buffer instanceof ArrayBuffer ? [states.buffer] : [],
  };
}

/** The states of a posted outcome, deserialised the first time they are asked for. */
export function deserialisedOnce(bytes: Uint8Array): () => ReadonlyMap<string, RuleState> {
  let pending: Uint8Array | undefined = bytes;
  let states: ReadonlyMap<string, RuleState> = new Map();
  return () => {
    if (pending !== undefined) {
      states = deserialize(pending) as ReadonlyMap<string, RuleState>;
      pending = undefined;
    }
    return states;
  };
}

export interface AlertCycleThreadOptions {
  /** The SQL of every cycle runs on this client (the store's background one). */
  readonly client: ClickHouseClient;
  readonly ruleSet: AlertRuleSet;
  readonly evaluator: string;
  readonly log: CycleLog;
}

/**
 * The worker next to this file: compiled JavaScript in dist/, or the TypeScript source (tests, `pnpm
 * corsight`). Node 20 does not apply the ESM loader hooks that run TypeScript (tsx) inside worker threads,
 * so the source is loaded through tsx's CommonJS hook instead.
 */
function startWorker(data: CycleWorkerData, transferList: MessagePort[]): Worker {
  const here = fileURLToPath(import.meta.url);
  if (!here.endsWith('.ts')) {
    return new Worker(new URL('./alert-cycle-worker.js', import.meta.url), {
      workerData: data,
      transferList,
    });
  }
  const entry = join(dirname(here), 'alert-cycle-worker.ts');
  const tsx = createRequire(import.meta.url).resolve('tsx/cjs/api');
  return new Worker(`require(${JSON.stringify(tsx)}).register(); require(${JSON.stringify(entry)});`, {
    eval: true,
    execArgv: ['--conditions=@corsight/source'],
    workerData: data,
    transferList,
  });
}

interface Running {
  readonly worker: Worker;
  readonly pending: Map<number, { resolve: (outcome: LoopOutcome) => void; reject: (error: Error) => void }>;
}

/** Runs cycles on one worker thread, started at the first cycle and again after it died. */
export class AlertCycleThread {
  #running: Running | undefined;
  #next = 0;

  constructor(private readonly options: AlertCycleThreadOptions) {}

  #start(): Running {
    const { client, ruleSet, evaluator, log } = this.options;
    const channel = new MessageChannel();
    serveSqlRelay(channel.port1, client);
    channel.port1.unref();
    const data: CycleWorkerData = { nice: WORKER_NICE, ruleSet, evaluator, sql: channel.port2 };
    const worker = startWorker(data, [channel.port2]);
    const running: Running = { worker, pending: new Map() };
    const end = (error: Error): void => {
      if (this.#running === running) this.#running = undefined;
      channel.port1.close();
      for (const { reject } of running.pending.values()) reject(error);
      running.pending.clear();
    };
    worker.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'ready':
          return;
        case 'log': {
          const { err } = message.fields as { err?: { message?: unknown; stack?: unknown } };
          const fields =
            err === undefined
              ? message.fields
              : {
                  ...message.fields,
                  err: Object.assign(new Error(String(err.message)), { stack: err.stack }),
                };
          log[message.level](fields, message.message);
          return;
        }
        case 'outcome':
        case 'failed': {
          const waiting = running.pending.get(message.id);
          running.pending.delete(message.id);
          if (running.pending.size === 0) worker.unref();
          if (message.type === 'outcome')
            waiting?.resolve({ ...message.outcome, states: deserialisedOnce(message.outcome.states) });
          else waiting?.reject(Object.assign(new Error(message.message), { stack: message.stack }));
        }
      }
    });
    worker.on('error', (error) => {
      end(error);
    });
    worker.on('exit', (code) => {
      end(new Error(`the alert cycle worker exited (code ${String(code)}); the next cycle starts a new one`));
    });
    worker.unref();
    return running;
  }

  /** Runs one cycle at `nowMs` on the worker. */
  run(nowMs: number): Promise<LoopOutcome> {
    this.#running ??= this.#start();
    const running = this.#running;
    const id = this.#next++;
    return new Promise<LoopOutcome>((resolve, reject) => {
      running.pending.set(id, { resolve, reject });
      running.worker.ref();
      const request: CycleRequest = { id, nowMs };
      running.worker.postMessage(request);
    });
  }

  /** Ends the worker (a cycle still running on it is rejected). */
  async close(): Promise<void> {
    const running = this.#running;
    this.#running = undefined;
    if (running !== undefined) await running.worker.terminate();
  }
}
