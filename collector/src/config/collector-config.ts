// The collector's configuration: one validated object, read once at start-up from the environment
// (`CORSIGHT_*`, `CLICKHOUSE_*`) over an optional JSON file (`CORSIGHT_CONFIG`) over the defaults. Pure:
// the caller passes the environment and the file's text, so every rule is tested with tables.
//
// A wrong value stops start-up with a message that names the variable (or the file's key) and the form it
// expects; all wrong values are reported at once, so fixing a deployment takes one round.
import { z } from 'zod';
import { DEFAULT_SPOOL_LIMITS } from '../ingest/spool-limits.js';

export interface CollectorConfig {
  /** Interface the HTTP (OTLP/HTTP, query API, ops) and gRPC servers listen on. */
  readonly host: string;
  /** OTLP/HTTP `POST /v1/traces`, the query API and /healthz, /readyz, /metrics. */
  readonly httpPort: number;
  /** OTLP/gRPC; undefined when switched off (`CORSIGHT_OTLP_GRPC_PORT=off`). */
  readonly grpcPort: number | undefined;
  /** Embedded chDB's data directory and the spool's parent. */
  readonly dataDir: string;
  readonly clickhouse: {
    /** A ClickHouse server; undefined means embedded chDB in `dataDir`. */
    readonly url: string | undefined;
    readonly username: string | undefined;
    readonly password: string | undefined;
    readonly database: string | undefined;
    /** Emit the DDL `ON CLUSTER` with replicated and distributed tables. */
    readonly cluster: string | undefined;
  };
  readonly retention: { readonly rawDays: number; readonly rollupDays: number };
  readonly ingest: {
    /**
     * Bearer tokens accepted on ingest for any service; with no tokens here nor in serviceTokens, ingest is
     * open (bind to a private interface).
     */
    readonly tokens: readonly string[];
    /** Bearer tokens accepted on ingest for the named services only (ingest/ingest-tokens.ts). */
    readonly serviceTokens: Readonly<Record<string, readonly string[]>>;
    /** Largest request body accepted, as sent (compressed or not). */
    readonly maxBodyBytes: number;
    /** Largest body after gunzip: a gzip bomb stops here. */
    readonly maxDecompressedBytes: number;
    /** Requests one unsampled HTTP server span stands for, per service (default 1; `ot=th:` wins). */
    readonly httpSpanWeights: Readonly<Record<string, number>>;
  };
  readonly api: {
    /** Bearer tokens accepted on the query API (`/api/v1`); empty means it is open. */
    readonly readTokens: readonly string[];
    /**
     * Bearer tokens for changes (alert rules, silences, test notifications). With any read or admin token
     * configured, a change needs one of these; with none at all, the API is open.
     */
    readonly adminTokens: readonly string[];
  };
  readonly alerts: {
    /**
     * This instance runs the alert evaluator (`CORSIGHT_ALERTS=on`, the default). With several collectors on
     * one ClickHouse cluster, exactly one should run with it on; the others serve the alerts API read-only.
     */
    readonly enabled: boolean;
    /** `CORSIGHT_ALERT_RULES`: a YAML or JSON rules file; undefined means the built-in rules only. */
    readonly rulesFile: string | undefined;
    /** Where the dashboard is served, for links in notifications. */
    readonly dashboardUrl: string;
  };
  readonly spool: {
    /** Past this, ingest answers 503 + Retry-After until the writer catches up. */
    readonly maxBytes: number;
    /** A segment (one ClickHouse insert) is sealed at this many rows… */
    readonly segmentRows: number;
    /** …or this age. */
    readonly segmentAgeMs: number;
  };
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export type Environment = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Corsight's configuration is invalid:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

const MiB = 1024 * 1024;

const port = z.coerce.number().int().min(0).max(65_535);
const positiveInt = (max: number) => z.coerce.number().int().min(1).max(max);
const text = z.string().trim().min(1).max(4096);
const httpUrl = z
  .string()
  .trim()
  .refine((value) => /^https?:\/\/[^\s/]+/i.test(value) && URL.canParse(value));
const identifier = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/);
const token = z.string().regex(/^[\x21-\x7e]{16,512}$/);

