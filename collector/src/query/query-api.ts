// The query API as a Fastify plugin: `app.register(queryApi, { prefix: '/api/v1', client, readTokens })`.
// A thin adapter: each route reads its parameters (query-params.ts), runs the SQL its builder returns with
// bound parameters, and shapes the rows with a pure function. Answers are JSON and echo the counted range
// (and step), so a chart can label itself and a link can reproduce it. Not wrapped in fastify-plugin on
// purpose: the read-token hook and the error handler stay inside this prefix.
//
// The contract (every answer also has `range: { from, to }` as ISO-8601, whole minutes, `to` exclusive):
//   GET  /summary          from to service route origin method
//                          → { requests, preflights, actual, allowed, blocked, blocked_if_credentialed,
//                              needs_preflight }
//   GET  /timeseries       from to step metric groupBy top + filters (service route origin method outcome kind)
//                          → { step, metric, groupBy, buckets: ISO[], series: [{ group, total, values[] }] }
//   GET  /origins/rejected from to service route origin method limit
//                          → { previousRange, origins: RejectedOrigin[] }
//   GET  /preflight-cache  from to service route origin method limit
//                          → { engineCaps, targetMaxAge, entries: PreflightCacheEntry[] }
//   GET  /mismatches       from to step finding code examples limit + filters
//                          → { step, buckets, codes: Mismatch[] }
//   GET  /policy-changes   from to service limit → { changes: PolicyChange[] }
//   POST /simulate         { allowlist, service?, from?, to?, limit? } → { allowlist, totals, origins, routes }
//   GET  /services         from to limit → { services: [{ service, requests }] }
//   GET  /routes           from to service limit → { routes: [{ service, route, requests }] }
// 400 { error: 'bad_parameter', parameter, expected, message }; 401 without the read token.
// Every answer names the tables it was read from in a `corsight-tables` header (the rollups rollup-choice.ts
// picked for it, cors_events for detail rows).
import type { ClickHouseClient } from '@clickhouse/client';
import type { FastifyError, FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import { allowlistMatchers } from './allowlist-pattern.js';
import {
  simulationOriginRoutesQuery,
  simulationOriginSumsQuery,
  simulationRoutesQuery,
  summarizeSimulation,
  type SimulatedOriginRoute,
  type SimulationOriginRouteRow,
  type SimulationOriginSumsRow,
  type SimulationRouteRow,
} from './allowlist-simulation.js';
import { routesQuery, servicesQuery, type RouteRow, type ServiceRow } from './filter-lists.js';
import {
  mismatchExamplesQuery,
  mismatchSeriesQuery,
  shapeMismatches,
  type MismatchExampleRow,
  type MismatchesRequest,
  type MismatchSeriesRow,
} from './mismatches-query.js';
import {
  originsLostQuery,
  mergePolicyChanges,
  policyHashesQuery,
  policyRunsQuery,
  type PolicyRunRow,
  shapePolicyChange,
  type OriginLostRow,
  type PolicyHashRow,
} from './policy-changes.js';
import {
  ENGINE_MAX_AGE_CAPS,
  TARGET_MAX_AGE,
  maxAgeSentQuery,
  preflightCacheQuery,
  shapePreflightCache,
  type MaxAgeRow,
  type PreflightCacheRow,
} from './preflight-cache.js';
import { markOpenEnd, storedAfterQuery, type StoredAfterRow } from './open-end.js';
import { QueryParameterError } from './query-errors.js';
import {
  readFilters,
  readParameters,
  readRange,
  readRangeAndStep,
  readSimulationRequest,
} from './query-params.js';
import { clientErrorBody } from './body-refusal.js';
import { requireReadToken } from './read-token.js';
import {
  previouslyBlockedQuery,
  rejectedOriginReasonsQuery,
  rejectedOriginRoutesQuery,
  rejectedOriginsQuery,
  shapeRejectedOrigins,
  type OriginBreakdownRow,
  type RejectedOriginRow,
} from './rejected-origins-query.js';
import type { BuiltQuery } from './sql-conditions.js';
import { summaryQuery, type SummaryRow } from './summary-query.js';
import { bucketStarts, previousRange, resolveRange, type Step, type TimeRange } from './time-range.js';
import { shapeSeries, timeseriesQuery, type TimeseriesRow } from './timeseries-query.js';

export interface QueryApiOptions {
  readonly client: ClickHouseClient;
  /** Bearer tokens accepted on the query API; empty means open (bind to a private interface). */
  readonly readTokens: readonly string[];
  /** Also accepted for reading (the alerts API's change tokens). */
  readonly adminTokens?: readonly string[];
  /** The clock for default ranges; tests pin it. */
  readonly now?: () => number;
}

/** How a range is echoed in every answer. */
export interface RangeEcho {
  readonly from: string;
  readonly to: string;
}

function echoRange(range: TimeRange): RangeEcho {
  return { from: new Date(range.fromMs).toISOString(), to: new Date(range.toMs).toISOString() };
}

function echoStep(step: Step): { name: string; seconds: number } {
  return { name: step.name, seconds: step.seconds };
}

/** Reads the rows of built queries for one request, noting the tables they read. */
type Read = <T>(built: BuiltQuery) => Promise<T[]>;

/** Per-request state, kept off the request object so it can never leak into a serialised answer. */
const tablesRead = new WeakMap<FastifyRequest, Set<string>>();

/**
 * The tables an answer was read from, in the `corsight-tables` response header: which rollup each request
 * picked (rollup-choice.ts), for the benchmark and for a person wondering why an answer was slow.
 */
export const TABLES_HEADER = 'corsight-tables';

function reader(client: ClickHouseClient, request: FastifyRequest): Read {
  return async <T>(built: BuiltQuery): Promise<T[]> => {
    const tables = tablesRead.get(request) ?? new Set<string>();
    for (const table of built.tables) tables.add(table);
    tablesRead.set(request, tables);
    const result = await client.query({
      query: built.query,
      query_params: built.params,
      format: 'JSONEachRow',
    });
    return result.json<T>();
  };
}

/** The range as rollup-choice.ts should read it: open-ended when nothing is stored at or after its end. */
async function openEnd(read: Read, range: TimeRange): Promise<TimeRange> {
  return markOpenEnd(range, await read<StoredAfterRow>(storedAfterQuery(range)));
}

const MAX_CHANGES = 50;

export const queryApi: FastifyPluginAsync<QueryApiOptions> = async (app, options) => {
  const { client } = options;
  const now = options.now ?? Date.now;
  app.addHook('onRequest', requireReadToken(options.readTokens, options.adminTokens));

  app.setErrorHandler(async (error: FastifyError | QueryParameterError, request, reply) => {
    if (error instanceof QueryParameterError) return reply.code(400).send(error.toBody());
    const status = error.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      // Fastify's own refusals (malformed JSON body, wrong content type, too large): keep their status.
      return reply.code(status).send(clientErrorBody(error));
    }
    request.log.error({ err: error }, 'a query API request failed');
    return reply
      .code(500)
      .send({ error: 'query_failed', message: 'the query failed; see the collector log' });
  });

  app.addHook('onSend', async (request, reply) => {
    const tables = tablesRead.get(request);
    if (tables !== undefined) void reply.header(TABLES_HEADER, [...tables].join(', '));
  });

  registerCounts(app, client, now);
  registerDetail(app, client, now);
  registerPolicy(app, client, now);
  await Promise.resolve();
};

