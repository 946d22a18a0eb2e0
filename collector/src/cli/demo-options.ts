// `corsight demo` arguments, validated once; a wrong value is refused with the expected form.

export type DemoUsageErrorCode =
  'invalid_url' | 'invalid_port' | 'invalid_duration' | 'invalid_speed' | 'invalid_seed';

/** A `corsight demo` option is malformed; the message names it and the expected form. */
export class DemoUsageError extends Error {
  override readonly name = 'DemoUsageError';
  readonly code: DemoUsageErrorCode;

  constructor(code: DemoUsageErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** The options as commander hands them over: strings, unvalidated. */
export interface RawDemoOptions {
  readonly collector?: string | undefined;
  readonly shopPort?: string | undefined;
  readonly catalogPort?: string | undefined;
  readonly duration?: string | undefined;
  readonly speed?: string | undefined;
  readonly seed?: string | undefined;
}

export interface DemoCommandOptions {
  /** OTLP/HTTP base URL of the collector (also where /readyz is asked). */
  readonly collectorUrl: string;
  readonly shopPort: number;
  readonly catalogPort: number;
  /** Real seconds; undefined: until Ctrl-C. */
  readonly durationSeconds: number | undefined;
  readonly speed: number;
  readonly seed: number;
}

export const DEMO_DEFAULTS = {
  collector: 'http://127.0.0.1:4318',
  shopPort: 4400,
  catalogPort: 4401,
  /** Not a flag: when it is taken, the inventory API listens on any free port and the traffic follows. */
  inventoryPort: 4402,
  seed: 1,
} as const;

const MAX_SPEED = 20;

function port(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number > 65535) {
    throw new DemoUsageError(
      'invalid_port',
      `--${name} must be a port number 0–65535 (0 picks a free one), got "${value}"`,
    );
  }
  return number;
}

export function parseDemoOptions(raw: RawDemoOptions): DemoCommandOptions {
  const collectorUrl = raw.collector ?? DEMO_DEFAULTS.collector;
  if (!URL.canParse(collectorUrl) || !/^https?:$/.test(new URL(collectorUrl).protocol)) {
    throw new DemoUsageError(
      'invalid_url',
      `--collector must be the collector's http(s) base URL such as ${DEMO_DEFAULTS.collector}, got "${collectorUrl}"`,
    );
  }
  let durationSeconds: number | undefined;
  if (raw.duration !== undefined) {
    durationSeconds = Number(raw.duration);
    if (!(durationSeconds > 0) || !Number.isFinite(durationSeconds)) {
      throw new DemoUsageError(
        'invalid_duration',
        `--duration must be a number of seconds above 0, got "${raw.duration}"`,
      );
    }
  }
  const speed = raw.speed === undefined ? 1 : Number(raw.speed);
  if (!(speed > 0 && speed <= MAX_SPEED)) {
    throw new DemoUsageError(
      'invalid_speed',
      `--speed must be a number above 0 and at most ${MAX_SPEED} (scenario seconds per second), got "${raw.speed ?? ''}"`,
    );
  }
  const seed = raw.seed === undefined ? DEMO_DEFAULTS.seed : Number(raw.seed);
  if (!Number.isSafeInteger(seed)) {
    throw new DemoUsageError('invalid_seed', `--seed must be an integer, got "${raw.seed ?? ''}"`);
  }
  return {
    collectorUrl: collectorUrl.replace(/\/+$/, ''),
    shopPort: port('shop-port', raw.shopPort, DEMO_DEFAULTS.shopPort),
    catalogPort: port('catalog-port', raw.catalogPort, DEMO_DEFAULTS.catalogPort),
    durationSeconds,
    speed,
    seed,
  };
}