/** `a, b,,c` → ['a', 'b', 'c']: the lists of the environment. */
function commaList(value: string): string[] {
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/**
 * The `name=value` entries of a comma list, split at the first `=` (a token may hold `=`) or the last (a
 * service name may). An entry without `=` has the name ''.
 */
function namedEntries(value: string, splitAt: 'first' | 'last'): (readonly [string, string])[] {
  return commaList(value).map((entry) => {
    const at = splitAt === 'first' ? entry.indexOf('=') : entry.lastIndexOf('=');
    return at === -1 ? ['', entry] : [entry.slice(0, at).trim(), entry.slice(at + 1).trim()];
  });
}

const tokenList = z.string().transform(commaList).pipe(z.array(token).max(1000));
const serviceName = z.string().min(1).max(256);
// `service=token,…` in the environment (a service named once per token), an object of tokens or token lists
// in the file.
const serviceTokens = z.union([
  z
    .string()
    .transform((value) => namedEntries(value, 'first'))
    .pipe(z.array(z.tuple([serviceName, token])).max(1000))
    .transform((pairs) => {
      const byService = new Map<string, string[]>();
      for (const [service, secret] of pairs)
        byService.set(service, [...(byService.get(service) ?? []), secret]);
      // fromEntries defines own properties: a service named __proto__ stays a service.
      return Object.fromEntries(byService);
    }),
  z
    .record(serviceName, z.union([token.transform((secret) => [secret]), z.array(token).min(1).max(100)]))
    .refine((record) => Object.keys(record).length <= 1000),
]);
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);
const weight = z.number().positive().max(1e9);
// `service=weight,…` in the environment, an object in the file. Service names may hold anything but `,`.
const serviceWeights = z.union([
  z
    .string()
    .transform((value) =>
      namedEntries(value, 'last').map(
        ([service, text]) => [service, text === '' ? Number.NaN : Number(text)] as const,
      ),
    )
    .pipe(z.array(z.tuple([serviceName, weight])).max(10_000))
    .transform((pairs) => Object.fromEntries(pairs)),
  z.record(serviceName, weight),
]);
// `on`/`off` in the environment (also true/false, 1/0, yes/no), a boolean in the file.
const onOff = z.union([
  z.boolean(),
  z
    .string()
    .trim()
    .toLowerCase()
    .pipe(z.enum(['on', 'off', 'true', 'false', '1', '0', 'yes', 'no']))
    .transform((value) => value === 'on' || value === 'true' || value === '1' || value === 'yes'),
]);
const grpcPort = z.union([z.literal('off').transform(() => undefined), port]);

/** One setting: where it comes from, what it must look like, and its default. */
interface Setting {
  readonly env: string;
  /** Key in the JSON file, dotted (`clickhouse.url`). */
  readonly key: string;
  readonly schema: z.ZodType;
  /** How the message says the expected form. */
  readonly expected: string;
  readonly fallback?: unknown;
  /** Never echoed in a message (tokens): logs and terminals are read by more people than secrets are. */
  readonly secret?: true;
}

