// GET /policy-changes: when a service's CORS policy fingerprint (`cors.policy.hash`) changed, and which
// origins that were allowed under the old policy are blocked under the new one.
//
// Two sources. `policy_changes` keeps each (service, hash) with its first and last sighting; ordering a
// service's hashes by first sighting gives the change to each new policy, over the whole rollup TTL, dated at
// its first request (during a rolling deploy both are live for a while; the old one staying live is no
// change). `policy_minutes` (migration 5) keeps the hashes of each minute, which also shows a *return* to an
// earlier policy (a rollback, a redeploy of the previous allowlist), which is no new first sighting: the
// policy that answered most of a service's requests in each minute with traffic, taken as runs, switches to
// one that had answered nothing for ABSENT_MINUTES and then holds for HELD_MINUTES minutes with traffic.
// Shorter runs are noise (a straggler under the old policy, two fleets answering by turns), and a policy
// that never stopped answering (two fleets side by side) takes over nothing. A switch to a policy whose
// first sighting came after the last held run began is that first sighting, already listed.
import type { BuiltQuery } from './sql-conditions.js';
import { SOURCE_TABLE, epochMillis, seconds } from './sql-conditions.js';
import { DAY_MS, MINUTE_MS } from './time-range.js';
import { TABLES } from '../store/schema-ddl.js';
import type { TimeRange } from './time-range.js';

export function policyHashesQuery(service: string | undefined): BuiltQuery {
  return {
    query: `SELECT service, policy_hash,
  ${epochMillis('min(first_seen)')} AS first_seen_ms,
  ${epochMillis('max(last_seen)')} AS last_seen_ms,
  sum(requests) AS requests
FROM ${TABLES.policyChanges}
${service === undefined ? '' : 'WHERE service = {service:String}'}
GROUP BY service, policy_hash
ORDER BY service, first_seen_ms, policy_hash`,
    params: service === undefined ? {} : { service },
    tables: [TABLES.policyChanges],
  };
}

export interface PolicyHashRow {
  readonly service: string;
  readonly policy_hash: string;
  readonly first_seen_ms: number;
  readonly last_seen_ms: number;
  readonly requests: number;
}

export interface PolicyChangeAt {
  readonly service: string;
  /** First request under the new policy, epoch milliseconds. */
  readonly atMs: number;
  readonly before: string;
  readonly after: string;
}

/** Minutes with traffic a policy must answer most requests in, in a row, to count as the service's policy. */
export const HELD_MINUTES = 3;
/** Minutes a policy must have answered no request at all before its return counts as a change. */
export const ABSENT_MINUTES = 15;
/** How far before the range the policy held before a switch is looked for. */
const RUN_LOOKBACK_MS = DAY_MS;
/**
 * How far past the range runs are read: a run that starts near the range's end is judged by whether it held,
 * which only the minutes after it tell (a rollback in a past range's last minutes was missing from the answer
 * unless the range also held three minutes of traffic after it). Runs starting past the range are not listed.
 */
const RUN_LOOKAHEAD_MS = 60 * MINUTE_MS;

/**
 * Each service's runs of minutes with the same busiest policy, from RUN_LOOKBACK_MS before the range to its
 * end: where each starts, and how many minutes with traffic it lasts (`ends_at`: the position of the next
 * run's first minute, 0 for the last run, which lasts to `minutes`).
 */
