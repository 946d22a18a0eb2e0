// Durations in rule files (`5m`, `1h30m`, `7d`), as Prometheus rule files write them. A small parser rather
// than a library: the grammar is five units and the errors must name the rule field, which the caller adds.
// Milliseconds are not accepted: the evaluator runs once a minute over per-minute rollups, so anything
// finer than a second is meaningless in a rule.

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

type Unit = keyof typeof UNIT_MS;

// Units in descending order, each at most once, e.g. `1d12h`, `90m`, `2w`. No spaces, no signs, no fractions.
const DURATION = /^(?:(\d{1,6})w)?(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,6})s)?$/;
const UNITS_IN_ORDER: readonly Unit[] = ['w', 'd', 'h', 'm', 's'];

/** What a wrong duration's message says it expected. */
export const DURATION_EXPECTED = 'a duration like 5m, 1h, 7d';

/** `5m` → 300000. Undefined when `text` is not a duration (the caller names the field in its error). */
export function parseDuration(text: string): number | undefined {
  if (text === '' || text === '0') return text === '0' ? 0 : undefined;
  const match = DURATION.exec(text);
  if (match === null) return undefined;
  let total = 0;
  UNITS_IN_ORDER.forEach((unit, index) => {
    const digits = match[index + 1];
    if (digits !== undefined) total += Number(digits) * UNIT_MS[unit];
  });
  return total;
}

/**
 * 300000 → `5m`, 5400000 → `1h30m`, 2592000000 → `30d`: text that parses back to the same value. Weeks only
 * when the value is whole weeks (`2w`), as Prometheus writes durations: `30d` reads better than `4w2d`.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`a duration must be ≥ 0 ms, got ${ms}`);
  if (ms === 0) return '0';
  let rest = Math.round(ms / 1000) * 1000;
  let text = '';
  for (const unit of UNITS_IN_ORDER) {
    const count = Math.floor(rest / UNIT_MS[unit]);
    if (unit === 'w' && rest % UNIT_MS.w !== 0) continue;
    if (count > 0) {
      text += `${count}${unit}`;
      rest -= count * UNIT_MS[unit];
    }
  }
  return text === '' ? '0' : text;
}
