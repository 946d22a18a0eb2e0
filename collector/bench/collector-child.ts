// A `corsight start` child process for benchmarks: pinned to a CPU with taskset, on a fresh data directory,
// its /metrics read back as numbers. A separate process so the collector's CPU time and resident memory are
// its own, not the load generator's.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { COLLECTOR_NODE_FLAGS, collectorEnv } from '../src/cli/node-flags.js';

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));

export interface CollectorChild {
  readonly process: ChildProcess;
  /** Base URL: OTLP/HTTP at `/v1/traces`, ops at `/readyz` and `/metrics`. */
  readonly baseUrl: string;
  /** Prometheus samples by series name (with labels, if any, as printed: `name{label="value"}`). */
  metrics(): Promise<Map<string, number>>;
  /** Its resident memory split by kind (Linux; undefined elsewhere or once it has exited). */
  residentSplit(): Promise<ResidentSplit | undefined>;
  /**
   * Seconds its main thread has run on a CPU (Linux; undefined elsewhere or once it has exited): the thread
   * that receives, decodes, maps or judges, encodes and spools every request.
   */
  mainThreadCpuSeconds(): Promise<number | undefined>;
  /** SIGTERM, then waits for the exit (the collector drains its spool into ClickHouse first). */
  stop(): Promise<number | null>;
}

export interface CollectorChildOptions {
  readonly dataDir: string;
  /** Passed to `taskset -c`; undefined runs unpinned. */
  readonly cpus: string | undefined;
  readonly env?: Readonly<Record<string, string>>;
  /** Where the child's stderr goes (default: this process's). */
  readonly stderr?: 'inherit' | 'ignore';
}

/**
 * Resident memory by kind, from /proc/<pid>/status. `fileBytes`: pages of mapped files (chDB's libchdb.so and
 * the node binary: code and read-only data, clean pages the kernel can drop and read back at any time);
 * `anonymousBytes`: what the process allocated (V8's heaps, chDB's allocations, buffers).
 */
export interface ResidentSplit {
  readonly anonymousBytes: number;
  readonly fileBytes: number;
}

async function residentSplitOf(pid: number | undefined): Promise<ResidentSplit | undefined> {
  if (pid === undefined || process.platform !== 'linux') return undefined;
  try {
    const status = await readFile(`/proc/${String(pid)}/status`, 'utf8');
    const kib = (field: string): number | undefined => {
      const match = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(status);
      return match === null ? undefined : Number(match[1]) * 1024;
    };
    const anonymousBytes = kib('RssAnon');
    const fileBytes = kib('RssFile');
    return anonymousBytes === undefined || fileBytes === undefined
      ? undefined
      : { anonymousBytes, fileBytes };
  } catch {
    return undefined;
  }
}

async function mainThreadCpuSecondsOf(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined || process.platform !== 'linux') return undefined;
  try {
    // A process's first thread has the process's id; schedstat's first field is its time on a CPU in ns.
    const schedstat = await readFile(`/proc/${String(pid)}/task/${String(pid)}/schedstat`, 'utf8');
    const nanoseconds = Number(schedstat.slice(0, schedstat.indexOf(' ')));
    return Number.isFinite(nanoseconds) ? nanoseconds / 1e9 : undefined;
  } catch {
    return undefined;
  }
}

/** Waits (up to 60 s) until the collector answers /readyz with 200: ClickHouse reachable, schema migrated. */
export async function waitReady(collector: CollectorChild): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const response = await fetch(`${collector.baseUrl}/readyz`);
    await response.arrayBuffer();
    if (response.ok) return;
    await sleep(100);
  }
  throw new Error('the collector did not become ready within 60 s');
}

/** The collector's count of rows stored in ClickHouse (/metrics). */
export const ROWS_STORED = 'corsight_rows_stored_total';

/**
 * Samples the collector's /metrics every 50 ms until it has stored `rows` rows in all (ROWS_STORED) or
 * `withinMs` have passed, and hands back the last sample.
 */
export async function waitStored(
  collector: CollectorChild,
  rows: number,
  withinMs: number,
): Promise<Map<string, number>> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const sample = await collector.metrics();
    if ((sample.get(ROWS_STORED) ?? 0) >= rows || Date.now() >= deadline) return sample;
    await sleep(50);
  }
}

/** Parses Prometheus text exposition into series → value (comments and blank lines skipped). */
export function parsePrometheusText(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return samples;
}

/**
 * Extra node flags for the collector child, e.g. `BENCH_COLLECTOR_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/p"`
 * to profile it (NODE_OPTIONS refuses --cpu-prof).
 */
function extraNodeArgs(): string[] {
  return (process.env.BENCH_COLLECTOR_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
}

let compiled = false;

/**
 * The collector as it is deployed: compiled JavaScript (`tsc -p tsconfig.build.json` of the engine and the
 * collector into their dist/), run by plain node. Under tsx the same collector holds ~60 MB more resident
 * memory (the loader and source maps), which is the tool's, not the collector's. `BENCH_COLLECTOR_SOURCE=1`
 * runs the TypeScript sources through tsx instead.
 */
function collectorCommand(): string[] {
  if (process.env.BENCH_COLLECTOR_SOURCE === '1') {
    return ['--import', 'tsx', '--conditions=@corsight/source', 'collector/src/cli/main.ts', 'start'];
  }
  if (!compiled) {
    const tsc = join(REPOSITORY, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const project of ['instrumentation/tsconfig.build.json', 'collector/tsconfig.build.json']) {
      execFileSync(process.execPath, [tsc, '-p', project], { cwd: REPOSITORY, stdio: 'inherit' });
    }
    compiled = true;
  }
  return ['collector/dist/cli/main.js', 'start'];
}

/** How the child runs, for the bench's header line. */
export function collectorMode(): string {
  return process.env.BENCH_COLLECTOR_SOURCE === '1'
    ? 'TypeScript sources via tsx'
    : 'compiled JavaScript (dist/)';
}

export function startCollectorChild(options: CollectorChildOptions): Promise<CollectorChild> {
  const node = [process.execPath, ...COLLECTOR_NODE_FLAGS, ...extraNodeArgs(), ...collectorCommand()];
  const [command, ...args] = options.cpus === undefined ? node : ['taskset', '-c', options.cpus, ...node];
  const child = spawn(command ?? 'node', args, {
    cwd: REPOSITORY,
    env: collectorEnv({
      ...process.env,
      CORSIGHT_DATA_DIR: options.dataDir,
      CORSIGHT_HOST: '127.0.0.1',
      CORSIGHT_OTLP_PORT: '0',
      CORSIGHT_OTLP_GRPC_PORT: 'off',
      CORSIGHT_LOG_LEVEL: 'warn',
      ...options.env,
    }),
    stdio: ['ignore', 'pipe', options.stderr ?? 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const tracesUrl = /OTLP\/HTTP (http:\/\/\S+)\/v1\/traces/.exec(output)?.[1];
      if (tracesUrl === undefined) return;
      const baseUrl = tracesUrl;
      resolve({
        process: child,
        baseUrl,
        metrics: async () => {
          const response = await fetch(`${baseUrl}/metrics`);
          return parsePrometheusText(await response.text());
        },
        residentSplit: () => residentSplitOf(child.pid),
        // taskset execs node, so the child's pid is node's.
        mainThreadCpuSeconds: () => mainThreadCpuSecondsOf(child.pid),
        stop: () => {
          child.kill('SIGTERM');
          return exited;
        },
      });
    });
    void exited.then((code) => {
      reject(new Error(`corsight start exited with ${String(code)} before listening:\n${output}`));
    });
  });
}
