// The SQL that fills a rule's evaluation input (alert-input.ts) and a backtest's minutes from the per-minute
// rollups. Pure: statements and bound parameters only. Values travel as `{name:Type}` parameters, filter
// globs as LIKE patterns (globToSqlLike) in parameters; the only identifiers spliced in are the rule's
// `groupBy` fields, which the rule parser restricts to service, route and origin.
//
// Counting (DESIGN.md §3): `blocked` is outcome = 'blocked' only; everything else (allowed and
// blocked_if_credentialed) counts as allowed. Exemplar rows (weight 0) never reach the rollups.
import { TupleParam } from '@clickhouse/client';
import { TABLES } from '../store/schema-ddl.js';
import type { GroupKey } from './alert-input.js';
import type { AlertRule, GroupField, RuleFilter } from './alert-rule.js';
import { GROUP_FIELDS } from './alert-rule.js';
import { globToSqlLike } from './glob.js';

export interface AlertQuery {
  readonly query: string;
  readonly params: Readonly<Record<string, unknown>>;
}

/** ClickHouse DateTime parameters take epoch seconds. */
function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** The rule's grouping columns, checked against the fixed list (they are spliced as identifiers). */
function groupColumns(groupBy: readonly GroupField[]): readonly GroupField[] {
  return groupBy.map((field) => {
    if (!GROUP_FIELDS.includes(field)) throw new Error(`not a group field: ${JSON.stringify(field)}`);
    return field;
  });
}

function filterConditions(filter: RuleFilter, params: Record<string, unknown>): string {
  let conditions = '';
  for (const field of GROUP_FIELDS) {
    const pattern = filter[field];
    if (pattern === undefined) continue;
    params[`filter_${field}`] = globToSqlLike(pattern);
    conditions += ` AND ${field} LIKE {filter_${field}:String}`;
  }
  return conditions;
}

/**
 * Restricts a query to some groups: `(service, origin) IN [...]` with the keys as one Array(Tuple)
 * parameter. Empty `groupBy` has one group and needs no restriction.
 */
function candidateCondition(
  columns: readonly GroupField[],
  keys: readonly GroupKey[],
  params: Record<string, unknown>,
  name = 'candidates',
): string {
  if (columns.length === 0) return '';
  if (columns.length === 1) {
    const [field] = columns as [GroupField];
    params[name] = keys.map((key) => key[field] ?? '');
    return ` AND ${field} IN {${name}:Array(String)}`;
  }
  params[name] = keys.map((key) => new TupleParam(columns.map((field) => key[field] ?? '')));
  return ` AND (${columns.join(', ')}) IN {${name}:Array(Tuple(${columns.map(() => 'String').join(', ')}))}`;
}

function selectColumns(columns: readonly GroupField[]): string {
  return columns.length === 0 ? '' : `${columns.join(', ')}, `;
}

function groupByClause(columns: readonly GroupField[], extra: readonly string[] = []): string {
  const all = [...columns, ...extra];
  return all.length === 0 ? '' : `GROUP BY ${all.join(', ')}`;
}

/** A row's key, restricted to the grouping columns. */
export function keyOfRow(row: Readonly<Record<string, unknown>>, groupBy: readonly GroupField[]): GroupKey {
  const key: { service?: string; route?: string; origin?: string } = {};
  for (const field of groupBy) {
    const value = row[field];
    key[field] = typeof value === 'string' ? value : '';
  }
  return key;
}

export interface WindowRow {
  readonly service?: string;
  readonly route?: string;
  readonly origin?: string;
  readonly blocked: number;
  readonly allowed: number;
  readonly first_blocked_s: number;
}

/**
 * Blocked and allowed per group in `[now − window, now)`, for groups with blocked traffic, and those of
 * `instances` (the rule's alert instances) with allowed traffic only.
 */
export function windowQuery(rule: AlertRule, nowMs: number, instances: readonly GroupKey[] = []): AlertQuery {
  const columns = groupColumns(rule.groupBy);
  const params: Record<string, unknown> = {
    window_from: seconds(nowMs - rule.windowMs),
    window_to: seconds(nowMs),
  };
  const filters = filterConditions(rule.filter, params);
  const held =
    instances.length === 0
      ? ''
      : ` OR (allowed > 0${candidateCondition(columns, instances, params, 'instances')})`;
  return {
    query: `SELECT ${selectColumns(columns)}sumIf(requests, outcome = 'blocked') AS blocked,
  sumIf(requests, outcome != 'blocked') AS allowed,
  toUnixTimestamp(minIf(minute, outcome = 'blocked' AND requests > 0)) AS first_blocked_s
FROM ${TABLES.rollup}
WHERE minute >= {window_from:DateTime('UTC')} AND minute < {window_to:DateTime('UTC')}${filters}
${groupByClause(columns)}
HAVING blocked > 0${held}`,
    params,
  };
}

