// GET /policy-changes: when a service's CORS policy fingerprint (`cors.policy.hash`) changed, and which
// origins that were allowed under the old policy are blocked under the new one.
//
// Two sources. `policy_changes` keeps each (service, hash) with its first and last sighting; ordering a
// service's hashes by first sighting gives its first changes to each policy, over the whole rollup TTL, to
// the millisecond. `policy_minutes` (migration 5) keeps the hashes of each minute, which also shows a
// *return* to an earlier policy (a rollback, a redeploy of the previous allowlist), which is no new first
// sighting: a hash that answers again after RETURN_AFTER_MINUTES without a request, while the service
// answered with another one (the policy of its last minute with traffic before: `before`). Both lists are
// merged, one change per service, policy and minute. During a rolling deploy both hashes are live for a
// while: the change is dated at the new hash's first request, and the old one staying live is no change.
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

/** Minutes without a request under a policy after which its next request counts as a return to it. */
export const RETURN_AFTER_MINUTES = 15;
/** How far before the range the policy a return replaced is looked for. */
const RETURN_LOOKBACK_MS = 7 * DAY_MS;

/**
 * Returns to a policy in the range (see the top): each minute a hash answers after RETURN_AFTER_MINUTES
 * without, with the dominant hash of the service's last minute with traffic before it, when that differs.
 */
export function policyReturnsQuery(range: TimeRange, service: string | undefined): BuiltQuery {
  const serviceCondition = service === undefined ? '' : 'AND service = {service:String}';
  const minutes = `SELECT service, minute, policy_hash, sum(requests) AS requests
  FROM ${TABLES.policyMinutes}
  WHERE minute >= {scan_from:DateTime('UTC')} AND minute < {to:DateTime('UTC')} ${serviceCondition}
  GROUP BY service, minute, policy_hash`;
  return {
    query: `SELECT returned.service AS service, returned.policy_hash AS after, last.policy_hash AS before,
  toFloat64(toUnixTimestamp(returned.minute)) * 1000 AS at_ms
FROM (
  SELECT service, minute, policy_hash,
    lagInFrame(minute, 1, toDateTime(0, 'UTC')) OVER (
      PARTITION BY service, policy_hash ORDER BY minute ROWS BETWEEN 1 PRECEDING AND CURRENT ROW
    ) AS previous
  FROM (${minutes})
) AS returned
ASOF JOIN (
  SELECT service, minute, argMax(policy_hash, requests) AS policy_hash
  FROM (${minutes})
  GROUP BY service, minute
) AS last ON returned.service = last.service AND returned.minute > last.minute
WHERE returned.minute >= {from:DateTime('UTC')}
  AND dateDiff('second', returned.previous, returned.minute) > {absence:UInt32}
  AND last.policy_hash != returned.policy_hash
ORDER BY service, at_ms`,
    params: {
      scan_from: seconds(Math.max(range.fromMs - RETURN_LOOKBACK_MS, 0)),
      from: seconds(range.fromMs),
      to: seconds(range.toMs),
      absence: RETURN_AFTER_MINUTES * 60,
      ...(service === undefined ? {} : { service }),
    },
    tables: [TABLES.policyMinutes],
  };
}

export interface PolicyReturnRow {
  readonly service: string;
  readonly after: string;
  readonly before: string;
  readonly at_ms: number;
}

/**
 * Every change in the range: first sightings (policyChangesIn) and returns, one per service, policy and
 * minute. A first sighting keeps its millisecond; the policy it replaced is the return's when both know
 * it (the hash of the minute before, where first-sighting order only knows the hash first seen before).
 */
export function mergePolicyChanges(
  firsts: readonly PolicyChangeAt[],
  returns: readonly PolicyReturnRow[],
): PolicyChangeAt[] {
  const key = (service: string, after: string, atMs: number) =>
    JSON.stringify([service, after, Math.floor(atMs / MINUTE_MS)]);
  const byKey = new Map(firsts.map((change) => [key(change.service, change.after, change.atMs), change]));
  for (const row of returns) {
    const id = key(row.service, row.after, row.at_ms);
    const first = byKey.get(id);
    byKey.set(id, {
      service: row.service,
      atMs: first?.atMs ?? row.at_ms,
      before: row.before,
      after: row.after,
    });
  }
  return [...byKey.values()].sort((a, b) => a.service.localeCompare(b.service) || a.atMs - b.atMs);
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
  sumIf(sample_weight, policy_hash = {before:String} AND outcome != 'blocked') AS allowed_before,
  sumIf(sample_weight, policy_hash = {after:String} AND outcome = 'blocked') AS blocked_after
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
