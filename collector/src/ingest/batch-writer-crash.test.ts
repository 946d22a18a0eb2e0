// SIGKILL of the whole durable path (spool + batch writer + chDB) while rows stream in and batches are
// being inserted and deleted; then a restart on the same data directory drains the spool. Every
// acknowledged row must be in ClickHouse exactly once: a segment inserted before the kill but not yet
// deleted is replayed under its token and dropped by ClickHouse's deduplication.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEventStore } from '../store/create-event-store.js';
import { TABLES } from '../store/schema-ddl.js';
import { BatchWriter } from './batch-writer.js';
import { openSpool } from './spool.js';

const FIXTURE = fileURLToPath(new URL('./batch-writer-crash.fixture.ts', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));
const TRACE = '5ca1ab1e000000000000000000000001';

let dataDir: string;
beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'corsight-writer-crash-'));
});
afterAll(async () => {
  await rm(dataDir, { recursive: true, force: true });
});

interface Life {
  readonly acknowledged: number[];
  readonly storedBatches: number;
}

/**
 * Runs the fixture (appending `total` rows from span id `firstSpan`) until it has stored `batches` batches,
 * then SIGKILLs it: while it still appends or while it inserts the backlog, whichever comes first.
 */
function runUntilKilled(firstSpan: number, total: number, batches: number): Promise<Life> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--conditions=@corsight/source',
        FIXTURE,
        dataDir,
        TRACE,
        String(firstSpan),
        String(total),
      ],
      { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const acknowledged: number[] = [];
    let storedBatches = 0;
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const [word, first, count] = line.split(' ');
      if (word === 'stored') storedBatches += 1;
      if (word === 'ack') {
        for (let id = Number(first); id < Number(first) + Number(count); id += 1) acknowledged.push(id);
      }
      if (storedBatches === batches) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (_status, signal) => {
      if (signal === 'SIGKILL') resolve({ acknowledged, storedBatches });
      else reject(new Error(`the fixture exited by itself (${String(signal)}): ${stderr}`));
    });
  });
}

describe('the durable path killed with SIGKILL while storing', () => {
  it('stores every acknowledged row exactly once after a restart', async () => {
    const first = await runUntilKilled(0, 2000, 4);
    const second = await runUntilKilled(1_000_000, 1000, 2);
    const acknowledged = [...first.acknowledged, ...second.acknowledged];
    expect(acknowledged.length).toBeGreaterThan(0);

    const store = await createEventStore({
      clickhouse: { kind: 'chdb', dataDir: join(dataDir, 'chdb') },
    });
    const spool = await openSpool({
      dataDir,
      maxSegmentRows: 1000,
      maxSegmentBytes: 1024 * 1024,
      maxSegmentAgeMs: 1000,
      maxSpoolBytes: 256 * 1024 * 1024,
    });
    try {
      const writer = new BatchWriter({ spool, store });
      const drained = await writer.drainAndStop(15_000);
      expect(drained.drained).toBe(true);

      const result = await store.client.query({
        query:
          `SELECT reinterpretAsUInt64(reverse(span_id)) AS span, count() AS n FROM ${TABLES.events} ` +
          `WHERE trace_id = unhex({trace:String}) GROUP BY span`,
        query_params: { trace: TRACE },
        format: 'JSONEachRow',
      });
      const stored = new Map(
        (await result.json<{ span: string; n: string }>()).map((row) => [Number(row.span), Number(row.n)]),
      );
      expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
      expect([...stored].filter(([, n]) => n !== 1)).toEqual([]);
      // Appends in flight at each kill (4 of 50 rows) may have been written whole but never acknowledged.
      expect(stored.size - acknowledged.length).toBeLessThanOrEqual(2 * 4 * 50);
    } finally {
      await spool.close();
      await store.close();
    }
  }, 60_000);
});
