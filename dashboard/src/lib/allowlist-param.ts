// The simulator's candidate allowlist in the URL (`allowlist`, one origin per line or comma-separated), so a
// simulation is a link like every other view. Pure.

/** At most this many entries are sent (the query API accepts 1000). */
export const MAX_ALLOWLIST_ENTRIES = 1000;

/**
 * The Node flag every launcher of `next start` passes (scripts/start.ts, the Dockerfile, the tests): a
 * simulation is a GET whose URL holds the allowlist, and Node refuses a request line and headers past 16 KiB
 * with a bare 431, some 300 origins. 1000 origins of a hundred characters, URL-encoded, fit in 256 KiB. A
 * proxy in front of the dashboard needs as long a request line.
 */
export const DASHBOARD_NODE_FLAGS = ['--max-http-header-size=262144'] as const;

export function readAllowlist(value: string | string[] | undefined): string[] | undefined {
  const text = Array.isArray(value) ? value.join('\n') : value;
  if (text === undefined) return undefined;
  const entries = text
    .split(/[\s,]+/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  // Never cut: a list past MAX_ALLOWLIST_ENTRIES goes to the collector, whose refusal the page shows. Cutting
  // it silently simulated a list without its last entries and reported their origins as refused.
  return [...new Set(entries)];
}