export interface ReasonRow {
  readonly service?: string;
  readonly route?: string;
  readonly origin?: string;
  readonly code: string;
  readonly requests: number;
}

/** The top blocking reason codes per group in the window, for `keys`. */
export function reasonsQuery(
  rule: AlertRule,
  nowMs: number,
  keys: readonly GroupKey[],
  limit: number,
): AlertQuery {
  const columns = groupColumns(rule.groupBy);
  const params: Record<string, unknown> = {
    window_from: seconds(nowMs - rule.windowMs),
    window_to: seconds(nowMs),
    limit,
  };
  const filters = filterConditions(rule.filter, params);
  const candidates = candidateCondition(columns, keys, params);
  return {
    query: `SELECT ${selectColumns(columns)}code, sum(requests) AS requests
FROM ${TABLES.findings}
WHERE minute >= {window_from:DateTime('UTC')} AND minute < {window_to:DateTime('UTC')}
  AND finding = 'reason' AND outcome = 'blocked'${filters}${candidates}
${groupByClause(columns, ['code'])}
ORDER BY requests DESC, code
LIMIT {limit:UInt32}${columns.length === 0 ? '' : ` BY ${columns.join(', ')}`}`,
    params,
  };
}

export interface BandMinuteRow {
  readonly service?: string;
  readonly route?: string;
  readonly origin?: string;
  readonly minute_s: number;
  readonly blocked: number;
}

/**
 * The time range and time-of-day band of the seasonal samples ending at `sampleEndsMs` (windows of
 * `windowMs`, evaluations up to `aheadMs` later): sets `history_from`/`history_to` (and the band's
 * parameters) in `params` and returns the band's condition on `minute` ('' when the band is the whole day).
 */
function seasonalHistoryCondition(
  sampleEndsMs: readonly number[],
  windowMs: number,
  aheadMs: number,
  params: Record<string, unknown>,
): string {
  const ends = sampleEndsMs.map(seconds);
  const windowS = seconds(windowMs);
  const aheadS = seconds(aheadMs);
  params.history_from = Math.min(...ends) - windowS;
  params.history_to = Math.max(...ends) + aheadS;
  const band = timeOfDayBand(ends, windowS, aheadS);
  if (band === undefined) return '';
  params.band_from = band.fromS;
  params.band_length = band.lengthS;
  return `
  AND ((toInt64(toUInt32(minute)) - {band_from:Int64}) % 86400 + 86400) % 86400 < {band_length:UInt32}`;
}

/**
 * `rejected_spike`'s history: blocked per group and minute inside the time-of-day band that holds every
 * seasonal sample window of the evaluations at `[nowMs, nowMs + aheadMs]`, for `keys`. The caller sums the
 * sample windows in memory and keeps the minutes for the next evaluations (they lie days back and no longer
 * change), so a group's history is read about once an hour, not every minute. Minutes outside the band are
 * dropped on the minute column alone (a 7-day baseline of 5-minute windows reads ~2 hours of each day).
 */
export function seasonalMinutesQuery(
  rule: AlertRule,
  sampleEndsMs: readonly number[],
  aheadMs: number,
  keys: readonly GroupKey[],
): AlertQuery {
  const columns = groupColumns(rule.groupBy);
  const params: Record<string, unknown> = {};
  const bandCondition = seasonalHistoryCondition(sampleEndsMs, rule.windowMs, aheadMs, params);
  const filters = filterConditions(rule.filter, params);
  const candidates = candidateCondition(columns, keys, params);
  return {
    query: `SELECT ${selectColumns(columns)}toUnixTimestamp(minute) AS minute_s, sum(requests) AS blocked
FROM ${TABLES.rollup}
WHERE outcome = 'blocked'
  AND minute >= {history_from:DateTime('UTC')} AND minute < {history_to:DateTime('UTC')}${bandCondition}${filters}${candidates}
${groupByClause(columns, ['minute'])}`,
    params,
  };
}