export function policyRunsQuery(range: TimeRange, service: string | undefined): BuiltQuery {
  const serviceCondition = service === undefined ? '' : 'AND service = {service:String}';
  return {
    query: `SELECT service, policy_hash, start_ms, absent_ms, position, minutes,
  leadInFrame(position, 1, 0) OVER (
    PARTITION BY service ORDER BY position ROWS BETWEEN CURRENT ROW AND 1 FOLLOWING
  ) AS ends_at
FROM (
  SELECT service, policy_hash, toFloat64(toUnixTimestamp(minute)) * 1000 AS start_ms,
    toFloat64(dateDiff('second', previous_sighting, minute)) * 1000 AS absent_ms, position, minutes,
    lagInFrame(policy_hash, 1, '') OVER (
      PARTITION BY service ORDER BY minute ROWS BETWEEN 1 PRECEDING AND CURRENT ROW
    ) AS previous
  FROM (
    SELECT service, minute, policy_hash, previous_sighting,
      toUInt32(row_number() OVER (PARTITION BY service ORDER BY minute)) AS position,
      toUInt32(count() OVER (PARTITION BY service)) AS minutes
    FROM (
      SELECT service, minute, argMax(policy_hash, requests) AS policy_hash,
        argMax(previous_sighting, requests) AS previous_sighting
      FROM (
        SELECT service, minute, policy_hash, requests,
          lagInFrame(minute, 1, toDateTime(0, 'UTC')) OVER (
            PARTITION BY service, policy_hash ORDER BY minute ROWS BETWEEN 1 PRECEDING AND CURRENT ROW
          ) AS previous_sighting
        FROM (
          SELECT service, minute, policy_hash, sum(requests) AS requests
          FROM ${TABLES.policyMinutes}
          WHERE minute >= {scan_from:DateTime('UTC')} AND minute < {to:DateTime('UTC')} ${serviceCondition}
          GROUP BY service, minute, policy_hash
        )
      )
      GROUP BY service, minute
    )
  )
)
WHERE policy_hash != previous
ORDER BY service, position`,
    params: {
      scan_from: seconds(Math.max(range.fromMs - RUN_LOOKBACK_MS, 0)),
      to: seconds(range.toMs + RUN_LOOKAHEAD_MS),
      ...(service === undefined ? {} : { service }),
    },
    tables: [TABLES.policyMinutes],
  };
}

export interface PolicyRunRow {
  readonly service: string;
  readonly policy_hash: string;
  readonly start_ms: number;
  /** How long its policy had answered no request before the run, ms (since the scan began: very long). */
  readonly absent_ms: number;
  /** The run's first minute among the service's minutes with traffic, from 1. */
  readonly position: number;
  readonly minutes: number;
  readonly ends_at: number;
}

/**
 * Every change in the range: first sightings (policyChangesIn on `hashes`) and switches between held runs
 * (see the top), one list ordered by service and time.
 */
export function mergePolicyChanges(
  hashes: readonly PolicyHashRow[],
  runs: readonly PolicyRunRow[],
  range: TimeRange,
): PolicyChangeAt[] {
  const changes = policyChangesIn(hashes, range);
  const firstSeen = new Map(
    hashes.map((row) => [`${row.service}\u0000${row.policy_hash}`, row.first_seen_ms]),
  );
  let service: string | undefined;
  let held: PolicyRunRow | undefined;
  for (const run of runs) {
    if (run.service !== service) {
      service = run.service;
      held = undefined;
    }
    const length = (run.ends_at === 0 ? run.minutes + 1 : run.ends_at) - run.position;
    if (length < HELD_MINUTES) continue;
    const before = held;
    held = run;
    if (before === undefined || before.policy_hash === run.policy_hash) continue;
    // A policy that kept answering some requests all along (two fleets side by side) took over no policy.
    if (run.absent_ms < ABSENT_MINUTES * MINUTE_MS) continue;
    if (run.start_ms < range.fromMs || run.start_ms >= range.toMs) continue;
    const first = firstSeen.get(`${run.service}\u0000${run.policy_hash}`);
    // Its first sighting, since the policy before took over: the change listed already, at its first request.
    // That change names the policy first seen before it; the one it replaced is the held run's (after a
    // rollback the two differ: c1, c2, back to c1, then c3 replaced c1, not c2).
    if (first !== undefined && first >= before.start_ms && first < run.start_ms + MINUTE_MS) {
      const index = changes.findIndex(
        (change) =>
          change.service === run.service && change.after === run.policy_hash && change.atMs === first,
      );
      const listed = changes[index];
      if (listed !== undefined) changes[index] = { ...listed, before: before.policy_hash };
      continue;
    }
    changes.push({
      service: run.service,
      atMs: run.start_ms,
      before: before.policy_hash,
      after: run.policy_hash,
    });
  }
  return changes.sort((a, b) => a.service.localeCompare(b.service) || a.atMs - b.atMs);
}

