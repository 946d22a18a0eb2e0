// Rule filters (`service: checkout-*`, `route: /orders/*`, `origin: https://*.example.com`) are globs: `*`
// any run of characters (also empty, also `/` and `.`), `?` exactly one, `\` makes the next character
// literal. Matched by walking the pattern, never by building a RegExp from user text, so a filter cannot
// inject a regular expression or make one backtrack exponentially: the walk below is O(pattern × text).

type GlobToken =
  { readonly kind: 'literal'; readonly char: string } | { readonly kind: 'one' } | { readonly kind: 'any' };

export interface Glob {
  readonly source: string;
  /** True when the pattern has no wildcard (an exact comparison). */
  readonly exact: boolean;
  matches(text: string): boolean;
}

function tokenize(pattern: string): readonly GlobToken[] {
  const tokens: GlobToken[] = [];
  const chars = Array.from(pattern);
  for (let i = 0; i < chars.length; i += 1) {
    const char = chars[i] as string;
    if (char === '\\' && i + 1 < chars.length) {
      i += 1;
      tokens.push({ kind: 'literal', char: chars[i] as string });
    } else if (char === '*') {
      // `**` means the same as `*`; collapsing keeps the walk from revisiting the same star.
      if (tokens.at(-1)?.kind !== 'any') tokens.push({ kind: 'any' });
    } else if (char === '?') {
      tokens.push({ kind: 'one' });
    } else {
      tokens.push({ kind: 'literal', char });
    }
  }
  return tokens;
}

/**
 * The classic two-pointer wildcard walk: on a mismatch, go back to the last `*` and let it eat one more
 * character. Only the last star is ever retried, which bounds the work at pattern length × text length.
 */
function walk(tokens: readonly GlobToken[], text: readonly string[]): boolean {
  let t = 0;
  let p = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    const token = tokens[p];
    if (token !== undefined && token.kind === 'any') {
      starP = p;
      starT = t;
      p += 1;
    } else if (token !== undefined && (token.kind === 'one' || token.char === text[t])) {
      p += 1;
      t += 1;
    } else if (starP !== -1) {
      p = starP + 1;
      starT += 1;
      t = starT;
    } else {
      return false;
    }
  }
  while (tokens[p]?.kind === 'any') p += 1;
  return p === tokens.length;
}

export function compileGlob(pattern: string): Glob {
  const tokens = tokenize(pattern);
  const literalChars = tokens.flatMap((token) => (token.kind === 'literal' ? [token.char] : []));
  const exact = literalChars.length === tokens.length;
  const literal = literalChars.join('');
  return {
    source: pattern,
    exact,
    matches: exact ? (text) => text === literal : (text) => walk(tokens, Array.from(text)),
  };
}

/**
 * The same pattern for ClickHouse's `LIKE` (bound as a query parameter, never spliced): `%` and `_` and `\`
 * in the text are escaped, `*` → `%`, `?` → `_`.
 */
export function globToSqlLike(pattern: string): string {
  return tokenize(pattern)
    .map((token) => {
      if (token.kind === 'any') return '%';
      if (token.kind === 'one') return '_';
      return token.char === '%' || token.char === '_' || token.char === '\\' ? `\\${token.char}` : token.char;
    })
    .join('');
}
