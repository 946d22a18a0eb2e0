// How node is started in front of the collector, for every launcher that starts it (pnpm scripts, the
// `pnpm start` launcher, the bin's shebang, the container image, the benchmarks). Neither setting can be made
// by the collector itself: a V8 heap flag only takes effect on the node command line, and libuv sizes its
// thread pool from the environment before an ES-module program's first line runs.
//
// Decoding a 512-span OTLP batch makes thousands of short-lived objects that are all still alive when the
// young generation fills (the batch is mapped after it is decoded, several requests at a time): with V8's
// default 16 MiB semi-space most of them are copied by the scavenger before they die. Measured with
// collector/bench/ingest.bench.ts on an idle machine, one core: 16.1k Corsight spans per collector CPU second
// with 16 MiB, 19.5k with 32, 23.8k with 64; peak resident memory 564, 538 and 662 MiB.
//
// UV_THREADPOOL_SIZE: a thread per chDB connection plus Node's own (store/thread-pool-budget.ts).
import { availableParallelism } from 'node:os';
import { threadPoolSizeFor } from '../store/thread-pool-budget.js';

/** Flags for `node` in front of the collector's entry point. */
export const COLLECTOR_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=64'];

/**
 * The pool size of launchers that cannot count cores (the shebang, pnpm scripts): enough for 10 read
 * connections; on more cores the collector opens no more than the pool allows.
 */
export const STATIC_THREAD_POOL_SIZE = 16;

/** The environment for node in front of the collector: libuv's pool sized for its chDB connections, unless set. */
export function collectorEnv(
  env: NodeJS.ProcessEnv,
  cores: number = availableParallelism(),
): NodeJS.ProcessEnv {
  return env.UV_THREADPOOL_SIZE === undefined
    ? { ...env, UV_THREADPOOL_SIZE: String(threadPoolSizeFor(cores)) }
    : env;
}