function registerCounts(app: FastifyInstance, client: ClickHouseClient, now: () => number): void {
  app.get('/summary', async (request) => {
    const read = reader(client, request);
    const asked = readRange(request.query, now());
    const filters = readFilters(request.query, ['service', 'route', 'origin', 'method']);
    const range = await openEnd(read, asked);
    const [row] = await read<SummaryRow>(summaryQuery(range, filters));
    const { total = 0, ...rest } = row ?? {};
    return { range: echoRange(range), requests: total, ...rest };
  });

  app.get('/timeseries', async (request) => {
    const read = reader(client, request);
    const { range: asked, step } = readRangeAndStep(request.query, now());
    const filters = readFilters(request.query, ['service', 'route', 'origin', 'method', 'outcome', 'kind']);
    const {
      metric = 'requests',
      groupBy,
      top = 10,
    } = readParameters(request.query, ['metric', 'groupBy', 'top']);
    const range = await openEnd(read, asked);
    const rows = await read<TimeseriesRow>(timeseriesQuery({ range, step, metric, groupBy, top, filters }));
    const buckets = bucketStarts(range, step);
    return {
      range: echoRange(range),
      step: echoStep(step),
      metric,
      groupBy: groupBy ?? null,
      buckets: buckets.map((start) => new Date(start).toISOString()),
      series: shapeSeries(rows, buckets, groupBy !== undefined),
    };
  });

  app.get('/services', async (request) => {
    const read = reader(client, request);
    const asked = readRange(request.query, now());
    const { limit = 1000 } = readParameters(request.query, ['limit']);
    const range = await openEnd(read, asked);
    const rows = await read<ServiceRow>(servicesQuery(range, limit));
    return {
      range: echoRange(range),
      services: rows.map((row) => ({ service: row.service, requests: row.volume })),
    };
  });

  app.get('/routes', async (request) => {
    const read = reader(client, request);
    const asked = readRange(request.query, now());
    const { service, limit = 1000 } = readParameters(request.query, ['service', 'limit']);
    const range = await openEnd(read, asked);
    const rows = await read<RouteRow>(routesQuery(range, service, limit));
    return {
      range: echoRange(range),
      routes: rows.map((row) => ({ service: row.service, route: row.route, requests: row.volume })),
    };
  });
}