/** Consecutive hashes of each service (rows ordered by service, first sighting), changed within the range. */
export function policyChangesIn(rows: readonly PolicyHashRow[], range: TimeRange): PolicyChangeAt[] {
  const changes: PolicyChangeAt[] = [];
  for (let i = 1; i < rows.length; i += 1) {
    const previous = rows[i - 1];
    const current = rows[i];
    if (previous === undefined || current === undefined || previous.service !== current.service) continue;
    if (current.first_seen_ms < range.fromMs || current.first_seen_ms >= range.toMs) continue;
    changes.push({
      service: current.service,
      atMs: current.first_seen_ms,
      before: previous.policy_hash,
      after: current.policy_hash,
    });
  }
  return changes;
}

/**
 * Origins with requests allowed under `before` and blocked under `after` (weights, raw rows). Allowed
 * includes blocked_if_credentialed (allowed for callers without credentials). Rows are read from a window
 * as long as the range before the change up to the end of the range; raw rows expire after the raw TTL.
 */
export function originsLostQuery(change: PolicyChangeAt, range: TimeRange, limit: number): BuiltQuery {
  const length = range.toMs - range.fromMs;
  return {
    query: `SELECT origin,
  sumIf(sample_weight, policy_hash = {before:String} AND outcome != 'blocked' AND timestamp < fromUnixTimestamp64Milli({at_ms:Int64}, 'UTC')) AS allowed_before,
  sumIf(sample_weight, policy_hash = {after:String} AND outcome = 'blocked' AND timestamp >= fromUnixTimestamp64Milli({at_ms:Int64}, 'UTC')) AS blocked_after
FROM ${SOURCE_TABLE.events}
WHERE service = {service:String}
  AND timestamp >= {window_from:DateTime('UTC')} AND timestamp < {window_to:DateTime('UTC')}
  AND policy_hash IN ({before:String}, {after:String}) AND sample_weight > 0
GROUP BY origin
HAVING allowed_before > 0 AND blocked_after > 0
ORDER BY blocked_after DESC, origin
LIMIT {limit:UInt32}`,
    params: {
      service: change.service,
      before: change.before,
      after: change.after,
      // Each side of the change only: once a policy returns (a rollback), its hash also labels traffic on the
      // other side, which counting by hash alone put into both sums.
      at_ms: change.atMs,
      window_from: seconds(Math.max(change.atMs - length, 0)),
      window_to: seconds(range.toMs),
      limit,
    },
    tables: [SOURCE_TABLE.events],
  };
}

export interface OriginLostRow {
  readonly origin: string;
  readonly allowed_before: number;
  readonly blocked_after: number;
}

export interface PolicyChange {
  readonly service: string;
  /** ISO-8601: the first request seen under the new policy. */
  readonly at: string;
  readonly before: string;
  readonly after: string;
  /** Origins allowed before the change and blocked after it, biggest blocked volume first. */
  readonly originsBlockedAfter: readonly {
    readonly origin: string;
    readonly allowedBefore: number;
    readonly blockedAfter: number;
  }[];
}

export function shapePolicyChange(change: PolicyChangeAt, origins: readonly OriginLostRow[]): PolicyChange {
  return {
    service: change.service,
    at: new Date(change.atMs).toISOString(),
    before: change.before,
    after: change.after,
    originsBlockedAfter: origins.map((row) => ({
      origin: row.origin,
      allowedBefore: row.allowed_before,
      blockedAfter: row.blocked_after,
    })),
  };
}
