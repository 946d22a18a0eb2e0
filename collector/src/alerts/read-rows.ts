// The alerting code's reads: parameterised SQL in, rows out. Each answer comes as one JSON document parsed in
// one call: a streamed format (JSONEachRow) makes @clickhouse/client cut, decode and parse each row apart (a
// Buffer, a string and a closure per row). In an alert storm's cycles (collector/bench/alert-storm.ts) that
// was 110 of 508 MB allocated, against 34 MB for one document, and the cycles that carry the storm took ~10 %
// less CPU on their worker thread (three runs of each, alternating). The backtest (read-backtest.ts) keeps a
// streamed format: its answer can hold millions of minute rows, more than one string should.
import type { ClickHouseClient } from '@clickhouse/client';
import type { AlertQuery } from './alert-input-sql.js';

/** Rows as objects keyed by column name. */
export async function readRows<T>(client: ClickHouseClient, built: AlertQuery): Promise<T[]> {
  const result = await client.query({ query: built.query, query_params: built.params, format: 'JSON' });
  return (await result.json<T>()).data;
}

/** Rows as arrays of values in the SELECT's column order. */
export async function readCompactRows(client: ClickHouseClient, built: AlertQuery): Promise<unknown[][]> {
  const result = await client.query({
    query: built.query,
    query_params: built.params,
    format: 'JSONCompact',
  });
  return (await result.json<unknown[]>()).data;
}
