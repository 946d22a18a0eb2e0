// The DDL builder, statically: what one node gets, what a cluster gets, and that ClickHouse's own parser
// (formatQuery in chDB) accepts every statement of both, since no cluster runs here.
import { describe, expect, it } from 'vitest';
import { useTempChdb } from './temp-chdb.fixture.js';
import {
  DEFAULT_SCHEMA_OPTIONS,
  DROPPED_ROLLUPS,
  DROPPED_TABLES,
  DROPPED_VIEWS,
  NARROW_ROLLUPS,
  TABLES,
  initialSchemaDdl,
  migrationsTableDdl,
  narrowRollupsDdl,
  preflightWeeklyDdl,
  retentionRules,
  weeklyRollupsDdl,
  type SchemaStep,
} from './schema-ddl.js';

const CLUSTER = { ...DEFAULT_SCHEMA_OPTIONS, cluster: 'corsight_cluster' };
const STORED = [TABLES.events, TABLES.rollup, TABLES.findings, TABLES.originsSeen, TABLES.policyChanges];

function flat(steps: readonly SchemaStep[]): readonly string[] {
  return steps.flatMap((step) => (typeof step === 'string' ? [step] : step.statements));
}

function allStatements(options: typeof DEFAULT_SCHEMA_OPTIONS): readonly string[] {
  const narrow = flat([
    ...narrowRollupsDdl(options),
    ...weeklyRollupsDdl(options),
    ...preflightWeeklyDdl(options),
  ]);
  return [...migrationsTableDdl(options), ...initialSchemaDdl(options), ...narrow];
}

/** Every narrow rollup some migration creates, also those a later one drops. */
const CREATED = [...NARROW_ROLLUPS, ...DROPPED_ROLLUPS];

/** Statements that change the schema (a backfill INSERT runs on one node and writes through Distributed). */
function ddlOnly(statements: readonly string[]): readonly string[] {
  return statements.filter((sql) => !sql.startsWith('INSERT'));
}

