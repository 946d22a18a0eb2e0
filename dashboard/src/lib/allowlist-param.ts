// The simulator's candidate allowlist in the URL (`allowlist`, one origin per line or comma-separated), so a
// simulation is a link like every other view. Pure.

/** At most this many entries are sent (the query API accepts 1000). */
export const MAX_ALLOWLIST_ENTRIES = 1000;

export function readAllowlist(value: string | string[] | undefined): string[] | undefined {
  const text = Array.isArray(value) ? value.join('\n') : value;
  if (text === undefined) return undefined;
  const entries = text
    .split(/[\s,]+/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  return [...new Set(entries)].slice(0, MAX_ALLOWLIST_ENTRIES);
}
