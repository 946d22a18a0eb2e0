// The worker thread that runs the collector's alert cycles (alert-cycle-thread.ts starts it). Its SQL runs on
// the main thread's background client through the relay; everything else of a cycle (parsing answers,
// baselines, evaluation) runs here, at the lowered CPU priority alert-cycle-thread.ts chose (and says why).
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { createClient } from '@clickhouse/client';
import { AlertCycle } from './alert-cycle.js';
import {
  serialiseOutcome,
  type CycleRequest,
  type CycleWorkerData,
  type WorkerMessage,
} from './alert-cycle-thread.js';
import { RelayedConnection } from './sql-relay.js';

/**
 * Linux: this thread's id, from /proc/thread-self; setpriority on a thread id changes that thread only, and
 * lowering one's own priority needs no privilege. Elsewhere (or without /proc) the thread keeps its priority.
 */
function lowerOwnPriority(nice: number): void {
  if (process.platform !== 'linux') return;
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(threadId) && threadId > 0) setPriority(threadId, nice);
  } catch {
    // The cycle runs at the normal priority then.
  }
}

const port = parentPort;
if (port === null) throw new Error('alert-cycle-worker.ts runs as a worker thread (alert-cycle-thread.ts)');
const data = workerData as CycleWorkerData;
const post = (message: WorkerMessage, transfer: readonly ArrayBuffer[] = []): void => {
  port.postMessage(message, transfer);
};
const errorFields = (fields: Record<string, unknown>): Record<string, unknown> => {
  const err = fields.err;
  if (!(err instanceof Error)) return fields;
  return { ...fields, err: { name: err.name, message: err.message, stack: err.stack } };
};
const cycle = new AlertCycle({
  client: createClient({
    // RelayedConnection implements @clickhouse/client-common's Connection as chdb/connection declares it (a
    // neighbouring release of the same shapes), like the store's ChdbConnectionPool.
    connection: new RelayedConnection(data.sql) as unknown as NonNullable<
      NonNullable<Parameters<typeof createClient>[0]>['connection']
    >,
  }),
  ruleSet: data.ruleSet,
  evaluator: data.evaluator,
  log: {
    warn: (fields, message) => {
      post({ type: 'log', level: 'warn', fields: errorFields(fields), message });
    },
    error: (fields, message) => {
      post({ type: 'log', level: 'error', fields: errorFields(fields), message });
    },
  },
});
lowerOwnPriority(data.nice);
post({ type: 'ready' });
port.on('message', (request: CycleRequest) => {
  cycle.run(request.nowMs).then(
    (outcome) => {
      const { message, transfer } = serialiseOutcome(outcome);
      post({ type: 'outcome', id: request.id, outcome: message }, transfer);
    },
    (error: unknown) => {
      post({
        type: 'failed',
        id: request.id,
        message: error instanceof Error ? error.message : String(error),
        stack: error instanceof Error ? error.stack : undefined,
      });
    },
  );
});
