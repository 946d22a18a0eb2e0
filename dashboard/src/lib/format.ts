// How numbers and instants read on screen. Counts are sums of sample weights: whole numbers print as
// integers, fractional ones keep up to two decimals.
const COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const PERCENT = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 });

export function formatCount(value: number): string {
  return COUNT.format(value);
}

/** The noun for a count: singular for exactly one, plural otherwise (`1.5 requests`, `0 origins`). */
export function noun(value: number, singular: string, plural = `${singular}s`): string {
  return value === 1 ? singular : plural;
}

/** `1 origin`, `3 origins`: a count with its noun. */
export function formatCounted(value: number, singular: string, plural?: string): string {
  return `${formatCount(value)} ${noun(value, singular, plural)}`;
}

export function formatShare(value: number): string {
  return PERCENT.format(value);
}

/** `2026-11-26 13:05 UTC`: the same text on the server and in every browser. */
export function formatInstant(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
