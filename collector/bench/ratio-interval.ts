// Ratios of throughputs measured in pairs (two collectors loaded at once), as geometric means with a 95 %
// interval from Student's t: the pair benches' arithmetic.

export interface Interval {
  readonly ratio: number;
  readonly low: number;
  readonly high: number;
}

// Two-sided 95 % quantiles of Student's t by degrees of freedom; past 30 the normal one.
const T95: readonly number[] = [
  Number.NaN,
  12.71,
  4.3,
  3.18,
  2.78,
  2.57,
  2.45,
  2.36,
  2.31,
  2.26,
  2.23,
  2.2,
  2.18,
  2.16,
  2.14,
  2.13,
  2.12,
  2.11,
  2.1,
  2.09,
  2.09,
  2.08,
  2.07,
  2.07,
  2.06,
  2.06,
  2.06,
  2.05,
  2.05,
  2.05,
  2.04,
];

export function t95(degrees: number): number {
  return T95[Math.max(1, Math.floor(degrees))] ?? 1.96;
}

export function meanAndVariance(values: readonly number[]): { mean: number; variance: number } {
  const mean = values.reduce((total, value) => total + value, 0) / values.length;
  const variance = values.reduce((total, value) => total + (value - mean) ** 2, 0) / (values.length - 1);
  return { mean, variance };
}

/** exp of a mean log ratio and its interval. */
export function interval(mean: number, halfWidth: number): Interval {
  return { ratio: Math.exp(mean), low: Math.exp(mean - halfWidth), high: Math.exp(mean + halfWidth) };
}

/** The geometric mean of `ratios` and its interval; NaN bounds with fewer than two. */
export function geometricInterval(ratios: readonly number[]): Interval {
  const logs = ratios.map(Math.log);
  if (logs.length < 2) return interval(logs[0] ?? Number.NaN, Number.NaN);
  const { mean, variance } = meanAndVariance(logs);
  return interval(mean, t95(logs.length - 1) * Math.sqrt(variance / logs.length));
}