const DAY_S = 86_400;

/**
 * Sample windows sit at the same time of day (± the weekly neighbours): every one lies in one band of the
 * day (widened by `aheadS` for later evaluations). Undefined when the band is the whole day.
 */
function timeOfDayBand(
  endsS: readonly number[],
  windowS: number,
  aheadS: number,
): { fromS: number; lengthS: number } | undefined {
  const [anchor] = endsS;
  if (anchor === undefined) return undefined;
  let low = 0;
  let high = 0;
  for (const end of endsS) {
    // Each end relative to the first, folded into (−12 h, 12 h].
    let relative = (((end - anchor) % DAY_S) + DAY_S) % DAY_S;
    if (relative > DAY_S / 2) relative -= DAY_S;
    low = Math.min(low, relative);
    high = Math.max(high, relative);
  }
  const lengthS = high - low + windowS + aheadS;
  return lengthS >= DAY_S ? undefined : { fromS: anchor + low - windowS, lengthS };
}

export interface PriorRow {
  readonly service?: string;
  readonly route?: string;
  readonly origin?: string;
  readonly blocked: number;
  readonly allowed: number;
}

/** Blocked and allowed per group in `[fromMs, toMs)` (the origin kinds' lookback before the window). */
export function priorTrafficQuery(
  rule: AlertRule,
  fromMs: number,
  toMs: number,
  keys: readonly GroupKey[],
): AlertQuery {
  const columns = groupColumns(rule.groupBy);
  const params: Record<string, unknown> = { prior_from: seconds(fromMs), prior_to: seconds(toMs) };
  const filters = filterConditions(rule.filter, params);
  const candidates = candidateCondition(columns, keys, params);
  return {
    query: `SELECT ${selectColumns(columns)}sumIf(requests, outcome = 'blocked') AS blocked,
  sumIf(requests, outcome != 'blocked') AS allowed
FROM ${TABLES.rollup}
WHERE minute >= {prior_from:DateTime('UTC')} AND minute < {prior_to:DateTime('UTC')}${filters}${candidates}
${groupByClause(columns)}`,
    params,
  };
}

/**
 * Origins (per service when grouped by service) first seen at or after `sinceMs`, among `keys`: never seen
 * before, allowed or blocked, so no lookback needs reading for them. Needs `origin` in `groupBy` and no
 * route in the rule (origin sightings are kept per service and origin only).
 */
export function originsFirstSeenSinceQuery(
  rule: AlertRule,
  sinceMs: number,
  keys: readonly GroupKey[],
): AlertQuery {
  const columns = groupColumns(rule.groupBy.filter((field) => field !== 'route'));
  const params: Record<string, unknown> = { since: seconds(sinceMs) };
  let filters = '';
  for (const field of ['service', 'origin'] as const) {
    const pattern = rule.filter[field];
    if (pattern === undefined) continue;
    params[`filter_${field}`] = globToSqlLike(pattern);
    filters += ` AND ${field} LIKE {filter_${field}:String}`;
  }
  const candidates = candidateCondition(columns, keys, params);
  return {
    query: `SELECT ${selectColumns(columns)}min(first_seen) AS first
FROM ${TABLES.originsSeen}
WHERE 1${filters}${candidates}
${groupByClause(columns)}
HAVING first >= toDateTime64({since:UInt32}, 3, 'UTC')`,
    params,
  };
}

/** A range of stored time, `[fromMs, toMs)`, read from a daily rollup (whole UTC days) or per minute. */
export interface StoredSpan {
  readonly fromMs: number;
  readonly toMs: number;
  readonly grain: 'day' | 'minute';
}

const DAY_MS = DAY_S * 1000;

/**
 * `[fromMs, toMs)` as the whole UTC days inside it (from the daily route × origin rollup, ~30× fewer rows than
 * the per-minute one) and the minutes at its edges. `fromMs` at or before `historyFromMs` (nothing stored
 * earlier) takes its whole first day from the daily rollup.
 */
