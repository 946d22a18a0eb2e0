// How long the batch writer waits before retrying a failed insert: exponential, capped, with jitter so
// that collectors that lost the same ClickHouse at the same moment do not come back in lockstep. "Equal
// jitter" (half fixed, half random) rather than full jitter: a retry never comes sooner than half the
// exponential delay, which keeps a down ClickHouse from being hammered by unlucky draws.

export interface BackoffPolicy {
  /** Delay before the first retry, before jitter. */
  readonly initialDelayMs: number;
  /** No delay exceeds this, jitter included. */
  readonly maxDelayMs: number;
  /** Growth per consecutive failure. */
  readonly factor: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialDelayMs: 200, maxDelayMs: 30_000, factor: 2 };

/**
 * Delay after the `failures`-th consecutive failure (1 = first failure). `random` is a draw in [0, 1),
 * passed in so the function stays pure.
 */
export function backoffDelayMs(failures: number, policy: BackoffPolicy, random: number): number {
  const exponent = Math.max(0, failures - 1);
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.factor ** exponent);
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}
