// The read pool against real chDB in a temporary data directory: calls spread over its connections, so a
// quick read does not wait behind a slow one.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChdbConnectionPool } from './chdb-pool.js';

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

let dir: string;
let pool: ChdbConnectionPool;
let client: ClickHouseClient;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'corsight-pool-'));
  pool = new ChdbConnectionPool(join(dir, 'data'), 2);
  client = createClient({ connection: pool as unknown as ClientConnection });
});

afterAll(async () => {
  await client.close();
  rmSync(dir, { recursive: true, force: true });
});

async function one(query: string): Promise<unknown> {
  const result = await client.query({ query, format: 'JSONEachRow' });
  return (await result.json())[0];
}

describe('ChdbConnectionPool', () => {
  it('answers a quick read while a slow one runs on the other connection', { timeout: 20_000 }, async () => {
    const order: string[] = [];
    // 3 s of sleep, no CPU: on one connection the quick read would wait for it.
    const slow = one('SELECT sum(sleepEachRow(1)) AS slept FROM numbers(3) SETTINGS max_block_size = 1').then(
      () => order.push('slow'),
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(pool.inFlight).toEqual([1, 0]);
    expect(await one('SELECT 42 AS answer')).toEqual({ answer: 42 });
    order.push('quick');
    await slow;
    expect(order).toEqual(['quick', 'slow']);
    expect(pool.inFlight).toEqual([0, 0]);
  });

  it('shares one data directory: what one connection creates, the others read', async () => {
    await client.command({ query: 'CREATE TABLE pooled (n UInt32) ENGINE = MergeTree ORDER BY n' });
    await client.command({ query: 'INSERT INTO pooled VALUES (1), (2), (3)' });
    const sums = await Promise.all([
      one('SELECT sum(n) AS s FROM pooled'),
      one('SELECT sum(n) AS s FROM pooled'),
    ]);
    expect(sums).toEqual([{ s: 6 }, { s: 6 }]);
  });

  it('frees a connection whose call failed', async () => {
    await expect(one('SELECT no_such_column FROM pooled')).rejects.toThrow(/no_such_column/);
    expect(pool.inFlight).toEqual([0, 0]);
  });

  it('refuses a size below one', () => {
    expect(() => new ChdbConnectionPool(join(dir, 'data'), 0)).toThrow(RangeError);
  });
});