export function storedSpans(fromMs: number, toMs: number, historyFromMs: number): StoredSpan[] {
  if (toMs <= fromMs) return [];
  const firstDay =
    fromMs <= historyFromMs ? Math.floor(fromMs / DAY_MS) * DAY_MS : Math.ceil(fromMs / DAY_MS) * DAY_MS;
  const lastDay = Math.floor(toMs / DAY_MS) * DAY_MS;
  if (firstDay >= lastDay) return [{ fromMs, toMs, grain: 'minute' }];
  const spans: StoredSpan[] = [];
  if (fromMs < firstDay) spans.push({ fromMs, toMs: firstDay, grain: 'minute' });
  spans.push({ fromMs: firstDay, toMs: lastDay, grain: 'day' });
  if (lastDay < toMs) spans.push({ fromMs: lastDay, toMs, grain: 'minute' });
  return spans;
}

/**
 * The origin kinds' lookbacks for one cycle, every rule at once: blocked and allowed per (service, route,
 * origin) of `origins`, one pair of columns per lookback (`blocked_0`, `allowed_0`, …) summing its spans.
 * JSONCompactEachRow: `[service, route, origin, blocked_0, allowed_0, blocked_1, allowed_1, …]`. Rules filter
 * and group the triples in memory.
 */
export function lookbackTotalsQuery(
  lookbacks: readonly (readonly StoredSpan[])[],
  origins: readonly string[],
): AlertQuery {
  const params: Record<string, unknown> = { origins };
  const ranges: Record<StoredSpan['grain'], string[]> = { day: [], minute: [] };
  const sums: string[] = [];
  lookbacks.forEach((spans, index) => {
    const inside = spans.map((span, part) => {
      const name = `l${String(index)}_${String(part)}`;
      params[`${name}_from`] = seconds(span.fromMs);
      params[`${name}_to`] = seconds(span.toMs);
      const range = (column: string): string =>
        `${column} >= {${name}_from:DateTime('UTC')} AND ${column} < {${name}_to:DateTime('UTC')}`;
      ranges[span.grain].push(range(span.grain));
      return `(daily = ${span.grain === 'day' ? 1 : 0} AND ${range('t')})`;
    });
    const within = inside.length === 0 ? '0' : inside.join(' OR ');
    sums.push(
      `sumIf(requests, outcome = 'blocked' AND (${within})) AS blocked_${String(index)}`,
      `sumIf(requests, outcome != 'blocked' AND (${within})) AS allowed_${String(index)}`,
    );
  });
  const arms = (['day', 'minute'] as const)
    .filter((grain) => ranges[grain].length > 0)
    .map((grain) => {
      const table = grain === 'day' ? TABLES.routeOrigins1d : TABLES.rollup;
      return `SELECT service, route, origin, outcome, requests, ${grain} AS t, ${grain === 'day' ? 1 : 0} AS daily
  FROM ${table}
  WHERE origin IN {origins:Array(String)} AND (${ranges[grain].join(' OR ')})`;
    });
  if (arms.length === 0) throw new Error('lookbackTotalsQuery needs at least one span');
  return {
    query: `SELECT service, route, origin, ${sums.join(', ')}
FROM (
  ${arms.join('\n  UNION ALL\n  ')}
)
GROUP BY service, route, origin`,
    params,
  };
}

/**
 * `rejected_spike`'s history for every rule of a cycle: blocked per minute inside the time-of-day band of
 * `sampleEndsMs` (widened by the longest window and `aheadMs`), grouped by `columns`, for the groups of
 * `candidates` (each a set of keys over some of `columns`; an empty set of fields reads every group).
 * JSONCompactEachRow: `[minute_s, ...columns, blocked]`.
 */
export function seasonalBandQuery(
  columns: readonly GroupField[],
  sampleEndsMs: readonly number[],
  windowMs: number,
  aheadMs: number,
  candidates: readonly { readonly fields: readonly GroupField[]; readonly keys: readonly GroupKey[] }[],
): AlertQuery {
  const checked = groupColumns(columns);
  const params: Record<string, unknown> = {};
  const bandCondition = seasonalHistoryCondition(sampleEndsMs, windowMs, aheadMs, params);
  const restrictions: string[] = [];
  candidates.forEach(({ fields, keys }, index) => {
    const own: Record<string, unknown> = {};
    const condition = candidateCondition(groupColumns(fields), keys, own).replace(/^ AND /, '');
    if (condition === '') {
      restrictions.push('1');
      return;
    }
    params[`candidates_${String(index)}`] = own.candidates;
    restrictions.push(condition.replace('{candidates:', `{candidates_${String(index)}:`));
  });
  const restriction =
    restrictions.length === 0 || restrictions.includes('1') ? '' : `\n  AND (${restrictions.join(' OR ')})`;
  return {
    query: `SELECT toUnixTimestamp(minute) AS minute_s, ${selectColumns(checked)}sum(requests) AS blocked
FROM ${TABLES.rollup}
WHERE outcome = 'blocked'
  AND minute >= {history_from:DateTime('UTC')} AND minute < {history_to:DateTime('UTC')}${bandCondition}${restriction}
${groupByClause(checked, ['minute'])}`,
    params,
  };
}

