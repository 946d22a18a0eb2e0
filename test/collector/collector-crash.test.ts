// The fault test: a collector killed with SIGKILL in the middle of ingest and started again on the same
// data directory loses no span it acknowledged, and stores each exactly once. The first collector is a real
// `corsight start` process (so it can be killed); the second runs in this process, so ClickHouse (chDB, one
// process per data directory) can be queried once it has replayed the spool.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCollectorConfig, startCollector } from '@corsight/collector';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { otlpJsonBatch, spanIdOf } from './otlp-json-batch.ts';

const REPOSITORY = fileURLToPath(new URL('../../', import.meta.url));
const SERVICE = 'crash-test';
const SPANS_PER_REQUEST = 50;

let dataDir: string;

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'corsight-crash-'));
});

afterAll(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts `corsight start` on the data directory; resolves with its OTLP/HTTP traces URL. */
function startCollectorProcess(): Promise<{ child: ChildProcess; tracesUrl: string }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@corsight/source', 'collector/src/cli/main.ts', 'start'],
    {
      cwd: REPOSITORY,
      env: {
        ...process.env,
        CORSIGHT_DATA_DIR: dataDir,
        CORSIGHT_OTLP_PORT: '0',
        CORSIGHT_OTLP_GRPC_PORT: 'off',
        CORSIGHT_BATCH_AGE_MS: '200',
        CORSIGHT_LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const url = /OTLP\/HTTP (http:\/\/\S+\/v1\/traces)/.exec(output)?.[1];
      if (url !== undefined) resolve({ child, tracesUrl: url });
    });
    child.once('exit', (code) => {
      reject(new Error(`corsight start exited with ${String(code)} before listening:\n${output}`));
    });
  });
}

it('loses no acknowledged span when the collector is killed mid-ingest, and stores each once', async () => {
  const { child, tracesUrl } = await startCollectorProcess();
  const acknowledged: number[] = [];
  let batch = 0;
  let killed = false;
  // Four clients post batches back to back until the collector dies under them.
  const client = async (): Promise<void> => {
    while (!killed) {
      const mine = batch++;
      try {
        const response = await fetch(tracesUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: otlpJsonBatch({ service: SERVICE, batch: mine, spans: SPANS_PER_REQUEST }),
        });
        await response.arrayBuffer();
        if (response.status === 200) acknowledged.push(mine);
      } catch {
        return; // the connection died with the collector: this batch was never acknowledged
      }
    }
  };
  const clients = Promise.all([client(), client(), client(), client()]);
  // Kill once a good number of batches is acknowledged, so some are surely still in flight.
  while (acknowledged.length < 60) await new Promise((resolve) => setTimeout(resolve, 20));
  killed = true;
  child.kill('SIGKILL');
  await new Promise((resolve) => child.once('exit', resolve));
  await clients;

  const collector = await startCollector(
    readCollectorConfig({
      CORSIGHT_DATA_DIR: dataDir,
      CORSIGHT_OTLP_PORT: '0',
      CORSIGHT_OTLP_GRPC_PORT: 'off',
      CORSIGHT_LOG_LEVEL: 'silent',
    }),
  );
  try {
    const expected = new Set(
      acknowledged.flatMap((mine) =>
        Array.from({ length: SPANS_PER_REQUEST }, (_, index) => spanIdOf(mine, index)),
      ),
    );
    // The restarted collector replays the spool; wait until ClickHouse holds every acknowledged span.
    let stored: { span_id: string; copies: string }[] = [];
    const deadline = Date.now() + 30_000;
    for (;;) {
      const result = await collector.store.client.query({
        query: `SELECT lower(hex(span_id)) AS span_id, count() AS copies FROM cors_events
                WHERE service = {service:String} GROUP BY span_id`,
        query_params: { service: SERVICE },
        format: 'JSONEachRow',
      });
      stored = await result.json();
      const ids = new Set(stored.map((row) => row.span_id));
      if ([...expected].every((id) => ids.has(id)) || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const ids = new Set(stored.map((row) => row.span_id));
    expect([...expected].filter((id) => !ids.has(id))).toEqual([]);
    expect(stored.filter((row) => row.copies !== '1')).toEqual([]);
    expect(acknowledged.length).toBeGreaterThanOrEqual(60);
  } finally {
    await collector.close();
  }
});
