// The alerting DDL: what one node and a cluster get, ClickHouse's parser accepting every statement of both
// (formatQuery in chDB, since no cluster runs here), and the one-node tables created and used in chDB.
import { describe, expect, it } from 'vitest';
import { useTempChdb } from '../store/temp-chdb.fixture.js';
import { DEFAULT_SCHEMA_OPTIONS } from '../store/schema-ddl.js';
import { ALERT_TABLES, alertSchemaDdl } from './alert-schema.js';

const CLUSTER = { ...DEFAULT_SCHEMA_OPTIONS, cluster: 'corsight_cluster' };
const NAMES = Object.values(ALERT_TABLES);

describe('one node', () => {
  const statements = alertSchemaDdl(DEFAULT_SCHEMA_OPTIONS);

  it('creates the three tables under their plain names, without ON CLUSTER', () => {
    expect(statements.map((sql) => /^CREATE TABLE IF NOT EXISTS (\w+) \(/.exec(sql)?.[1])).toEqual(NAMES);
    expect(statements.join('\n')).not.toMatch(/ON CLUSTER|Replicated|Distributed|_local/);
  });

  it('keeps events and silences as long as rollups', () => {
    const sql = alertSchemaDdl({ ...DEFAULT_SCHEMA_OPTIONS, rollupTtlDays: 90 }).join('\n');
    expect(sql).toContain('TTL toDateTime(at) + INTERVAL 90 DAY');
    expect(sql).toContain('TTL toDateTime(ends_at) + INTERVAL 90 DAY');
  });
});

describe('a cluster', () => {
  const statements = alertSchemaDdl(CLUSTER);

  it('runs every statement ON CLUSTER, stores rows in Replicated <name>_local tables', () => {
    for (const sql of statements) expect(sql).toContain(' ON CLUSTER `corsight_cluster`');
    expect(statements).toHaveLength(6);
    const silences = statements.find((sql) =>
      sql.startsWith('CREATE TABLE IF NOT EXISTS alert_silences_local '),
    );
    expect(silences).toContain(
      "ENGINE = ReplicatedReplacingMergeTree('/clickhouse/tables/{shard}/{database}/alert_silences_local', '{replica}', version)",
    );
  });

  it('shards by the id rows replace each other under', () => {
    expect(statements).toContain(
      'CREATE TABLE IF NOT EXISTS alert_silences ON CLUSTER `corsight_cluster` AS alert_silences_local\n' +
        'ENGINE = Distributed(`corsight_cluster`, currentDatabase(), alert_silences_local, cityHash64(silence_id))',
    );
  });

  it('refuses a cluster name that is not an identifier', () => {
    expect(() =>
      alertSchemaDdl({ ...DEFAULT_SCHEMA_OPTIONS, cluster: 'x`; DROP TABLE alert_events; --' }),
    ).toThrow(/CLICKHOUSE_CLUSTER must be/);
  });
});

describe('in chDB', () => {
  const chdb = useTempChdb('alert-ddl', async (client) => {
    for (const query of alertSchemaDdl(DEFAULT_SCHEMA_OPTIONS)) await client.command({ query });
  }).client;

  it.each([
    ['one node', DEFAULT_SCHEMA_OPTIONS],
    ['a cluster', CLUSTER],
  ])("accepts every statement for %s in ClickHouse's parser", async (_name, options) => {
    for (const sql of alertSchemaDdl(options)) {
      const result = await chdb().query({
        query: 'SELECT formatQuery({sql:String}) AS formatted',
        query_params: { sql },
        format: 'JSONEachRow',
      });
      const [row] = await result.json<{ formatted: string }>();
      expect(row?.formatted).toMatch(/^CREATE TABLE/);
    }
  });

  it('keeps every version of a rule and reads the current one with argMax', async () => {
    await chdb().insert({
      table: ALERT_TABLES.rules,
      format: 'JSONEachRow',
      values: [
        { rule_id: 'spike', version: 1, source: 'api', spec: '{"window":"5m"}', updated_by: 'admin' },
        { rule_id: 'spike', version: 2, source: 'api', spec: '{"window":"10m"}', updated_by: 'admin' },
        { rule_id: 'gone', version: 1, source: 'api', spec: '{}', updated_by: 'admin' },
        { rule_id: 'gone', version: 2, source: 'api', spec: '{}', deleted: true, updated_by: 'admin' },
      ],
    });
    const result = await chdb().query({
      query: `SELECT rule_id, argMax(spec, version) AS spec FROM ${ALERT_TABLES.rules}
GROUP BY rule_id HAVING NOT argMax(deleted, version) ORDER BY rule_id`,
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([{ rule_id: 'spike', spec: '{"window":"10m"}' }]);
  });

  it('records transitions and deliveries in alert_events', async () => {
    await chdb().insert({
      table: ALERT_TABLES.events,
      format: 'JSONEachRow',
      values: [
        {
          at: '2026-11-26 14:03:00.000',
          rule_id: 'spike',
          rule_version: 2,
          instance_id: '["shop",null,"https://a.test"]',
          service: 'shop',
          route: '',
          origin: 'https://a.test',
          event: 'firing',
          transition: 'firing',
          blocked: 120,
          allowed: 3,
          value: 120,
          threshold: 30,
          baseline: 10,
          channel_id: '',
          delivery_ok: null,
          attempts: 0,
          evaluator: 'c1',
          detail: '{}',
        },
        {
          at: '2026-11-26 14:03:01.000',
          rule_id: 'spike',
          rule_version: 2,
          instance_id: '["shop",null,"https://a.test"]',
          service: 'shop',
          route: '',
          origin: 'https://a.test',
          event: 'delivery',
          transition: 'firing',
          blocked: 120,
          allowed: 3,
          value: 120,
          threshold: 30,
          baseline: null,
          channel_id: 'chat',
          delivery_ok: false,
          attempts: 4,
          evaluator: 'c1',
          detail: '{"attempts":[]}',
        },
      ],
    });
    const result = await chdb().query({
      query: `SELECT event, channel_id, delivery_ok, attempts FROM ${ALERT_TABLES.events} ORDER BY at`,
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([
      { event: 'firing', channel_id: '', delivery_ok: null, attempts: 0 },
      { event: 'delivery', channel_id: 'chat', delivery_ok: false, attempts: 4 },
    ]);
  });

  it('reads the newest version of a silence with FINAL', async () => {
    const silence = {
      silence_id: 's1',
      rule_id: 'spike',
      origin: 'https://a.test',
      starts_at: '2026-11-26 14:00:00.000',
      comment: 'deploy',
      created_by: 'admin',
    };
    await chdb().insert({
      table: ALERT_TABLES.silences,
      format: 'JSONEachRow',
      values: [{ ...silence, version: 1, ends_at: '2026-11-26 15:00:00.000' }],
    });
    await chdb().insert({
      table: ALERT_TABLES.silences,
      format: 'JSONEachRow',
      values: [{ ...silence, version: 2, ends_at: '2026-11-26 16:00:00.000' }],
    });
    const result = await chdb().query({
      query: `SELECT silence_id, toString(ends_at) AS ends_at FROM ${ALERT_TABLES.silences} FINAL WHERE NOT deleted`,
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([{ silence_id: 's1', ends_at: '2026-11-26 16:00:00.000' }]);
  });
});