const SETTINGS: readonly Setting[] = [
  {
    env: 'CORSIGHT_HOST',
    key: 'host',
    schema: text,
    expected: 'a host name or IP address',
    fallback: '127.0.0.1',
  },
  {
    env: 'CORSIGHT_OTLP_PORT',
    key: 'httpPort',
    schema: port,
    expected: 'a port number 0–65535',
    fallback: 4318,
  },
  {
    env: 'CORSIGHT_OTLP_GRPC_PORT',
    key: 'grpcPort',
    schema: grpcPort,
    expected: 'a port number 0–65535 or "off"',
    fallback: 4317,
  },
  {
    env: 'CORSIGHT_DATA_DIR',
    key: 'dataDir',
    schema: text,
    expected: 'a directory path',
    fallback: './.corsight/data',
  },
  {
    env: 'CLICKHOUSE_URL',
    key: 'clickhouse.url',
    schema: httpUrl,
    expected: 'an http(s) URL such as http://clickhouse:8123',
  },
  { env: 'CLICKHOUSE_USER', key: 'clickhouse.username', schema: text, expected: 'a user name' },
  {
    env: 'CLICKHOUSE_PASSWORD',
    secret: true,
    key: 'clickhouse.password',
    schema: z.string().max(4096),
    expected: 'a password',
  },
  {
    env: 'CLICKHOUSE_DATABASE',
    key: 'clickhouse.database',
    schema: identifier,
    expected: 'a database name of letters, digits and _',
  },
  {
    env: 'CLICKHOUSE_CLUSTER',
    key: 'clickhouse.cluster',
    schema: identifier,
    expected: 'a cluster name of letters, digits and _ (as in remote_servers)',
  },
  {
    env: 'CORSIGHT_RAW_TTL_DAYS',
    key: 'retention.rawDays',
    schema: positiveInt(3650),
    expected: 'a whole number of days 1–3650',
    fallback: 14,
  },
  {
    env: 'CORSIGHT_ROLLUP_TTL_DAYS',
    key: 'retention.rollupDays',
    schema: positiveInt(3650),
    expected: 'a whole number of days 1–3650',
    fallback: 400,
  },
  {
    env: 'CORSIGHT_INGEST_TOKENS',
    secret: true,
    key: 'ingest.tokens',
    schema: tokenList,
    expected: 'a comma-separated list of tokens, each 16–512 printable ASCII characters',
    fallback: '',
  },
  {
    env: 'CORSIGHT_INGEST_SERVICE_TOKENS',
    secret: true,
    key: 'ingest.serviceTokens',
    schema: serviceTokens,
    expected:
      'service=token pairs separated by commas, e.g. "checkout=<token>,search=<token>" (each token 16–512 ' +
      'printable ASCII characters; a service may have several)',
    fallback: '',
  },
  {
    env: 'CORSIGHT_READ_TOKENS',
    secret: true,
    key: 'api.readTokens',
    schema: tokenList,
    expected: 'a comma-separated list of tokens, each 16–512 printable ASCII characters',
    fallback: '',
  },
  {
    env: 'CORSIGHT_ADMIN_TOKENS',
    secret: true,
    key: 'api.adminTokens',
    schema: tokenList,
    expected: 'a comma-separated list of tokens, each 16–512 printable ASCII characters',
    fallback: '',
  },
  {
    env: 'CORSIGHT_ALERTS',
    key: 'alerts.enabled',
    schema: onOff,
    expected: '"on" or "off"',
    fallback: 'on',
  },
  {
    env: 'CORSIGHT_ALERT_RULES',
    key: 'alerts.rulesFile',
    schema: text,
    expected: 'the path of a YAML or JSON alert rules file',
  },
  {
    env: 'CORSIGHT_DASHBOARD_URL',
    key: 'alerts.dashboardUrl',
    schema: httpUrl,
    expected: 'an http(s) URL such as https://corsight.example.com (links in notifications)',
    fallback: 'http://127.0.0.1:3000',
  },
  {
    env: 'CORSIGHT_MAX_BODY_BYTES',
    key: 'ingest.maxBodyBytes',
    schema: positiveInt(1024 * MiB),
    expected: 'a byte count 1–1073741824',
    fallback: 4 * MiB,
  },
  {
    env: 'CORSIGHT_MAX_DECOMPRESSED_BYTES',
    key: 'ingest.maxDecompressedBytes',
    schema: positiveInt(1024 * MiB),
    expected: 'a byte count 1–1073741824',
    fallback: 16 * MiB,
  },
  {
    env: 'CORSIGHT_HTTP_SPAN_WEIGHTS',
    key: 'ingest.httpSpanWeights',
    schema: serviceWeights,
    expected: 'service=weight pairs separated by commas, e.g. "checkout=10,search=4" (weights > 0)',
    fallback: '',
  },
  {
    env: 'CORSIGHT_SPOOL_MAX_BYTES',
    key: 'spool.maxBytes',
    schema: positiveInt(Number.MAX_SAFE_INTEGER),
    expected: 'a byte count',
    fallback: DEFAULT_SPOOL_LIMITS.maxSpoolBytes,
  },
  {
    env: 'CORSIGHT_BATCH_ROWS',
    key: 'spool.segmentRows',
    schema: positiveInt(10_000_000),
    expected: 'a row count 1–10000000',
    fallback: DEFAULT_SPOOL_LIMITS.maxSegmentRows,
  },
  {
    env: 'CORSIGHT_BATCH_AGE_MS',
    key: 'spool.segmentAgeMs',
    schema: positiveInt(600_000),
    expected: 'milliseconds 1–600000',
    fallback: DEFAULT_SPOOL_LIMITS.maxSegmentAgeMs,
  },
  {
    env: 'CORSIGHT_LOG_LEVEL',
    key: 'logLevel',
    schema: logLevel,
    expected: 'one of fatal, error, warn, info, debug, trace, silent',
    fallback: 'info',
  },
];

/**
 * Every environment variable the collector's configuration reads: each setting's, and CORSIGHT_CONFIG (the
 * file, read by `corsight start`). Deployment files are checked against it (test/deploy).
 */
export const CONFIG_ENV_VARIABLES: readonly string[] = [
  ...SETTINGS.map((setting) => setting.env),
  'CORSIGHT_CONFIG',
];

const KNOWN_KEYS = new Set(SETTINGS.map((setting) => setting.key));

