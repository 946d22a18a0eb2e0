// How node is started in front of the collector, for every launcher that starts it (pnpm scripts, the
// `pnpm start` launcher, the bin's shebang, the container image, the benchmarks). None of these settings
// can be made by the collector itself: V8's flags only take effect on the node command line, and libuv
// sizes its thread pool from the environment before an ES-module program's first line runs.
//
// Decoding a 512-span OTLP batch makes thousands of short-lived objects that are all still alive when the
// young generation fills (the batch is mapped after it is decoded, several requests at a time): with V8's
// default 16 MiB semi-space most of them are copied by the scavenger before they die. Measured with
// collector/bench/ingest.bench.ts on an idle machine, one core: 16.1k Corsight spans per collector CPU second
// with 16 MiB, 19.5k with 32, 23.8k with 64; peak resident memory 564, 538 and 662 MiB.
//
// --no-concurrent-recompilation: each thread compiles its own hot functions (TurboFan) instead of handing
// them to V8's platform threads, which serve every isolate of the process at nice 0. The alert cycles run on
// a worker at nice 10 (alerts/alert-cycle-thread.ts) so that they yield to ingest, but their code runs once a
// minute on data whose shapes change from cycle to cycle, and V8 keeps optimising, deoptimising ("wrong
// map", "insufficient type feedback") and optimising it again: single compiles of 20–160 ms, ~0.8 s of
// compiling over three cycles carrying the alerts bench's storm, all of it at full priority on the platform
// threads. With the flag that work runs on the worker, at its nice value. Measured:
// - collector/bench/alerts.bench.ts --ingest 240 (two collectors sharing a core, one evaluating): ingest
//   while a cycle ran 0.986× and 0.996× of the other collector (95 % 0.963–1.009, 0.976–1.017) with the
//   flag, 0.939× (0.897–0.982) without it in the same hour (0.943×–0.957× in earlier runs);
// - three storm cycles on the worker (scratch copy of bench/alert-storm.ts, two runs each): platform threads
//   470 and 540 ms of CPU without, 100 and 150 ms with; the process in all 1,626 and 1,893 ms without,
//   1,359 and 1,600 ms with;
// - ingest alone, two collectors loaded at once with Corsight's spans, one with the flag (four phases of
//   30 s): 0.999× the throughput of the other (95 % 0.976–1.023).
// The main thread's compiles now pause its event loop instead; in the pair above its longest delay over the
// first 5 s of load (while ingest's own code is compiled) was 150–340 ms on either side, the load's doing.
//
// UV_THREADPOOL_SIZE: a thread per chDB connection plus Node's own (store/thread-pool-budget.ts).
import { availableParallelism } from 'node:os';
import { threadPoolSizeFor } from '../store/thread-pool-budget.js';

/** Flags for `node` in front of the collector's entry point. */
export const COLLECTOR_NODE_FLAGS: readonly string[] = [
  '--max-semi-space-size=64',
  '--no-concurrent-recompilation',
];

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
