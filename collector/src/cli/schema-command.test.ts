// `corsight schema` against real chDB: the single-server script builds exactly the schema `migrate()` builds
// (same tables, engines and CREATE statements) and leaves nothing for a collector to migrate; every statement
// of the cluster script parses (chDB has no cluster to run ON CLUSTER DDL on); the options are validated
// and the command line prints the script.
import { describe, expect, it } from 'vitest';
import { MIGRATIONS, migrate } from '../store/migrations.js';
import { DEFAULT_SCHEMA_OPTIONS, TABLES, VIEWS } from '../store/schema-ddl.js';
import { useTempChdb } from '../store/temp-chdb.fixture.js';
import { ALERT_TABLES } from '../alerts/alert-schema.js';
import { runCli } from './program.js';
import {
  SchemaUsageError,
  parseSchemaOptions,
  renderSchemaScript,
  schemaCommandLine,
  schemaStatements,
} from './schema-command.js';

const temp = useTempChdb('schema-command');
const chdb = temp.client;

interface TableRow {
  readonly name: string;
  readonly engine: string;
  readonly create_table_query: string;
}

async function tables(): Promise<TableRow[]> {
  const result = await chdb().query({
    query: `SELECT name, engine, create_table_query FROM system.tables
            WHERE database = currentDatabase() ORDER BY name`,
    format: 'JSONEachRow',
  });
  return result.json<TableRow>();
}

async function versions(): Promise<{ version: number; name: string }[]> {
  const result = await chdb().query({
    query: `SELECT version, name FROM ${TABLES.migrations} ORDER BY version`,
    format: 'JSONEachRow',
  });
  return result.json();
}

async function dropEverything(): Promise<void> {
  const all = await tables();
  const views = all.filter((table) => table.engine === 'MaterializedView');
  for (const table of [...views, ...all.filter((other) => !views.includes(other))]) {
    await chdb().command({ query: `DROP TABLE IF EXISTS ${table.name} SYNC` });
  }
}

async function run(args: readonly string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const status = await runCli(args, {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
  });
  return { status, stdout, stderr };
}

describe('parseSchemaOptions', () => {
  it("defaults to the collector's TTLs and one server", () => {
    expect(parseSchemaOptions({})).toEqual(DEFAULT_SCHEMA_OPTIONS);
  });

  it('takes a cluster name and TTLs in days', () => {
    expect(parseSchemaOptions({ cluster: 'corsight', rawTtlDays: '7', rollupTtlDays: '3650' })).toEqual({
      cluster: 'corsight',
      rawTtlDays: 7,
      rollupTtlDays: 3650,
    });
  });

  it.each([
    [{ cluster: '1corsight' }, '--cluster must be a plain identifier'],
    [{ cluster: 'a`; DROP TABLE x' }, '--cluster must be a plain identifier'],
    [{ rawTtlDays: '0' }, '--raw-ttl-days must be a whole number of days 1–3650, got "0"'],
    [{ rawTtlDays: '1.5' }, '--raw-ttl-days must be a whole number of days 1–3650, got "1.5"'],
    [{ rollupTtlDays: '3651' }, '--rollup-ttl-days must be a whole number of days 1–3650, got "3651"'],
    [{ rollupTtlDays: 'forever' }, '--rollup-ttl-days must be a whole number of days 1–3650'],
  ])('refuses %j', (raw, message) => {
    expect(() => parseSchemaOptions(raw)).toThrow(SchemaUsageError);
    expect(() => parseSchemaOptions(raw)).toThrow(message);
  });
});

describe('the single-server script', () => {
  const options = { ...DEFAULT_SCHEMA_OPTIONS, rawTtlDays: 9, rollupTtlDays: 90 };

  it('builds what migrate() builds, and a collector started on it migrates nothing', async () => {
    for (const { sql } of schemaStatements(options)) await chdb().command({ query: sql });
    const fromScript = await tables();
    const recorded = await versions();

    const report = await migrate(chdb(), options);
    expect(report.applied).toEqual([]);
    expect(report.retention).toEqual([]);

    await dropEverything();
    expect(await tables()).toEqual([]);
    await migrate(chdb(), options);
    expect(fromScript).toEqual(await tables());
    expect(recorded).toEqual(await versions());
    expect(recorded.map((row) => row.version)).toEqual(MIGRATIONS.map((migration) => migration.version));

    const names = fromScript.map((table) => table.name);
    for (const name of [...Object.values(TABLES), ...Object.values(VIEWS), ...Object.values(ALERT_TABLES)])
      expect(names).toContain(name);
    expect(fromScript.find((table) => table.name === TABLES.events)?.create_table_query).toContain(
      'toIntervalDay(9)',
    );
  });
});

describe('the cluster script', () => {
  const options = parseSchemaOptions({ cluster: 'corsight' });
  const statements = schemaStatements(options);

  it('puts every table ON CLUSTER, Replicated under <table>_local with a Distributed table over it', () => {
    const creates = statements.filter(({ sql }) => sql.startsWith('CREATE TABLE'));
    for (const name of [...Object.values(TABLES), ...Object.values(ALERT_TABLES)]) {
      const local = creates.find(({ sql }) => sql.startsWith(`CREATE TABLE IF NOT EXISTS ${name}_local `));
      expect(local?.sql, name).toMatch(/ON CLUSTER `corsight`[\s\S]*ENGINE = Replicated\w*MergeTree\(/);
      expect(local?.sql, name).toContain(
        `'/clickhouse/tables/{shard}/{database}/${name}_local', '{replica}'`,
      );
      const distributed = creates.find(({ sql }) => sql.startsWith(`CREATE TABLE IF NOT EXISTS ${name} `));
      expect(distributed?.sql, name).toContain(
        `ENGINE = Distributed(\`corsight\`, currentDatabase(), ${name}_local`,
      );
    }
    for (const { sql } of statements.filter(({ sql }) => /^(CREATE|TRUNCATE)/.test(sql)))
      expect(sql).toContain(' ON CLUSTER `corsight`');
  });

  it('parses, statement by statement', async () => {
    for (const { sql } of statements) {
      const result = await chdb().query({
        query: 'SELECT formatQuery({sql:String}) AS formatted',
        query_params: { sql },
        format: 'JSONEachRow',
      });
      const [row] = await result.json<{ formatted: string }>();
      expect(row?.formatted, sql).not.toBe('');
    }
  });
});

describe('corsight schema', () => {
  it('prints the script, headed by the command line that makes it', async () => {
    const { status, stdout, stderr } = await run(['schema', '--cluster', 'corsight', '--raw-ttl-days', '30']);
    expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
    const options = parseSchemaOptions({ cluster: 'corsight', rawTtlDays: '30' });
    expect(stdout).toBe(renderSchemaScript(options));
    expect(stdout.split('\n')[0]).toBe(`-- Generated by \`${schemaCommandLine(options)}\`; do not edit.`);
    for (const { sql } of schemaStatements(options)) expect(stdout).toContain(`${sql};\n`);
  });

  it('refuses a malformed option with status 2 and says what to pass', async () => {
    const { status, stdout, stderr } = await run(['schema', '--rollup-ttl-days', '0']);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(
      'corsight schema: --rollup-ttl-days must be a whole number of days 1–3650, got "0"',
    );
  });
});