function registerDetail(app: FastifyInstance, client: ClickHouseClient, now: () => number): void {
  app.get('/origins/rejected', async (request) => {
    const read = reader(client, request);
    const asked = readRange(request.query, now());
    const filters = readFilters(request.query, ['service', 'route', 'origin', 'method']);
    const { limit = 100 } = readParameters(request.query, ['limit']);
    const range = await openEnd(read, asked);
    const rows = await read<RejectedOriginRow>(rejectedOriginsQuery(range, filters, limit));
    const origins = rows.map((row) => row.origin);
    const [routes, reasons, previous] =
      origins.length === 0
        ? [[], [], []]
        : await Promise.all([
            read<OriginBreakdownRow & { service: string; route: string }>(
              rejectedOriginRoutesQuery(range, filters, origins),
            ),
            read<OriginBreakdownRow & { code: string }>(rejectedOriginReasonsQuery(range, filters, origins)),
            read<OriginBreakdownRow>(previouslyBlockedQuery(range, filters, origins)),
          ]);
    return {
      range: echoRange(range),
      previousRange: echoRange(previousRange(range)),
      origins: shapeRejectedOrigins(rows, routes, reasons, previous),
    };
  });

  app.get('/preflight-cache', async (request) => {
    const read = reader(client, request);
    const asked = readRange(request.query, now());
    const filters = readFilters(request.query, ['service', 'route', 'origin', 'method']);
    const { limit = 100 } = readParameters(request.query, ['limit']);
    const range = await openEnd(read, asked);
    const rows = await read<PreflightCacheRow>(preflightCacheQuery(range, filters, limit));
    const maxAges = rows.length === 0 ? [] : await read<MaxAgeRow>(maxAgeSentQuery(range, rows));
    return {
      range: echoRange(range),
      engineCaps: ENGINE_MAX_AGE_CAPS,
      targetMaxAge: TARGET_MAX_AGE,
      entries: shapePreflightCache(rows, maxAges),
    };
  });

  app.get('/mismatches', async (request) => {
    const read = reader(client, request);
    const { range: asked, step } = readRangeAndStep(request.query, now());
    const filters = readFilters(request.query, ['service', 'route', 'origin', 'method', 'outcome', 'kind']);
    const {
      finding,
      code,
      examples = 3,
      limit = 50,
    } = readParameters(request.query, ['finding', 'code', 'examples', 'limit']);
    const range = await openEnd(read, asked);
    const mismatch = { range, step, filters, finding, code };
    const series = await read<MismatchSeriesRow>(mismatchSeriesQuery(mismatch));
    const buckets = bucketStarts(range, step);
    const codes = [...new Set(series.filter((row) => row.value > 0).map((row) => row.code))];
    const exampleRows =
      examples === 0 || codes.length === 0 ? [] : await newestExamples(read, mismatch, codes, examples);
    return {
      range: echoRange(range),
      step: echoStep(step),
      buckets: buckets.map((start) => new Date(start).toISOString()),
      codes: shapeMismatches(series, exampleRows, buckets, limit),
    };
  });
}

