// How many threads of libuv's pool embedded chDB may take. chdb-node runs every statement on a thread of that
// pool (Session.queryAsync), the one Node also runs its file-system calls, zlib and dns.lookup on; the pool
// has 4 threads unless UV_THREADPOOL_SIZE says otherwise, and reads the variable once, when it starts, which
// in an ES-module program is before its first line runs: only whoever starts node can size it (node-flags.ts
// and the launchers do).
//
// Each busy chDB connection (the API's reads, the writer's insert, an alert cycle's statement) holds a thread.
// With none left, the spool's appends and fdatasync, which acknowledge OTLP requests, wait for a statement
// to end. Measured here (2 cores, default pool): an fdatasync took 7–8 ms beside two or three running
// statements, 689 ms beside four. So the collector keeps NODE_RESERVE threads for Node beyond one per chDB
// connection, and opens no more read connections than the pool leaves room for.

/** libuv's pool size when UV_THREADPOOL_SIZE is not set. */
export const LIBUV_DEFAULT_POOL_SIZE = 4;
/** Threads left to Node's own work (spool writes, gunzip, dns): as many as its default pool has. */
export const NODE_RESERVE = 4;
/** The writer's connection and the alert evaluator's. */
const SINGLE_CONNECTIONS = 2;
/** libuv's own bound (MAX_THREADPOOL_SIZE). */
const LIBUV_MAX_POOL_SIZE = 1024;

/**
 * The pool size libuv takes from this environment, read as libuv reads it (threadpool.c): atoi of the value,
 * 0 (or text) meaning 1, a negative number wrapping past the maximum of 1024.
 */
export function threadPoolSize(env: Readonly<Record<string, string | undefined>>): number {
  const value = env.UV_THREADPOOL_SIZE;
  if (value === undefined) return LIBUV_DEFAULT_POOL_SIZE;
  const parsed = Number.parseInt(value.trimStart(), 10);
  if (Number.isNaN(parsed) || parsed === 0) return 1;
  if (parsed < 0) return LIBUV_MAX_POOL_SIZE;
  return Math.min(parsed, LIBUV_MAX_POOL_SIZE);
}

/**
 * Connections for the API's reads: one per core, at least two, and no more than the pool leaves beside the
 * writer's, the evaluator's and Node's reserve.
 */
export function readConnections(cores: number, poolSize: number): number {
  return Math.max(2, Math.min(cores, poolSize - SINGLE_CONNECTIONS - NODE_RESERVE));
}

/** Every chDB connection the collector opens: the reads', the writer's and the evaluator's. */
export function chdbConnections(cores: number, poolSize: number): number {
  return readConnections(cores, poolSize) + SINGLE_CONNECTIONS;
}

/** The pool size a launcher sets so that every chDB connection has a thread and Node its reserve. */
export function threadPoolSizeFor(cores: number): number {
  return Math.max(2, cores) + SINGLE_CONNECTIONS + NODE_RESERVE;
}

export interface ThreadPoolShortfall {
  readonly poolSize: number;
  readonly chdbConnections: number;
  /** What UV_THREADPOOL_SIZE should be. */
  readonly needed: number;
}

/** Set when the pool cannot give each chDB connection a thread and keep Node's reserve. */
export function threadPoolShortfall(cores: number, poolSize: number): ThreadPoolShortfall | undefined {
  const connections = chdbConnections(cores, poolSize);
  const needed = connections + NODE_RESERVE;
  return poolSize >= needed ? undefined : { poolSize, chdbConnections: connections, needed };
}
