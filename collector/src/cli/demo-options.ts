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
  readonly inventoryPort?: string | undefined;
  readonly duration?: string | undefined;
  readonly speed?: string | undefined;
  readonly seed?: string | undefined;
}

export interface DemoCommandOptions {
  /** OTLP/HTTP base URL of the collector (also where /readyz is asked). */
  readonly collectorUrl: string;
  readonly shopPort: number;
  readonly catalogPort: number;
  /** Taken when free, else any free port (the traffic follows). */
  readonly inventoryPort: number;
  /** Real seconds; undefined: until Ctrl-C. */
  readonly durationSeconds: number | undefined;
  readonly speed: number;
  readonly seed: number;
}

export const DEMO_DEFAULTS = {
  collector: 'http://127.0.0.1:4318',
  shopPort: 4400,
  catalogPort: 4401,
  /** When it is taken, the inventory API listens on any free port and the traffic follows. */
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
  const speed = parseDemoSpeed(raw.speed);
  const seed = raw.seed === undefined ? DEMO_DEFAULTS.seed : Number(raw.seed);
  if (!Number.isSafeInteger(seed)) {
    throw new DemoUsageError('invalid_seed', `--seed must be an integer, got "${raw.seed ?? ''}"`);
  }
  const ports = {
    shopPort: port('shop-port', raw.shopPort, DEMO_DEFAULTS.shopPort),
    catalogPort: port('catalog-port', raw.catalogPort, DEMO_DEFAULTS.catalogPort),
    inventoryPort: port('inventory-port', raw.inventoryPort, DEMO_DEFAULTS.inventoryPort),
  };
  checkDistinctPorts(ports);
  return {
    collectorUrl: collectorUrl.replace(/\/+$/, ''),
    ...ports,
    durationSeconds,
    speed,
    seed,
  };
}

/** `--speed` (or the launcher's `--demo-speed`, `flag`): scenario seconds per real second. */
export function parseDemoSpeed(value: string | undefined, flag = 'speed'): number {
  const speed = value === undefined ? 1 : Number(value);
  if (!(speed > 0 && speed <= MAX_SPEED)) {
    throw new DemoUsageError(
      'invalid_speed',
      `--${flag} must be a number above 0 and at most ${MAX_SPEED} (scenario seconds per second), got "${value ?? ''}"`,
    );
  }
  return speed;
}

/** Two services cannot listen on one port: said before anything starts (0, any free port, may repeat). */
export function checkDistinctPorts(ports: Readonly<Record<string, number>>): void {
  const seen = new Map<number, string>();
  for (const [name, value] of Object.entries(ports)) {
    const flag = `--${name.replace(/Port$/, '')}-port`;
    const other = seen.get(value);
    if (value !== 0 && other !== undefined) {
      throw new DemoUsageError(
        'invalid_port',
        `${other} and ${flag} must differ (0 picks a free port), both are ${value}`,
      );
    }
    seen.set(value, flag);
  }
}
