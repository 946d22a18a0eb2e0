// The two ways a spool segment reaches `cors_events`, both under the segment's deduplication token so a replay
// is stored once, in the raw table and in every rollup view it feeds.
import { createReadStream } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { ClickHouseClient } from '@clickhouse/client';
import { EVENT_INPUT_FORMAT, EVENT_INSERT_COLUMNS } from '../ingest/cors-event-row.js';
import { TABLES } from './schema-ddl.js';
import { SqlLiteralError, quoteFilePath } from './sql-literal.js';

const TOKEN = /^[A-Za-z0-9_.:-]{1,200}$/;

/** Tokens become a SETTINGS literal in chDB, so they are kept to characters that need no quoting. */
export function checkedToken(token: string): string {
  if (!TOKEN.test(token)) {
    throw new SqlLiteralError(
      `deduplication token must be 1–200 characters of [A-Za-z0-9_.:-], got ${JSON.stringify(token)}`,
    );
  }
  return token;
}

const COLUMN_LIST = `(${EVENT_INSERT_COLUMNS.join(', ')})`;

// A segment is stored whole or not at all. ClickHouse refuses an INSERT touching more than 100 partitions
// (days); mapSpanToRow with a clock keeps real batches to a few days, and this keeps a batch of forged dates
// from being refused (and moved aside with its good rows) when it did not.
const PARTITION_SETTING = 'throw_on_max_partitions_per_insert_block';

/**
 * Embedded chDB reads the file itself (INSERT … FROM INFILE: ~2.5× faster than passing the rows as query
 * text). A per-query setting sticks to a chDB session, so the token goes into the statement's own SETTINGS
 * clause: a checked literal, since a SETTINGS value cannot be a query parameter.
 */
export async function insertSegmentFromFile(
  client: ClickHouseClient,
  path: string,
  token: string,
): Promise<void> {
  await client.command({
    query:
      `INSERT INTO ${TABLES.events} ${COLUMN_LIST} FROM INFILE ${quoteFilePath(path)} ` +
      `SETTINGS insert_deduplication_token = '${checkedToken(token)}', ` +
      `deduplicate_blocks_in_dependent_materialized_views = 1, ${PARTITION_SETTING} = 0 ` +
      `FORMAT ${EVENT_INPUT_FORMAT}`,
  });
}

/** A server gets the file as the request body, unparsed: it is already in the INSERT's format. */
export async function insertSegmentAsBody(
  client: ClickHouseClient,
  path: string,
  token: string,
): Promise<void> {
  const result = await client.exec({
    query: `INSERT INTO ${TABLES.events} ${COLUMN_LIST} FORMAT ${EVENT_INPUT_FORMAT}`,
    values: createReadStream(path),
    clickhouse_settings: {
      insert_deduplication_token: checkedToken(token),
      deduplicate_blocks_in_dependent_materialized_views: 1,
      [PARTITION_SETTING]: 0,
    },
  });
  await finished(result.stream.resume());
}