/** The first stored minute (baselines and lookbacks never reach before it); 0 when nothing is stored. */
export const FIRST_MINUTE_SQL = `SELECT toUnixTimestamp(min(minute)) AS first_s, count() > 0 AS any FROM ${TABLES.rollup}`;

/**
 * The backtest's minutes: blocked and allowed per minute and group in `[fromMs, toMs)`, grouped by the rule's
 * `groupBy` in SQL, filtered by its globs, one row per group with its minutes as arrays (a group's name is sent
 * once, not once per minute: a 7-day backtest of a per-origin rule moves ~0.6M minutes). JSONCompactEachRow:
 * `[...group values, minutes_s[], blocked[], allowed[]]`, by minute. A
 * `rejected_spike` reads blocked minutes only (allowed traffic does not enter its condition; `allowed[]` is
 * then empty).
 */
export function backtestMinutesQuery(rule: AlertRule, fromMs: number, toMs: number): AlertQuery {
  const columns = groupColumns(rule.groupBy);
  const params: Record<string, unknown> = { from: seconds(fromMs), to: seconds(toMs) };
  const filters = filterConditions(rule.filter, params);
  const spike = rule.kind === 'rejected_spike';
  return {
    query: `SELECT ${selectColumns(columns)}arrayMap(p -> p.1, arraySort(groupArray((minute_s, blocked, ${
      spike ? '0' : 'allowed'
    }))) AS points) AS minute_list,
  arrayMap(p -> p.2, points) AS blocked_list, ${spike ? '[]' : 'arrayMap(p -> p.3, points)'} AS allowed_list
FROM (
  SELECT toUnixTimestamp(minute) AS minute_s, ${selectColumns(columns)}${
    spike
      ? 'sum(requests) AS blocked'
      : "sumIf(requests, outcome = 'blocked') AS blocked, sumIf(requests, outcome != 'blocked') AS allowed"
  }
  FROM ${TABLES.rollup}
  WHERE minute >= {from:DateTime('UTC')} AND minute < {to:DateTime('UTC')}${filters}${
    spike ? " AND outcome = 'blocked'" : ''
  }
  ${groupByClause(columns, ['minute'])}
)
${groupByClause(columns)}`,
    params,
  };
}

/**
 * Every group's blocked and allowed per minute in `[fromMs, toMs)`, read once per evaluation cycle and
 * shared by every rule whose window it covers (rules filter and group it in memory: one query a minute
 * instead of one per rule). JSONCompactEachRow: `[minute_s, service, route, origin, blocked, allowed]`.
 */
export function recentMinutesQuery(fromMs: number, toMs: number): AlertQuery {
  return {
    query: `SELECT toUnixTimestamp(minute) AS minute_s, service, route, origin,
  sumIf(requests, outcome = 'blocked') AS blocked, sumIf(requests, outcome != 'blocked') AS allowed
FROM ${TABLES.rollup}
WHERE minute >= {from:DateTime('UTC')} AND minute < {to:DateTime('UTC')}
GROUP BY minute, service, route, origin`,
    params: { from: seconds(fromMs), to: seconds(toMs) },
  };
}

/** Blocking reason codes per minute and group in `[fromMs, toMs)`: `[minute_s, service, route, origin, code, requests]`. */
export function recentReasonsQuery(fromMs: number, toMs: number): AlertQuery {
  return {
    query: `SELECT toUnixTimestamp(minute) AS minute_s, service, route, origin, code, sum(requests) AS requests
FROM ${TABLES.findings}
WHERE minute >= {from:DateTime('UTC')} AND minute < {to:DateTime('UTC')}
  AND finding = 'reason' AND outcome = 'blocked'
GROUP BY minute, service, route, origin, code`,
    params: { from: seconds(fromMs), to: seconds(toMs) },
  };
}
