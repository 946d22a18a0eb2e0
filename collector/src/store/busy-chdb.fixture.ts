// Run by thread-pool-budget.test.ts in a process of its own (libuv sizes its pool from the environment the
// process starts with): holds every chDB connection the collector would open busy with a sleeping statement,
// then times what the spool does to acknowledge a request (write, fdatasync) and prints it as JSON.
import { mkdtempSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ChdbConnectionPool } from './chdb-pool.js';
import { chdbConnections, threadPoolSize } from './thread-pool-budget.js';

const STATEMENT_SECONDS = 2;

const dir = mkdtempSync(join(tmpdir(), 'corsight-busy-chdb-'));
const connections = chdbConnections(availableParallelism(), threadPoolSize(process.env));
const pool = new ChdbConnectionPool(join(dir, 'data'), connections);
try {
  await pool.query({ query: 'SELECT 1', query_id: 'warm-up' });
  const statements = Array.from({ length: connections }, (_, i) =>
    pool.query({ query: `SELECT sleep(${String(STATEMENT_SECONDS)})`, query_id: `busy-${String(i)}` }),
  );
  await sleep(300);
  const started = performance.now();
  const file = await open(join(dir, 'segment'), 'w');
  await file.write('one acknowledged request\n');
  await file.datasync();
  await file.close();
  const fsyncMs = performance.now() - started;
  await Promise.all(statements);
  console.log(JSON.stringify({ connections, poolSize: threadPoolSize(process.env), fsyncMs }));
} finally {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
}