describe('one node', () => {
  const statements = allStatements(DEFAULT_SCHEMA_OPTIONS);

  it('creates plain MergeTree tables under the names queries use, without ON CLUSTER', () => {
    for (const name of STORED) {
      expect(statements.some((sql) => sql.startsWith(`CREATE TABLE IF NOT EXISTS ${name} (`))).toBe(true);
    }
    expect(statements.join('\n')).not.toMatch(/ON CLUSTER|Replicated|Distributed|_local/);
  });

  it('keeps a deduplication window on every table a segment insert reaches', () => {
    for (const name of STORED) {
      const sql = statements.find((statement) =>
        statement.startsWith(`CREATE TABLE IF NOT EXISTS ${name} (`),
      );
      expect(sql).toContain('non_replicated_deduplication_window = 10000');
    }
  });

  it('puts the configured TTLs on raw rows and on rollups', () => {
    const sql = initialSchemaDdl({ ...DEFAULT_SCHEMA_OPTIONS, rawTtlDays: 7, rollupTtlDays: 90 }).join('\n');
    expect(sql).toContain('TTL toDateTime(timestamp) + INTERVAL 7 DAY');
    expect(sql).toContain('TTL minute + INTERVAL 90 DAY');
    expect(sql).toContain('TTL toDateTime(last_seen) + INTERVAL 90 DAY');
  });

  it('sorts a narrow rollup by service, the dimensions its filters need first, then time', () => {
    const sql = statements.find((statement) =>
      statement.startsWith(`CREATE TABLE IF NOT EXISTS ${TABLES.originCodes1d} (`),
    );
    expect(sql).toContain('ORDER BY (service, outcome, finding, day, code, origin)');
    expect(sql).toContain('TTL day + INTERVAL 400 DAY');
  });

  it('keys a rollup of all services by its dimensions and the week, without a service column', () => {
    const sql = statements.find((statement) =>
      statement.startsWith(`CREATE TABLE IF NOT EXISTS ${TABLES.routeOriginsAll1w} (`),
    );
    expect(sql).toContain('ORDER BY (outcome, week, route, origin)');
    expect(sql).not.toContain('service');
    // Migration 4's preflight-cache keys of all services, which migration 6 drops.
    const insert = statements.find((statement) =>
      statement.startsWith(`INSERT INTO ${DROPPED_TABLES.preflightAll1w} (`),
    );
    expect(insert).toContain("toDateTime(intDiv(toUInt32(day), 604800) * 604800, 'UTC') AS week");
    expect(insert).toMatch(/FROM \(SELECT \* FROM cors_preflight_1d WHERE/);
    expect(insert).toContain('GROUP BY week, route, origin, key_method');
  });

  it('creates a weekly table after the weekly table it is fed from', () => {
    const creates = weeklyRollupsDdl(DEFAULT_SCHEMA_OPTIONS).filter((step) => typeof step === 'string');
    const position = (table: string) =>
      creates.findIndex((sql) => sql.startsWith(`CREATE TABLE IF NOT EXISTS ${table} (`));
    expect(position(TABLES.routeOrigins1w)).toBeGreaterThanOrEqual(0);
    expect(position(TABLES.routeOrigins1w)).toBeLessThan(position(TABLES.routeOriginsAll1w));
    // Migration 2's statements stay as released: none of migration 4's tables among them.
    const version2 = narrowRollupsDdl(DEFAULT_SCHEMA_OPTIONS).flatMap((step) =>
      typeof step === 'string' ? [step] : step.statements,
    );
    expect(version2.join('\n')).toContain(TABLES.routeOrigins1d);
    expect(version2.join('\n')).not.toMatch(/_1w\b/);
  });

  it('keys the weekly preflight-cache rollup of migration 6 by service, as the daily one it is fed from', () => {
    const version6 = flat(preflightWeeklyDdl(DEFAULT_SCHEMA_OPTIONS));
    const create = version6.find((sql) =>
      sql.startsWith(`CREATE TABLE IF NOT EXISTS ${TABLES.preflight1w} (`),
    );
    expect(create).toContain('ORDER BY (service, week, route, origin, key_method)');
    const insert = version6.find((sql) => sql.startsWith(`INSERT INTO ${TABLES.preflight1w} (`));
    expect(insert).toMatch(/FROM \(SELECT \* FROM cors_preflight_1d WHERE/);
    expect(insert).toContain('GROUP BY service, week, route, origin, key_method');
  });

  it('drops the weekly preflight-cache rollup of all services in migration 6, its view first', () => {
    // Migration 4 stays as released: a new store creates the table of all services, then drops it.
    expect(flat(weeklyRollupsDdl(DEFAULT_SCHEMA_OPTIONS)).join('\n')).toContain(
      `CREATE TABLE IF NOT EXISTS ${DROPPED_TABLES.preflightAll1w} (`,
    );
    expect(flat(preflightWeeklyDdl(DEFAULT_SCHEMA_OPTIONS)).filter((sql) => sql.startsWith('DROP'))).toEqual([
      `DROP VIEW IF EXISTS ${DROPPED_VIEWS.preflightAll1w}`,
      `DROP TABLE IF EXISTS ${DROPPED_TABLES.preflightAll1w}`,
    ]);
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a TTL of %s days', (days) => {
    expect(() => initialSchemaDdl({ ...DEFAULT_SCHEMA_OPTIONS, rawTtlDays: days })).toThrow(
      /raw TTL must be/,
    );
  });
});

describe('a cluster', () => {
  const statements = allStatements(CLUSTER);

  it('runs every schema statement ON CLUSTER', () => {
    for (const sql of ddlOnly(statements)) expect(sql).toMatch(/ ON CLUSTER `corsight_cluster`/);
  });

  it('backfills narrow rollups through the Distributed tables, from the Distributed sources', () => {
    const inserts = statements.filter((sql) => sql.startsWith('INSERT'));
    expect(inserts).toHaveLength(CREATED.length);
    for (const spec of CREATED) {
      const sql = inserts.find((insert) => insert.startsWith(`INSERT INTO ${spec.table} (`));
      expect(sql).toMatch(new RegExp(`FROM (\\(SELECT \\* FROM )?${spec.from}\\b`));
      expect(sql).not.toContain('_local');
    }
  });

  it('stores rows in Replicated tables under <name>_local with shard and replica macros', () => {
    for (const name of [...STORED, TABLES.migrations]) {
      const sql = statements.find((statement) =>
        statement.startsWith(`CREATE TABLE IF NOT EXISTS ${name}_local `),
      );
      expect(sql).toMatch(
        new RegExp(
          `ENGINE = Replicated(Aggregating)?MergeTree\\('/clickhouse/tables/\\{shard\\}/\\{database\\}/${name}_local', '\\{replica\\}'\\)`,
        ),
      );
      expect(sql).not.toContain('non_replicated_deduplication_window');
    }
  });

  it('puts a Distributed table sharded by service under each plain name', () => {
    for (const name of STORED) {
      expect(statements).toContain(
        `CREATE TABLE IF NOT EXISTS ${name} ON CLUSTER \`corsight_cluster\` AS ${name}_local\n` +
          `ENGINE = Distributed(\`corsight_cluster\`, currentDatabase(), ${name}_local, cityHash64(service))`,
      );
    }
  });

  it('feeds the local rollups from the local raw table', () => {
    const views = statements.filter((sql) => sql.startsWith('CREATE MATERIALIZED VIEW'));
    expect(views).toHaveLength(4 + CREATED.length);
    for (const sql of views) {
      expect(sql).toMatch(/_mv_local ON CLUSTER `corsight_cluster` TO \w+_local AS/);
      expect(sql).toMatch(
        new RegExp(
          `FROM (\\(SELECT \\* FROM )?(${[TABLES.events, TABLES.rollup, TABLES.findings, TABLES.totals1m, TABLES.origins1h, TABLES.routeOrigins1d, TABLES.routeOrigins1w, TABLES.preflight1d].join('|')})_local\\b`,
        ),
      );
    }
  });

  it('drops a table of migration 4 on every node: its local view, the Distributed table, the local table', () => {
    expect(flat(preflightWeeklyDdl(CLUSTER)).filter((sql) => sql.startsWith('DROP'))).toEqual([
      `DROP VIEW IF EXISTS ${DROPPED_VIEWS.preflightAll1w}_local ON CLUSTER \`corsight_cluster\``,
      `DROP TABLE IF EXISTS ${DROPPED_TABLES.preflightAll1w} ON CLUSTER \`corsight_cluster\``,
      `DROP TABLE IF EXISTS ${DROPPED_TABLES.preflightAll1w}_local ON CLUSTER \`corsight_cluster\``,
    ]);
  });

  it('changes TTLs on the local tables, on every node', () => {
    expect(retentionRules(CLUSTER)[0]).toEqual({
      table: 'cors_events_local',
      days: 14,
      alter:
        'ALTER TABLE cors_events_local ON CLUSTER `corsight_cluster` MODIFY TTL toDateTime(timestamp) + INTERVAL 14 DAY',
    });
  });

  it.each(['', 'a b', 'x`; DROP TABLE cors_events; --', '1cluster'])(
    'refuses the cluster name %j',
    (cluster) => {
      expect(() => initialSchemaDdl({ ...DEFAULT_SCHEMA_OPTIONS, cluster })).toThrow(
        /CLICKHOUSE_CLUSTER must be/,
      );
    },
  );
});

describe("ClickHouse's parser", () => {
  const temp = useTempChdb('ddl');

  it.each([
    ['one node', DEFAULT_SCHEMA_OPTIONS],
    ['a cluster', CLUSTER],
  ])('accepts every statement for %s', async (_name, options) => {
    const client = temp.client();
    const alters = retentionRules(options).map((rule) => rule.alter);
    for (const sql of [...allStatements(options), ...alters]) {
      const result = await client.query({
        query: 'SELECT formatQuery({sql:String}) AS formatted',
        query_params: { sql },
        format: 'JSONEachRow',
      });
      const [row] = await result.json<{ formatted: string }>();
      expect(row?.formatted).toMatch(/^(CREATE|ALTER|TRUNCATE|INSERT|DROP)/);
    }
  });
});
