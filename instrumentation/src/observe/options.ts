// The options users pass to the Fastify plugin, the Node middleware and startCorsight, validated and
// normalised once at registration (like @fastify/cors): the hot path reads plain fields.
import type { TracerProvider } from '@opentelemetry/api';
import { type AggregatorLimits, DEFAULT_AGGREGATOR_LIMITS } from '../aggregate/aggregator.js';
import { serialiseOrigin } from '../core/index.js';
import { type CorsPolicy, describePolicy, type PolicyFacts } from './policy.js';

export interface CorsightOptions {
  /** Put on every span as `service.name` (normally the SDK's resource says it). */
  readonly serviceName?: string | undefined;
  /** The API's public origin (`https://api.example.com`); by default each request's Host is used. */
  readonly serverOrigin?: string | undefined;
  /** The CORS policy the application configures (the @fastify/cors / cors options object). */
  readonly policy?: CorsPolicy | undefined;
  /**
   * Unset (the default): exact counts in summary spans plus a few detail spans. A probability in (0, 1]:
   * instead, a detail span for that share of requests, weighted 1/probability (`1` = a span per request).
   */
  readonly sampling?: number | undefined;
  /** How often summary spans are emitted, in milliseconds (default 5000). */
  readonly flushIntervalMs?: number | undefined;
  /** Bounds on what one interval keeps (origins per route, keys, exemplars). */
  readonly limits?: Partial<AggregatorLimits> | undefined;
  /** Where spans go; by default the globally registered provider. */
  readonly tracerProvider?: TracerProvider | undefined;
}

export interface ObserverSettings {
  readonly serviceName: string | undefined;
  readonly serverOrigin: string | undefined;
  readonly policy: PolicyFacts | undefined;
  readonly sampling: number | undefined;
  readonly flushIntervalMs: number;
  readonly limits: AggregatorLimits;
  readonly tracerProvider: TracerProvider | undefined;
  readonly random: () => number;
}

export const DEFAULT_FLUSH_INTERVAL_MS = 5000;

/** A wrong option value: the message names the option and the expected form. */
export class CorsightOptionError extends TypeError {
  readonly code = 'CORSIGHT_INVALID_OPTION';
}

function integerOption(name: string, value: number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min) {
    throw new CorsightOptionError(
      `corsight: ${name} must be an integer of at least ${min}, got ${String(value)}`,
    );
  }
  return value;
}

// Every option any adapter takes (the middleware's `route`), and those Fastify's register() reads itself.
const OPTION_NAMES = [
  'serviceName',
  'serverOrigin',
  'policy',
  'sampling',
  'flushIntervalMs',
  'limits',
  'tracerProvider',
  'route',
  'prefix',
  'logLevel',
  'logSerializers',
] as const;
const LIMIT_NAMES = Object.keys(DEFAULT_AGGREGATOR_LIMITS);

/** A misspelt option (`servicename`) would be ignored without a word: it is refused, with the right name. */
function checkNames(given: object, known: readonly string[], where: string): void {
  for (const name of Object.keys(given)) {
    if (known.includes(name)) continue;
    const meant = known.find((candidate) => candidate.toLowerCase() === name.toLowerCase());
    throw new CorsightOptionError(
      `corsight: unknown option ${where}${JSON.stringify(name.slice(0, 64))}` +
        (meant === undefined ? `; the options are ${known.join(', ')}` : `; did you mean ${meant}?`),
    );
  }
}

export function normaliseOptions(options: CorsightOptions): ObserverSettings {
  checkNames(options, OPTION_NAMES, '');
  if (typeof options.limits === 'object') checkNames(options.limits, LIMIT_NAMES, 'limits.');
  const { sampling, serverOrigin, serviceName } = options;
  if (sampling !== undefined && !(sampling > 0 && sampling <= 1)) {
    throw new CorsightOptionError(
      `corsight: sampling must be a probability in (0, 1] (1 = a span per request), got ${String(sampling)}`,
    );
  }
  let origin: string | undefined;
  if (serverOrigin !== undefined) {
    origin = serialiseOrigin(serverOrigin);
    if (origin === undefined) {
      throw new CorsightOptionError(
        `corsight: serverOrigin must be an http(s) origin such as "https://api.example.com", got "${serverOrigin}"`,
      );
    }
  }
  if (serviceName !== undefined && (typeof serviceName !== 'string' || serviceName === '')) {
    throw new CorsightOptionError('corsight: serviceName must be a non-empty string');
  }
  const limits = options.limits ?? {};
  return {
    serviceName,
    serverOrigin: origin,
    policy: options.policy === undefined ? undefined : describePolicy(options.policy),
    sampling,
    flushIntervalMs: integerOption('flushIntervalMs', options.flushIntervalMs, DEFAULT_FLUSH_INTERVAL_MS),
    limits: {
      originsPerRoute: integerOption(
        'limits.originsPerRoute',
        limits.originsPerRoute,
        DEFAULT_AGGREGATOR_LIMITS.originsPerRoute,
      ),
      keysPerInterval: integerOption(
        'limits.keysPerInterval',
        limits.keysPerInterval,
        DEFAULT_AGGREGATOR_LIMITS.keysPerInterval,
      ),
      exemplarsPerKey: integerOption(
        'limits.exemplarsPerKey',
        limits.exemplarsPerKey,
        DEFAULT_AGGREGATOR_LIMITS.exemplarsPerKey,
        0,
      ),
      exemplarsPerBlockedKey: integerOption(
        'limits.exemplarsPerBlockedKey',
        limits.exemplarsPerBlockedKey,
        DEFAULT_AGGREGATOR_LIMITS.exemplarsPerBlockedKey,
        0,
      ),
    },
    tracerProvider: options.tracerProvider,
    random: Math.random,
  };
}
