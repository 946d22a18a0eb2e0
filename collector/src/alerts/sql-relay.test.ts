// The relay between a worker's client and the main thread's, both ends in this thread on a real
// MessageChannel over real chDB: answers, inserts, TupleParam parameters and errors arrive as the direct
// client gives them.
import { MessageChannel } from 'node:worker_threads';
import { createClient, TupleParam, type ClickHouseClient } from '@clickhouse/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTempChdb } from '../store/temp-chdb.fixture.js';
import { RelayedConnection, serveSqlRelay } from './sql-relay.js';

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>['connection']>;

const chdb = useTempChdb('sql-relay', async (client) => {
  await client.command({
    query: 'CREATE TABLE pairs (service String, origin String, n UInt64) ENGINE = Memory',
  });
});

let channel: MessageChannel;
let relayed: ClickHouseClient;

beforeAll(() => {
  channel = new MessageChannel();
  serveSqlRelay(channel.port1, chdb.client());
  relayed = createClient({ connection: new RelayedConnection(channel.port2) as unknown as ClientConnection });
});

afterAll(async () => {
  await relayed.close();
  channel.port1.close();
});

describe('the SQL relay', () => {
  it('inserts through the main client and reads back what the direct client reads', async () => {
    await relayed.insert({
      table: 'pairs',
      format: 'JSONEachRow',
      values: [
        { service: 'orders-api', origin: 'https://a.example', n: 3 },
        { service: 'orders-api', origin: "https://b.example/it's", n: 5 },
        { service: 'search-api', origin: 'https://a.example', n: 7 },
      ],
    });
    const query = {
      query: `SELECT service, origin, n FROM pairs
WHERE (service, origin) IN {keys:Array(Tuple(String, String))} AND n >= {least:UInt64}
ORDER BY n`,
      query_params: {
        keys: [
          new TupleParam(['orders-api', "https://b.example/it's"]),
          new TupleParam(['search-api', 'https://a.example']),
        ],
        least: 4,
      },
      format: 'JSONEachRow' as const,
    };
    const direct = await (await chdb.client().query(query)).json();
    expect(direct).toHaveLength(2);
    expect(await (await relayed.query(query)).json()).toEqual(direct);
    const compact = await relayed.query({
      query: 'SELECT n FROM pairs ORDER BY n',
      format: 'JSONCompactEachRow',
    });
    expect(await compact.json()).toEqual([[3], [5], [7]]);
  });

  it("rejects with ClickHouse's message, and keeps answering afterwards", async () => {
    await expect(
      relayed.query({ query: 'SELECT * FROM no_such_table', format: 'JSONEachRow' }),
    ).rejects.toThrow(/no_such_table/);
    const rows = await (
      await relayed.query({ query: 'SELECT count() AS c FROM pairs', format: 'JSONEachRow' })
    ).json();
    expect(rows).toEqual([{ c: 3 }]);
  });
});
