// Every query API parameter, parsed once at the edge (zod 4) into typed values. A bad parameter becomes a
// QueryParameterError naming it and the form it expects. Values come from users and, for origins and
// routes, from attackers (they are request data), so every string is length-capped here and only ever
// reaches SQL as a bound {name:Type} parameter.
import { CORS_KINDS, OUTCOMES } from '@corsight/instrumentation';
import { z } from 'zod';
import { QueryParameterError } from './query-errors.js';
import { resolveRange, resolveStep, type Step, type TimeRange } from './time-range.js';

/** Which requests a time series counts; each is a fixed condition on a rollup row (query-sql.ts). */
export const METRICS = [
  'requests',
  'preflights',
  'actual',
  'allowed',
  'blocked',
  'blocked_if_credentialed',
] as const;
export type Metric = (typeof METRICS)[number];

export const GROUP_BYS = [
  'outcome',
  'kind',
  'reason',
  'warning',
  'origin',
  'route',
  'service',
  'method',
] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

export const FINDINGS = ['reason', 'warning'] as const;
export type Finding = (typeof FINDINGS)[number];

// RFC 9110 §5.6.2 token: what an HTTP method may be.
const METHOD = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,32}$/;
const CODE = /^[a-z][a-z0-9_]{0,63}$/;

function count(min: number, max: number) {
  return z
    .string()
    .regex(/^\d{1,6}$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));
}

/** Each parameter's schema and, for the 400 answer, the form it expects. */
const PARAMETERS = {
  from: { schema: z.string().max(40), expected: 'an ISO-8601 date-time with a zone, or epoch milliseconds' },
  to: { schema: z.string().max(40), expected: 'an ISO-8601 date-time with a zone, or epoch milliseconds' },
  step: { schema: z.string().max(8), expected: 'auto, 1m, 5m, 15m, 30m, 1h, 2h, 6h, 12h or 1d' },
  service: { schema: z.string().min(1).max(256), expected: 'a service name of 1–256 characters' },
  route: { schema: z.string().min(1).max(1024), expected: 'a route template of 1–1024 characters' },
  origin: { schema: z.string().min(1).max(512), expected: 'an origin of 1–512 characters' },
  method: { schema: z.string().regex(METHOD), expected: 'an HTTP method (a token of 1–32 characters)' },
  outcome: { schema: z.enum(OUTCOMES), expected: `one of ${OUTCOMES.join(', ')}` },
  kind: { schema: z.enum(CORS_KINDS), expected: `one of ${CORS_KINDS.join(', ')}` },
  metric: { schema: z.enum(METRICS), expected: `one of ${METRICS.join(', ')}` },
  groupBy: { schema: z.enum(GROUP_BYS), expected: `one of ${GROUP_BYS.join(', ')}` },
  finding: { schema: z.enum(FINDINGS), expected: 'reason or warning' },
  code: {
    schema: z.string().regex(CODE),
    expected: 'a reason or warning code such as allow_origin_mismatch',
  },
  limit: { schema: count(1, 1000), expected: 'a whole number from 1 to 1000' },
  top: { schema: count(1, 50), expected: 'a whole number from 1 to 50' },
  examples: { schema: count(0, 20), expected: 'a whole number from 0 to 20' },
} as const;

/** A parameter's schema (from its one string value) and, for the 400 answer, the form it expects. */
export interface ParameterSpec {
  readonly schema: z.ZodType<unknown, string>;
  readonly expected: string;
}
type ParameterName = keyof typeof PARAMETERS;
type ParsedParameters<T extends Record<string, ParameterSpec>, K extends keyof T> = {
  readonly [P in K]?: z.output<T[P]['schema']>;
};

/**
 * Reads the named parameters of `table` from a parsed query string (Fastify gives a string per key, an
 * array when a key is repeated, refused here). Other keys are ignored, so a cache-busting parameter does no
 * harm.
 */
export function readParametersOf<T extends Record<string, ParameterSpec>, K extends keyof T & string>(
  table: T,
  query: unknown,
  names: readonly K[],
): ParsedParameters<T, K> {
  const source = typeof query === 'object' && query !== null ? (query as Record<string, unknown>) : {};
  const out: Partial<Record<K, unknown>> = {};
  for (const name of names) {
    const value = source[name];
    if (value === undefined) continue;
    const { schema, expected } = table[name] as ParameterSpec;
    if (typeof value !== 'string') throw new QueryParameterError(name, `${expected}, given once`, value);
    const result = schema.safeParse(value);
    if (!result.success) throw new QueryParameterError(name, expected, value);
    out[name] = result.data;
  }
  return out as ParsedParameters<T, K>;
}