/** The file's nested object flattened to dotted keys (`{ clickhouse: { url } }` → `clickhouse.url`). */
function flatten(value: unknown, prefix: string, into: Map<string, unknown>): void {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && !KNOWN_KEYS.has(prefix)) {
    for (const [key, inner] of Object.entries(value))
      flatten(inner, prefix === '' ? key : `${prefix}.${key}`, into);
  } else {
    into.set(prefix, value);
  }
}

function readFile(fileText: string, fileName: string, problems: string[]): Map<string, unknown> {
  const values = new Map<string, unknown>();
  let parsed: unknown;
  try {
    parsed = JSON.parse(fileText);
  } catch (error) {
    problems.push(`${fileName} is not valid JSON: ${(error as Error).message}`);
    return values;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push(`${fileName} must hold a JSON object such as {"httpPort": 4318}`);
    return values;
  }
  flatten(parsed, '', values);
  for (const key of values.keys()) {
    if (!KNOWN_KEYS.has(key)) {
      problems.push(`${fileName}: unknown setting "${key}"; known: ${[...KNOWN_KEYS].join(', ')}`);
    }
  }
  return values;
}

function show(value: unknown): string {
  // JSON.stringify gives undefined for undefined and functions, whatever its typings say.
  const shown = (JSON.stringify(value) as string | undefined) ?? String(value);
  return shown.length > 80 ? `${shown.slice(0, 77)}…` : shown;
}

/** A secret's shape, not its text: enough to see which entry is wrong. */
function showSecret(value: unknown): string {
  if (typeof value !== 'string') return 'a value that is not text (not shown)';
  const lengths = value.split(',').map((entry) => entry.length);
  return `${lengths.length} ${lengths.length === 1 ? 'entry' : 'entries'} of ${lengths.join(', ')} characters (not shown)`;
}

/** Sets `value` at a dotted key of a nested object. */
function assign(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    node = (node[part] ??= {}) as Record<string, unknown>;
  }
  node[parts[parts.length - 1] ?? key] = value;
}

/**
 * Reads the configuration: each setting from its environment variable, else the file (`fileText`, the
 * content of CORSIGHT_CONFIG), else its default. Throws ConfigError listing every wrong value.
 */
export function readCollectorConfig(
  env: Environment,
  file?: { readonly name: string; readonly text: string },
): CollectorConfig {
  const problems: string[] = [];
  const fromFile = file === undefined ? new Map<string, unknown>() : readFile(file.text, file.name, problems);
  const config: Record<string, unknown> = {
    clickhouse: {},
    retention: {},
    ingest: {},
    api: {},
    alerts: {},
    spool: {},
  };
  for (const setting of SETTINGS) {
    const envValue = env[setting.env];
    const source = envValue !== undefined && envValue !== '' ? setting.env : undefined;
    const raw =
      source !== undefined
        ? envValue
        : fromFile.has(setting.key)
          ? fromFile.get(setting.key)
          : setting.fallback;
    if (raw === undefined) {
      assign(config, setting.key, undefined);
      continue;
    }
    // A file may give numbers and lists as JSON values; the environment always gives text.
    const input = Array.isArray(raw) && setting.schema === tokenList ? raw.join(',') : raw;
    const result = setting.schema.safeParse(input);
    if (result.success) {
      assign(config, setting.key, result.data);
    } else {
      const where =
        source ??
        (fromFile.has(setting.key) ? `${file?.name ?? 'config file'}: "${setting.key}"` : setting.env);
      problems.push(
        `${where} must be ${setting.expected}, got ${setting.secret === true ? showSecret(input) : show(raw)}`,
      );
    }
  }
  const clickhouse = config.clickhouse as CollectorConfig['clickhouse'];
  if (clickhouse.url === undefined) {
    for (const [name, value] of [
      ['CLICKHOUSE_USER', clickhouse.username],
      ['CLICKHOUSE_PASSWORD', clickhouse.password],
      ['CLICKHOUSE_CLUSTER', clickhouse.cluster],
    ] as const) {
      if (value !== undefined)
        problems.push(`${name} is set but CLICKHOUSE_URL is not: set CLICKHOUSE_URL or unset ${name}`);
    }
  }
  const ingest = config.ingest as CollectorConfig['ingest'];
  if (problems.length === 0 && ingest.maxDecompressedBytes < ingest.maxBodyBytes) {
    problems.push(
      `CORSIGHT_MAX_DECOMPRESSED_BYTES (${ingest.maxDecompressedBytes}) must be at least CORSIGHT_MAX_BODY_BYTES (${ingest.maxBodyBytes})`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config as unknown as CollectorConfig;
}
