// At start-up, what the stored rows already say about each service's HTTP spans (issue 8): a service with
// rows from Corsight's spans is counted from those, a service with rows judged from HTTP spans captures its
// CORS response headers. Without this, a restart would skip a known service's spans as "not enough data"
// until its next span with a CORS header, and could count a Corsight service's HTTP spans once more. While
// running, the recent rows are read again every minute: collectors sharing a ClickHouse cluster each see
// only the spans sent to them, and one that gets a service's HTTP spans but never its Corsight spans would
// otherwise count that service twice for as long as it runs.
import type { ClickHouseClient } from '@clickhouse/client';
import { TABLES } from '../store/schema-ddl.js';
import { DEFAULT_TRACKED_SERVICES, type HttpSpanServices } from './http-span-services.js';

interface ServiceSourcesRow {
  readonly service: string;
  readonly corsight: number;
  readonly captured: number;
}

/**
 * Reads what stored rows say about each service into `services`; `sinceMs` limits the read to rows from then
 * on (the periodic refresh). Returns how many services the rows named.
 */
export async function restoreHttpSpanServices(
  client: ClickHouseClient,
  services: HttpSpanServices,
  sinceMs?: number,
): Promise<number> {
  // The periodic read takes the per-minute rollup: at full ingest 15 minutes are tens of millions of events
  // and some hundred thousand rollup rows. Counted rows suffice: every Corsight service sends summaries and
  // every judged HTTP span counts at least a fraction of a request.
  const source =
    sinceMs === undefined
      ? TABLES.events
      : `${TABLES.rollup} WHERE minute >= toStartOfMinute(toDateTime({since_s:UInt32}, 'UTC'))`;
  const result = await client.query({
    query: `SELECT service, toUInt8(max(source = 'corsight')) AS corsight, toUInt8(max(source = 'http_span')) AS captured
            FROM ${source}
            GROUP BY service ORDER BY service LIMIT {limit:UInt32}`,
    query_params: {
      limit: DEFAULT_TRACKED_SERVICES,
      ...(sinceMs === undefined ? {} : { since_s: Math.floor(sinceMs / 1000) }),
    },
    format: 'JSONEachRow',
  });
  const rows = await result.json<ServiceSourcesRow>();
  for (const row of rows) {
    services.restore(row.service, {
      corsight: row.corsight === 1,
      captured: row.captured === 1,
    });
  }
  return rows.length;
}

/** How often, and how far back, a running collector reads what other collectors of its store have stored. */
export const SERVICE_REFRESH = { everyMs: 60_000, lookBackMs: 15 * 60_000 } as const;
