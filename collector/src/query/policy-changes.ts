// GET /policy-changes: when a service's CORS policy fingerprint (`cors.policy.hash`) changed, and which
// origins that were allowed under the old policy are blocked under the new one.
//
// `policy_changes` keeps each (service, hash) with its first and last sighting; ordering a service's hashes
// by first sighting gives its changes. A return to an earlier hash is not a new first sighting, so a
// rollback shows as the earlier change only; during a rolling deploy both hashes are live for a while and
// the change is dated at the new hash's first request.
import type { BuiltQuery } from './sql-conditions.js';
import { SOURCE_TABLE, epochMillis, seconds } from './sql-conditions.js';
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
