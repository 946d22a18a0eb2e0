// A candidate allowlist for the simulator: exact origins and `scheme://*.host[:port]` wildcards. Pure. A
// wildcard stands for one or more labels in front of the host (https://*.example.com matches
// https://a.example.com and https://a.b.example.com, not https://example.com), with the same scheme and
// port, as allowlists in CORS middleware usually mean it. Wildcards become RE2 patterns, escaped here and
// bound as query parameters; exact entries are compared as strings.

export interface AllowlistMatchers {
  readonly exact: readonly string[];
  /** RE2 (and JavaScript) regular expressions, anchored. */
  readonly patterns: readonly string[];
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Entries must already be validated and lower-cased (readSimulationRequest does both). */
export function allowlistMatchers(allowlist: readonly string[]): AllowlistMatchers {
  const exact = new Set<string>();
  const patterns = new Set<string>();
  for (const entry of allowlist) {
    const star = entry.indexOf('://*.');
    if (star === -1) {
      exact.add(entry);
      continue;
    }
    const scheme = entry.slice(0, star);
    const rest = entry.slice(star + '://*.'.length);
    patterns.add(`^${escapeRegExp(scheme)}://[a-z0-9-]+(\\.[a-z0-9-]+)*\\.${escapeRegExp(rest)}$`);
  }
  return { exact: [...exact], patterns: [...patterns] };
}

/** The same decision in JavaScript, for tests and callers without ClickHouse. */
export function allowedByList(origin: string, matchers: AllowlistMatchers): boolean {
  return (
    matchers.exact.includes(origin) || matchers.patterns.some((pattern) => new RegExp(pattern).test(origin))
  );
}

/** The same decision as an SQL expression over `origin`, with {exact} and {patterns} bound. */
export const ALLOWED_BY_LIST_SQL =
  '(origin IN {exact:Array(String)} OR arrayExists(p -> match(origin, p), {patterns:Array(String)}))';
