// Grouping rows by several LowCardinality columns through their hashes. ClickHouse groups by one
// LowCardinality column through its dictionary, but by two or more through a key serialised per row; a
// function of one LowCardinality column is computed once per dictionary entry, and one UInt64 key hashes
// fastest of all. Each column's hash is read (sipHash64, once per dictionary entry) and the group key is
// their sum with distinct odd weights, one UInt64: over the query bench's 30 days, grouping the
// preflight-cache keys (route × origin × method, ~75k of them, ~460k rollup rows) took ~128 ms by name,
// ~98 ms by this key (names through any()), and the simulator's service × route and origin × route keys
// likewise.
//
// The names come back with any(): every row of a group has the same names unless two keys share a 64-bit
// sum, as likely as two random 64-bit numbers meeting (odds ~n²/2⁶⁵ among n keys), which would count them
// as one.
import type { Dimension } from './rollup-choice.js';

/** The column of a dimension's hash in rows read with `hashed` (rollupRows): `route` → `route_hash`. */
export function hashAlias(column: Dimension): string {
  return `${column}_hash`;
}

// Odd, so each weighted term stays a bijection of its hash (mod 2⁶⁴) and a sum collides only by chance.
const WEIGHTS = ['1', '0x9E3779B97F4A7C15', '0xC2B2AE3D27D4EB4F', '0x165667B19E3779F9'] as const;

/** One UInt64 per key of `columns` over rows read with `hashed`: the GROUP BY of those rows. */
export function hashedKey(columns: readonly Dimension[]): string {
  if (columns.length > WEIGHTS.length) throw new RangeError(`at most ${WEIGHTS.length} hashed columns`);
  return columns
    .map((column, index) =>
      index === 0 ? hashAlias(column) : `${WEIGHTS[index] ?? '1'} * ${hashAlias(column)}`,
    )
    .join(' + ');
}
