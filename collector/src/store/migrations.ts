// Versioned, idempotent migrations, run at start-up. Each migration is a list of steps that are safe to run
// again: a statement such as CREATE … IF NOT EXISTS, or statements that run only while what the last of them
// creates is missing (a backfill, then the view that keeps the table current). A migration is recorded in
// `schema_migrations` once all of its steps succeeded: a process that dies half-way re-runs it on its next
// start, and a second process started after the first finds the versions recorded and does nothing. Two
// processes migrating at the same instant both run the same steps and may both record the version; the log
// is read with DISTINCT.
//
// A new migration appends an entry to MIGRATIONS with the next version and a function of the options that
// returns its steps (plain statements are enough for new tables).
import type { ClickHouseClient } from '@clickhouse/client';
import { alertSchemaDdl } from '../alerts/alert-schema.js';
import {
  DEFAULT_SCHEMA_OPTIONS,
  TABLES,
  initialSchemaDdl,
  migrationsTableDdl,
  narrowRollupsDdl,
  policyMinutesDdl,
  preflightWeeklyDdl,
  retentionRules,
  weeklyRollupsDdl,
  type SchemaOptions,
  type SchemaStep,
} from './schema-ddl.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  statements(options: SchemaOptions): readonly SchemaStep[];
}

/** Append only: a released migration never changes; a new version changes what came before. */
export const MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'cors_events, rollups, origins seen, policy changes', statements: initialSchemaDdl },
  {
    version: 2,
    name: 'narrow rollups: totals, codes, routes, origins, route × origin and preflight-cache keys',
    statements: narrowRollupsDdl,
  },
  {
    version: 3,
    name: 'alerting: alert_rules (versioned), alert_events, alert_silences',
    statements: alertSchemaDdl,
  },
  {
    version: 4,
    name: 'weekly rollups: route × origin (per service and for all services), preflight-cache keys (all services)',
    statements: weeklyRollupsDdl,
  },
  {
    version: 5,
    name: 'policy_minutes: the policy fingerprints of each service per minute (returns to an earlier policy)',
    statements: policyMinutesDdl,
  },
  {
    version: 6,
    name: 'weekly rollup of the preflight-cache keys per service (cors_preflight_1w); the one of all services dropped',
    statements: preflightWeeklyDdl,
  },
];

export interface MigrationReport {
  /** Versions this call applied (empty when the schema was already current). */
  readonly applied: readonly number[];
  readonly current: number;
  /** Tables whose TTL was changed to the configured days. */
  readonly retention: readonly string[];
}

async function appliedVersions(client: ClickHouseClient): Promise<Set<number>> {
  const result = await client.query({
    query: `SELECT DISTINCT version FROM ${TABLES.migrations}`,
    format: 'JSONEachRow',
  });
  const rows = await result.json<{ version: number }>();
  return new Set(rows.map((row) => row.version));
}

async function exists(client: ClickHouseClient, name: string): Promise<boolean> {
  const result = await client.query({
    query: `SELECT count() AS n FROM system.tables WHERE database = currentDatabase() AND name = {name:String}`,
    query_params: { name },
    format: 'JSONEachRow',
  });
  const [row] = await result.json<{ n: string }>();
  return Number(row?.n ?? 0) > 0;
}

export async function migrate(
  client: ClickHouseClient,
  options: SchemaOptions = DEFAULT_SCHEMA_OPTIONS,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<MigrationReport> {
  for (const statement of migrationsTableDdl(options)) await client.command({ query: statement });
  const done = await appliedVersions(client);
  const applied: number[] = [];
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (done.has(migration.version)) continue;
    for (const step of migration.statements(options)) {
      if (typeof step !== 'string' && (await exists(client, step.unlessExists))) continue;
      for (const statement of typeof step === 'string' ? [step] : step.statements) {
        try {
          await client.command({ query: statement });
        } catch (error) {
          throw new Error(
            `schema migration ${migration.version} (${migration.name}) failed; the statement was:\n${statement}`,
            { cause: error },
          );
        }
      }
    }
    await client.command({
      query: `INSERT INTO ${TABLES.migrations} (version, name) VALUES ({version:UInt32}, {name:String})`,
      query_params: { version: migration.version, name: migration.name },
    });
    applied.push(migration.version);
  }
  const current = Math.max(0, ...migrations.map((migration) => migration.version));
  return { applied, current, retention: await applyRetention(client, options) };
}

/**
 * TTLs follow the configuration, not the version that created the table: a table whose TTL names other
 * days gets ALTER … MODIFY TTL. Existing parts are not rewritten (materialize_ttl_after_modify = 0); rows
 * past the new TTL go at the next merge, whole parts first (ttl_only_drop_parts).
 */
async function applyRetention(client: ClickHouseClient, options: SchemaOptions): Promise<readonly string[]> {
  const rules = retentionRules(options);
  const result = await client.query({
    query: `SELECT name, engine_full FROM system.tables
            WHERE database = currentDatabase() AND name IN {tables:Array(String)}`,
    query_params: { tables: rules.map((rule) => rule.table) },
    format: 'JSONEachRow',
  });
  const engines = new Map(
    (await result.json<{ name: string; engine_full: string }>()).map((t) => [t.name, t.engine_full]),
  );
  const changed: string[] = [];
  for (const rule of rules) {
    const engine = engines.get(rule.table);
    if (engine === undefined || engine.includes(`toIntervalDay(${rule.days})`)) continue;
    await client.command({ query: rule.alter, clickhouse_settings: { materialize_ttl_after_modify: 0 } });
    changed.push(rule.table);
  }
  return changed;
}
