// `corsight schema`: the DDL the collector's migrations run, as a script, for operators who apply DDL
// themselves (a ClickHouse cluster where the collector's user may not create tables, a change review). The
// statements come from the migrations themselves (MIGRATIONS → schema-ddl.ts), never from a copy, so the
// script is what `corsight start` would run on an empty database with the same options.
//
// The script ends by recording every version in `schema_migrations`: a collector started afterwards finds
// the schema current and runs no DDL but its TTL check (which alters nothing when the TTLs match).
import { MIGRATIONS, type Migration } from '../store/migrations.js';
import {
  DEFAULT_SCHEMA_OPTIONS,
  TABLES,
  migrationsTableDdl,
  type SchemaOptions,
} from '../store/schema-ddl.js';
import { SqlLiteralError, quoteIdentifier } from '../store/sql-literal.js';

/** A `corsight schema` option is malformed; the message names it and the expected form. */
export class SchemaUsageError extends Error {
  override readonly name = 'SchemaUsageError';
}

/** The options as commander hands them over: strings, unvalidated. */
export interface RawSchemaOptions {
  readonly cluster?: string | undefined;
  readonly rawTtlDays?: string | undefined;
  readonly rollupTtlDays?: string | undefined;
}

/** One statement of the script and, before it, a comment saying why it is there. */
export interface SchemaScriptStatement {
  readonly comment: string | undefined;
  readonly sql: string;
}

// The collector's own bound for CORSIGHT_RAW_TTL_DAYS and CORSIGHT_ROLLUP_TTL_DAYS (collector-config.ts).
const MAX_TTL_DAYS = 3650;

function days(option: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d{1,4}$/.test(value) || number < 1 || number > MAX_TTL_DAYS) {
    throw new SchemaUsageError(`${option} must be a whole number of days 1–${MAX_TTL_DAYS}, got "${value}"`);
  }
  return number;
}

/** Validates the options once; the defaults are the collector's (CORSIGHT_RAW_TTL_DAYS, …). */
export function parseSchemaOptions(raw: RawSchemaOptions): SchemaOptions {
  if (raw.cluster !== undefined) {
    try {
      quoteIdentifier(raw.cluster, '--cluster');
    } catch (error) {
      if (error instanceof SqlLiteralError) throw new SchemaUsageError(error.message);
      throw error;
    }
  }
  return {
    cluster: raw.cluster,
    rawTtlDays: days('--raw-ttl-days', raw.rawTtlDays, DEFAULT_SCHEMA_OPTIONS.rawTtlDays),
    rollupTtlDays: days('--rollup-ttl-days', raw.rollupTtlDays, DEFAULT_SCHEMA_OPTIONS.rollupTtlDays),
  };
}

/** A ClickHouse string literal (a migration's name in the version log). */
function stringLiteral(value: string): string {
  return "'" + value.replaceAll('\\', '\\\\').replaceAll("'", "\\'") + "'";
}

/**
 * Every statement `migrate()` runs on an empty database, in its order: the version log, each migration's
 * steps (a guarded step's statements too: on an empty database its view is missing, so they all run), and
 * the rows recording each version.
 */
export function schemaStatements(
  options: SchemaOptions,
  migrations: readonly Migration[] = MIGRATIONS,
): readonly SchemaScriptStatement[] {
  const statements: SchemaScriptStatement[] = migrationsTableDdl(options).map((sql, index) => ({
    comment: index === 0 ? 'The migration log' : undefined,
    sql,
  }));
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  for (const migration of ordered) {
    let heading: string | undefined = `Migration ${migration.version}: ${migration.name}`;
    for (const step of migration.statements(options)) {
      const guarded = typeof step !== 'string';
      const sqls = guarded ? step.statements : [step];
      sqls.forEach((sql, index) => {
        const guard =
          guarded && index === 0
            ? `Backfill, then the view that keeps it current (the collector runs these only while ${step.unlessExists} is missing)`
            : undefined;
        const comment = [heading, guard].filter((part) => part !== undefined).join('\n');
        statements.push({ comment: comment === '' ? undefined : comment, sql });
        heading = undefined;
      });
    }
  }
  ordered.forEach((migration, index) => {
    statements.push({
      comment:
        index === 0 ? 'Record the versions: a collector started on this schema migrates nothing' : undefined,
      sql: `INSERT INTO ${TABLES.migrations} (version, name) VALUES (${String(migration.version)}, ${stringLiteral(migration.name)})`,
    });
  });
  return statements;
}

/** The `corsight schema` command line that prints the script for `options`. */
export function schemaCommandLine(options: SchemaOptions): string {
  const cluster = options.cluster === undefined ? '' : ` --cluster ${options.cluster}`;
  return `corsight schema${cluster} --raw-ttl-days ${String(options.rawTtlDays)} --rollup-ttl-days ${String(options.rollupTtlDays)}`;
}

function sqlComment(text: string): string {
  return text
    .split('\n')
    .map((line) => `-- ${line}`)
    .join('\n');
}

/** The script as `clickhouse-client --multiquery` reads it: statements ended by `;`, comments before them. */
export function renderSchemaScript(
  options: SchemaOptions,
  migrations: readonly Migration[] = MIGRATIONS,
): string {
  const cluster = options.cluster;
  const lines = [
    `Generated by \`${schemaCommandLine(options)}\`; do not edit.`,
    ...(cluster === undefined
      ? ["Corsight's ClickHouse schema for one ClickHouse server (no cluster)."]
      : [
          `Corsight's ClickHouse schema ON CLUSTER ${cluster}: Replicated tables under <table>_local (their`,
          'replication paths use the {shard} and {replica} macros of each server) and a Distributed table',
          'under each plain name, the one every query reads.',
        ]),
    `Raw events are kept ${String(options.rawTtlDays)} days, rollups ${String(options.rollupTtlDays)} days.`,
    ...(cluster === undefined
      ? []
      : [`Create the database on every server first: CREATE DATABASE <db> ON CLUSTER ${cluster}.`]),
    'Run it once, on an empty database: clickhouse-client --database <db> --multiquery < this file.',
    `The collectors then need CLICKHOUSE_URL, CLICKHOUSE_DATABASE${cluster === undefined ? '' : ', CLICKHOUSE_CLUSTER'} and the same`,
    'CORSIGHT_RAW_TTL_DAYS and CORSIGHT_ROLLUP_TTL_DAYS. A database a collector has migrated is current.',
  ];
  const header = sqlComment(lines.join('\n'));
  const body = schemaStatements(options, migrations).map(({ comment, sql }) =>
    comment === undefined ? `${sql};` : `${sqlComment(comment)}\n${sql};`,
  );
  return `${header}\n\n${body.join('\n\n')}\n`;
}
