import { describe, expect, it } from 'vitest';
import { ConfigError, readCollectorConfig } from './collector-config.js';

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('readCollectorConfig', () => {
  it('gives the documented defaults with an empty environment', () => {
    expect(readCollectorConfig({})).toEqual({
      host: '127.0.0.1',
      httpPort: 4318,
      grpcPort: 4317,
      dataDir: './.corsight/data',
      clickhouse: {
        url: undefined,
        username: undefined,
        password: undefined,
        database: undefined,
        cluster: undefined,
      },
      retention: { rawDays: 14, rollupDays: 400 },
      ingest: {
        tokens: [],
        serviceTokens: {},
        maxBodyBytes: 4 * 1024 * 1024,
        maxDecompressedBytes: 16 * 1024 * 1024,
        httpSpanWeights: {},
      },
      api: { readTokens: [], adminTokens: [] },
      alerts: { enabled: true, rulesFile: undefined, dashboardUrl: 'http://127.0.0.1:3000' },
      spool: { maxBytes: 1024 * 1024 * 1024, segmentRows: 100_000, segmentAgeMs: 5000 },
      logLevel: 'info',
    });
  });

  it('reads every variable from the environment', () => {
    const config = readCollectorConfig({
      CORSIGHT_HOST: '0.0.0.0',
      CORSIGHT_OTLP_PORT: '14318',
      CORSIGHT_OTLP_GRPC_PORT: 'off',
      CORSIGHT_DATA_DIR: '/var/lib/corsight',
      CLICKHOUSE_URL: 'https://clickhouse.internal:8443',
      CLICKHOUSE_USER: 'corsight',
      CLICKHOUSE_PASSWORD: 's3cret',
      CLICKHOUSE_DATABASE: 'cors',
      CLICKHOUSE_CLUSTER: 'main_cluster',
      CORSIGHT_RAW_TTL_DAYS: '7',
      CORSIGHT_ROLLUP_TTL_DAYS: '90',
      CORSIGHT_INGEST_TOKENS: 'aaaaaaaaaaaaaaaa, bbbbbbbbbbbbbbbbbbbb',
      CORSIGHT_INGEST_SERVICE_TOKENS: 'checkout=checkout-token-000000',
      CORSIGHT_READ_TOKENS: 'reader-token-0000000',
      CORSIGHT_MAX_BODY_BYTES: '1048576',
      CORSIGHT_MAX_DECOMPRESSED_BYTES: '4194304',
      CORSIGHT_SPOOL_MAX_BYTES: '1000000',
      CORSIGHT_BATCH_ROWS: '1000',
      CORSIGHT_BATCH_AGE_MS: '250',
      CORSIGHT_LOG_LEVEL: 'warn',
      CORSIGHT_ADMIN_TOKENS: 'admin-token-000000000',
      CORSIGHT_ALERTS: 'off',
      CORSIGHT_ALERT_RULES: '/etc/corsight/alert-rules.yaml',
      CORSIGHT_DASHBOARD_URL: 'https://corsight.example.com/ui',
    });
    expect(config).toEqual({
      host: '0.0.0.0',
      httpPort: 14318,
      grpcPort: undefined,
      dataDir: '/var/lib/corsight',
      clickhouse: {
        url: 'https://clickhouse.internal:8443',
        username: 'corsight',
        password: 's3cret',
        database: 'cors',
        cluster: 'main_cluster',
      },
      retention: { rawDays: 7, rollupDays: 90 },
      ingest: {
        tokens: ['aaaaaaaaaaaaaaaa', 'bbbbbbbbbbbbbbbbbbbb'],
        serviceTokens: { checkout: ['checkout-token-000000'] },
        maxBodyBytes: 1048576,
        maxDecompressedBytes: 4194304,
        httpSpanWeights: {},
      },
      api: { readTokens: ['reader-token-0000000'], adminTokens: ['admin-token-000000000'] },
      alerts: {
        enabled: false,
        rulesFile: '/etc/corsight/alert-rules.yaml',
        dashboardUrl: 'https://corsight.example.com/ui',
      },
      spool: { maxBytes: 1000000, segmentRows: 1000, segmentAgeMs: 250 },
      logLevel: 'warn',
    });
  });

  it('reads the alert settings from the file: a boolean switch, admin tokens as a list', () => {
    const config = readCollectorConfig(
      { CORSIGHT_ALERTS: 'ON' },
      {
        name: 'corsight.json',
        text: JSON.stringify({
          alerts: { enabled: false, rulesFile: 'rules.json' },
          api: { adminTokens: ['admin-token-111111111'] },
        }),
      },
    );
    expect(config.alerts).toEqual({
      enabled: true,
      rulesFile: 'rules.json',
      dashboardUrl: 'http://127.0.0.1:3000',
    });
    expect(config.api.adminTokens).toEqual(['admin-token-111111111']);
    expect(readCollectorConfig({ CORSIGHT_ALERTS: 'off' }).alerts.enabled).toBe(false);
  });

  it('takes values from the JSON file where the environment is silent, the environment winning', () => {
    const config = readCollectorConfig(
      { CORSIGHT_OTLP_PORT: '5000' },
      {
        name: 'corsight.json',
        text: JSON.stringify({
          httpPort: 6000,
          grpcPort: 'off',
          clickhouse: { url: 'http://ch:8123' },
          ingest: { tokens: ['cccccccccccccccccc'] },
        }),
      },
    );
    expect(config.httpPort).toBe(5000);
    expect(config.grpcPort).toBeUndefined();
    expect(config.clickhouse.url).toBe('http://ch:8123');
    expect(config.ingest.tokens).toEqual(['cccccccccccccccccc']);
  });

  it.each([
    ['CORSIGHT_OTLP_PORT', 'abc', 'CORSIGHT_OTLP_PORT must be a port number 0–65535, got "abc"'],
    ['CORSIGHT_OTLP_PORT', '70000', 'CORSIGHT_OTLP_PORT must be a port number 0–65535, got "70000"'],
    [
      'CORSIGHT_OTLP_GRPC_PORT',
      'no',
      'CORSIGHT_OTLP_GRPC_PORT must be a port number 0–65535 or "off", got "no"',
    ],
    [
      'CLICKHOUSE_URL',
      'localhost:8123',
      'CLICKHOUSE_URL must be an http(s) URL such as http://clickhouse:8123, got "localhost:8123"',
    ],
    [
      'CLICKHOUSE_DATABASE',
      'cors; DROP',
      'CLICKHOUSE_DATABASE must be a database name of letters, digits and _',
    ],
    ['CORSIGHT_RAW_TTL_DAYS', '0', 'CORSIGHT_RAW_TTL_DAYS must be a whole number of days 1–3650, got "0"'],
    ['CORSIGHT_INGEST_TOKENS', 'short', 'CORSIGHT_INGEST_TOKENS must be a comma-separated list of tokens'],
    ['CORSIGHT_ALERTS', 'maybe', 'CORSIGHT_ALERTS must be "on" or "off", got "maybe"'],
    [
      'CORSIGHT_DASHBOARD_URL',
      'corsight.local',
      'CORSIGHT_DASHBOARD_URL must be an http(s) URL such as https://corsight.example.com (links in notifications), got "corsight.local"',
    ],
    ['CORSIGHT_ADMIN_TOKENS', 'short', 'CORSIGHT_ADMIN_TOKENS must be a comma-separated list of tokens'],
    [
      'CORSIGHT_INGEST_TOKENS',
      'ingest-token-0000000001,s3cret',
      '16–512 printable ASCII characters, got 2 entries of 23, 6 characters (not shown)',
    ],
    [
      'CORSIGHT_LOG_LEVEL',
      'loud',
      'CORSIGHT_LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent',
    ],
  ])('rejects %s=%j naming the variable and the expected form', (name, value, message) => {
    const env =
      name === 'CLICKHOUSE_DATABASE'
        ? { CLICKHOUSE_URL: 'http://ch:8123', [name]: value }
        : { [name]: value };
    const problems = problemsOf(() => readCollectorConfig(env));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(message);
    // Tokens are secrets: never echoed.
    if (name.endsWith('_TOKENS')) expect(problems[0]).not.toContain(value);
  });

  it('reads ingest tokens per service from the environment or the file, never echoing one', () => {
    expect(
      readCollectorConfig({
        CORSIGHT_INGEST_SERVICE_TOKENS:
          'checkout = checkout-token-000001, search=search-token-0000==, checkout=checkout-token-000002',
      }).ingest.serviceTokens,
    ).toEqual({
      checkout: ['checkout-token-000001', 'checkout-token-000002'],
      search: ['search-token-0000=='],
    });
    const file = {
      name: 'c.json',
      text: JSON.stringify({
        ingest: { serviceTokens: { checkout: 'checkout-token-000003', search: ['search-token-00001'] } },
      }),
    };
    expect(readCollectorConfig({}, file).ingest.serviceTokens).toEqual({
      checkout: ['checkout-token-000003'],
      search: ['search-token-00001'],
    });
    expect(readCollectorConfig({}).ingest.serviceTokens).toEqual({});
    const wrongs = [
      ['checkout-token-000004', 'checkout-token-000004'],
      ['checkout=sh0rt', 'sh0rt'],
      ['=checkout-token-000005', 'checkout-token-000005'],
      ['checkout=two words token0000', 'two words'],
    ];
    for (const [wrong, secret] of wrongs) {
      const problems = problemsOf(() => readCollectorConfig({ CORSIGHT_INGEST_SERVICE_TOKENS: wrong }));
      expect(problems[0]).toMatch(/^CORSIGHT_INGEST_SERVICE_TOKENS must be service=token pairs/);
      expect(problems[0]).toContain('(not shown)');
      expect(problems[0]).not.toContain(secret);
    }
    const badFile = { name: 'c.json', text: '{"ingest": {"serviceTokens": {"checkout": []}}}' };
    expect(problemsOf(() => readCollectorConfig({}, badFile))[0]).toMatch(
      /^c\.json: "ingest\.serviceTokens" must be service=token pairs/,
    );
  });

  it('reads per-service HTTP span weights from the environment or the file', () => {
    expect(
      readCollectorConfig({ CORSIGHT_HTTP_SPAN_WEIGHTS: 'checkout=10, search=2.5' }).ingest.httpSpanWeights,
    ).toEqual({ checkout: 10, search: 2.5 });
    const file = { name: 'c.json', text: '{"ingest": {"httpSpanWeights": {"checkout": 4}}}' };
    expect(readCollectorConfig({}, file).ingest.httpSpanWeights).toEqual({ checkout: 4 });
    for (const wrong of ['checkout', 'checkout=0', 'checkout=-1', '=3', 'a=b']) {
      expect(problemsOf(() => readCollectorConfig({ CORSIGHT_HTTP_SPAN_WEIGHTS: wrong }))[0]).toMatch(
        /^CORSIGHT_HTTP_SPAN_WEIGHTS must be service=weight pairs/,
      );
    }
  });

  it('reports every wrong value at once', () => {
    const problems = problemsOf(() =>
      readCollectorConfig({ CORSIGHT_OTLP_PORT: 'x', CORSIGHT_BATCH_ROWS: '-1', CORSIGHT_LOG_LEVEL: 'loud' }),
    );
    expect(problems.map((problem) => problem.split(' ')[0])).toEqual([
      'CORSIGHT_OTLP_PORT',
      'CORSIGHT_BATCH_ROWS',
      'CORSIGHT_LOG_LEVEL',
    ]);
  });

  it('rejects server credentials without a server', () => {
    expect(problemsOf(() => readCollectorConfig({ CLICKHOUSE_CLUSTER: 'c1' }))).toEqual([
      'CLICKHOUSE_CLUSTER is set but CLICKHOUSE_URL is not: set CLICKHOUSE_URL or unset CLICKHOUSE_CLUSTER',
    ]);
  });

  it('rejects a decompressed-size limit below the body limit', () => {
    expect(
      problemsOf(() =>
        readCollectorConfig({ CORSIGHT_MAX_BODY_BYTES: '2000', CORSIGHT_MAX_DECOMPRESSED_BYTES: '1000' }),
      )[0],
    ).toContain('CORSIGHT_MAX_DECOMPRESSED_BYTES (1000) must be at least CORSIGHT_MAX_BODY_BYTES (2000)');
  });

  it.each([
    ['not json', 'corsight.json is not valid JSON'],
    ['[1]', 'corsight.json must hold a JSON object'],
    ['{"httpPrt": 1}', 'corsight.json: unknown setting "httpPrt"'],
    ['{"httpPort": "x"}', 'corsight.json: "httpPort" must be a port number 0–65535, got "x"'],
    ['{"clickhouse": {"url": 5}}', 'corsight.json: "clickhouse.url" must be an http(s) URL'],
  ])('rejects a bad file %j with a message naming the key', (text, message) => {
    const problems = problemsOf(() => readCollectorConfig({}, { name: 'corsight.json', text }));
    expect(problems[0]).toContain(message);
  });

  it('never echoes more than a short excerpt of a hostile value', () => {
    const problems = problemsOf(() => readCollectorConfig({ CORSIGHT_HOST: 'x'.repeat(100_000) }));
    expect(problems[0]?.length).toBeLessThan(200);
  });
});