/** Where examples are looked for first: the range's last hour, then its last day, then all of it. */
const EXAMPLE_LOOKBACKS_MS = [3_600_000, 86_400_000, Number.POSITIVE_INFINITY];

/**
 * The newest examples per code. Sorting every detail row of a 30-day range costs seconds, and the newest
 * examples are almost always recent: look in the last hour first (10M events in 30 days: ~1.4k detail rows
 * an hour), then in the last day, and over the whole range only for the codes still short of examples.
 */
async function newestExamples(
  read: Read,
  mismatch: MismatchesRequest,
  codes: readonly string[],
  examples: number,
): Promise<MismatchExampleRow[]> {
  const { fromMs, toMs } = mismatch.range;
  let found: MismatchExampleRow[] = [];
  let short = codes;
  for (const lookback of EXAMPLE_LOOKBACKS_MS) {
    const windowFrom = Math.max(fromMs, toMs - lookback);
    const rows = await read<MismatchExampleRow>(
      mismatchExamplesQuery({ ...mismatch, range: { fromMs: windowFrom, toMs } }, short, examples),
    );
    // A wider window's newest examples of a code replace the narrower window's few.
    const retried = new Set(short);
    found = [...found.filter((row) => !retried.has(row.code)), ...rows];
    const counts = new Map<string, number>();
    for (const row of found) counts.set(row.code, (counts.get(row.code) ?? 0) + 1);
    short = short.filter((code) => (counts.get(code) ?? 0) < examples);
    if (short.length === 0 || windowFrom === fromMs) break;
  }
  return found;
}

function registerPolicy(app: FastifyInstance, client: ClickHouseClient, now: () => number): void {
  app.get('/policy-changes', async (request) => {
    const read = reader(client, request);
    const range = readRange(request.query, now());
    const { service, limit = 50 } = readParameters(request.query, ['service', 'limit']);
    const [hashes, runs] = await Promise.all([
      read<PolicyHashRow>(policyHashesQuery(service)),
      read<PolicyRunRow>(policyRunsQuery(range, service)),
    ]);
    // The most recent changes when there are more than an answer should carry.
    const changes = mergePolicyChanges(hashes, runs, range)
      .sort((a, b) => b.atMs - a.atMs)
      .slice(0, MAX_CHANGES);
    const origins = await Promise.all(
      changes.map((change) => read<OriginLostRow>(originsLostQuery(change, range, limit))),
    );
    return {
      range: echoRange(range),
      changes: changes.map((change, i) => shapePolicyChange(change, origins[i] ?? [])),
    };
  });

  app.post('/simulate', async (request) => {
    const read = reader(client, request);
    const input = readSimulationRequest(request.body);
    const asked = resolveRange(input.from, input.to, now());
    const matchers = allowlistMatchers(input.allowlist);
    const range = await openEnd(read, asked);
    const simulation = {
      range,
      matchers,
      service: input.service,
      limit: input.limit ?? 100,
    };
    const sums = await read<SimulationOriginSumsRow>(simulationOriginSumsQuery(simulation));
    const { totals, refused, refusedSet } = summarizeSimulation(sums);
    const origins = refused.slice(0, simulation.limit);
    const [routes, originRoutes] = await Promise.all([
      refused.length === 0 ? [] : read<SimulationRouteRow>(simulationRoutesQuery(simulation, refusedSet)),
      origins.length === 0
        ? []
        : read<SimulationOriginRouteRow>(
            simulationOriginRoutesQuery(
              simulation,
              origins.map((row) => row.origin),
            ),
          ),
    ]);
    const routesOf = new Map<string, SimulatedOriginRoute[]>();
    for (const { origin, service, route, newly_blocked } of originRoutes)
      routesOf.set(origin, [
        ...(routesOf.get(origin) ?? []),
        { service, route, newlyBlocked: newly_blocked },
      ]);
    return {
      range: echoRange(range),
      allowlist: input.allowlist,
      totals,
      origins: origins.map((row) => ({
        origin: row.origin,
        requests: row.volume,
        newlyBlocked: row.newly_blocked,
        alreadyBlocked: row.already_blocked,
        currentlyAllowed: row.newly_blocked > 0,
        routes: routesOf.get(row.origin) ?? [],
      })),
      routes: routes.map((row) => ({
        service: row.service,
        route: row.route,
        newlyBlocked: row.newly_blocked,
      })),
    };
  });
}