/** Reads the named query API parameters (readParametersOf). */
export function readParameters<K extends ParameterName>(
  query: unknown,
  names: readonly K[],
): ParsedParameters<typeof PARAMETERS, K> {
  return readParametersOf(PARAMETERS, query, names);
}

/** Row filters every endpoint may take (a subset each); absent means "all". */
export interface QueryFilters {
  readonly service?: string | undefined;
  readonly route?: string | undefined;
  readonly origin?: string | undefined;
  /** The method sent (OPTIONS for preflights), except where an endpoint says otherwise. */
  readonly method?: string | undefined;
  readonly outcome?: (typeof OUTCOMES)[number] | undefined;
  readonly kind?: (typeof CORS_KINDS)[number] | undefined;
}

export const FILTER_NAMES = ['service', 'route', 'origin', 'method', 'outcome', 'kind'] as const;

export function readRange(query: unknown, nowMs: number): TimeRange {
  const { from, to } = readParameters(query, ['from', 'to']);
  return resolveRange(from, to, nowMs);
}

export function readRangeAndStep(query: unknown, nowMs: number): { range: TimeRange; step: Step } {
  const range = readRange(query, nowMs);
  const { step } = readParameters(query, ['step']);
  return { range, step: resolveStep(step, range) };
}

export function readFilters<K extends (typeof FILTER_NAMES)[number]>(
  query: unknown,
  names: readonly K[],
): Pick<QueryFilters, K> {
  return readParameters(query, names) as Pick<QueryFilters, K>;
}

// --- POST /simulate ------------------------------------------------------------------------------------

/** `scheme://host[:port]`, optionally `scheme://*.host[:port]`, or the opaque origin `null`. */
const ALLOWLIST_ENTRY =
  /^(?:null|https?:\/\/(?:\*\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)*(?::\d{1,5})?|https?:\/\/\[[0-9a-f:.]+\](?::\d{1,5})?)$/;

export interface SimulationRequest {
  readonly allowlist: readonly string[];
  readonly service: string | undefined;
  readonly from: string | undefined;
  readonly to: string | undefined;
  readonly limit: number | undefined;
}

/** Longest allowlist entry: longer than any origin a browser sends (the instrumentation caps those at 512). */
const ALLOWLIST_ENTRY_LENGTH = 300;

const simulationBody = z.object({
  allowlist: z.array(z.string().max(ALLOWLIST_ENTRY_LENGTH)).max(1000),
  service: PARAMETERS.service.schema.optional(),
  from: z.union([PARAMETERS.from.schema, z.number().int().nonnegative()]).optional(),
  to: z.union([PARAMETERS.to.schema, z.number().int().nonnegative()]).optional(),
  limit: z.number().int().min(1).max(1000).optional(),
});

const ALLOWLIST_ENTRY_EXPECTED =
  'an origin (scheme://host[:port]), a wildcard such as https://*.example.com, or null';

const BODY_EXPECTED: Record<string, string> = {
  allowlist:
    'an array of at most 1000 origins, each scheme://host[:port] or a wildcard such as https://*.example.com',
  service: PARAMETERS.service.expected,
  from: PARAMETERS.from.expected,
  to: PARAMETERS.to.expected,
  limit: 'a whole number from 1 to 1000',
};

export function readSimulationRequest(body: unknown): SimulationRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new QueryParameterError('body', 'a JSON object { allowlist: string[], service?, from?, to? }');
  }
  const result = simulationBody.safeParse(body);
  if (!result.success) {
    const path = result.error.issues[0]?.path ?? [];
    const name = String(path[0] ?? 'body');
    const index = path[1];
    if (name === 'allowlist' && typeof index === 'number') {
      // One entry is wrong (not text, or too long): name it, as the entry checks below do.
      throw new QueryParameterError(
        `allowlist[${String(index)}]`,
        `${ALLOWLIST_ENTRY_EXPECTED}, at most ${String(ALLOWLIST_ENTRY_LENGTH)} characters`,
        (body as { allowlist: unknown[] }).allowlist[index],
      );
    }
    throw new QueryParameterError(name, BODY_EXPECTED[name] ?? 'a JSON object { allowlist: string[] }');
  }
  const data = result.data;
  const allowlist = data.allowlist.map((entry) => entry.trim().toLowerCase());
  allowlist.forEach((entry, index) => {
    const port = /:(\d+)$/.exec(entry)?.[1];
    if (!ALLOWLIST_ENTRY.test(entry) || (port !== undefined && Number(port) > 65_535)) {
      throw new QueryParameterError(`allowlist[${index}]`, ALLOWLIST_ENTRY_EXPECTED, data.allowlist[index]);
    }
  });
  return {
    allowlist,
    service: data.service,
    from: data.from === undefined ? undefined : String(data.from),
    to: data.to === undefined ? undefined : String(data.to),
    limit: data.limit,
  };
}
