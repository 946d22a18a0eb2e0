// How numbers and instants read on screen. Counts are sums of sample weights: whole numbers print as
// integers, fractional ones keep up to two decimals.
const COUNT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2 });
const PERCENT = new Intl.NumberFormat('en-US', { style: 'percent', maximumFractionDigits: 1 });

export function formatCount(value: number): string {
  return COUNT.format(value);
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
