// The in-memory side of the shared minutes: groupings kept from one cycle to the next (TripleGroups.forTriples)
// give the numbers and ids fresh ones would, and the top reasons cut from per-window triple totals
// (tripleReasons, reasonsFromRecent) are the ones summed row by row.
import { describe, expect, it } from 'vitest';
import { keyId } from './alert-key.js';
import type { AlertRule } from './alert-rule.js';
import {
  reasonsFromRecent,
  tripleReasons,
  TripleGroups,
  type MutableGroup,
  type RecentReason,
  type RecentTraffic,
  type Triple,
} from './recent-traffic.js';

const MINUTE = 60_000;
const NOW = Date.UTC(2026, 10, 16, 12, 0);
const SERVICES = ['orders-api', 'search-api'];
const ROUTES = ['/orders', '/orders/:id', '/search'];
const CODES = ['allow_origin_mismatch', 'header_not_allowed', 'method_not_allowed', 'credentials_wildcard'];

type Grouping = Pick<AlertRule, 'filter' | 'groupBy'>;
const GROUPINGS: readonly Grouping[] = [
  { filter: {}, groupBy: ['service', 'origin'] },
  { filter: { service: 'orders-*' }, groupBy: ['origin'] },
  { filter: { route: '/orders*' }, groupBy: ['service', 'route', 'origin'] },
  { filter: {}, groupBy: [] },
];

function triplesOf(count: number, offset = 0): Triple[] {
  return Array.from({ length: count }, (_, i) => ({
    service: SERVICES[(i + offset) % SERVICES.length] ?? '',
    route: ROUTES[(i + offset) % ROUTES.length] ?? '',
    origin: `https://app${String((i + offset) % 7)}.example.com`,
  }));
}

/** A fresh instance's numbering of `triples`, as group ids per triple. */
function groupIdsOf(groups: TripleGroups, grouping: Grouping): (string | null)[] {
  const { of, ids } = groups.view(grouping).groups();
  return Array.from(of, (number) => (number < 0 ? null : (ids[number] ?? 'missing')));
}

describe('TripleGroups.forTriples', () => {
  it('keeps the groups of the known triples and numbers the appended ones as a fresh instance would', () => {
    const known = triplesOf(20);
    const kept = new TripleGroups(known);
    const before = GROUPINGS.map((grouping) => kept.view(grouping).groups());
    const numbersBefore = before.map((dense) => Array.from(dense.of));
    const appended = [...known, ...triplesOf(15, 3)];
    expect(kept.forTriples(appended)).toBe(kept);
    expect(kept.triples).toBe(appended);
    const fresh = new TripleGroups(appended);
    for (const [index, grouping] of GROUPINGS.entries()) {
      const after = kept.view(grouping).groups();
      expect(after.of.length).toBe(appended.length);
      // Known triples keep their numbers: a rule of the last cycle and one of this cycle agree.
      expect(Array.from(after.of.subarray(0, known.length))).toEqual(numbersBefore[index]);
      expect(groupIdsOf(kept, grouping)).toEqual(groupIdsOf(fresh, grouping));
    }
  });

  it('starts afresh for triples that do not extend the known ones (a full read numbers them anew)', () => {
    const known = triplesOf(10);
    const kept = new TripleGroups(known);
    kept.view(GROUPINGS[0] as Grouping).groups();
    const reread = triplesOf(12);
    const next = kept.forTriples(reread);
    expect(next).not.toBe(kept);
    expect(next.triples).toBe(reread);
    expect(kept.forTriples(known.slice(0, 5))).not.toBe(kept);
    expect(kept.forTriples([...known.slice(0, 9), ...triplesOf(3)])).not.toBe(kept);
  });
});

/** A seeded stream of numbers in [0, 1). */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0;
    return state / 2 ** 32;
  };
}

function recentWithReasons(triples: readonly Triple[], rows: number, seed: number): RecentTraffic {
  const next = random(seed);
  const reasons: RecentReason[] = Array.from({ length: rows }, () => {
    const triple = Math.floor(next() * triples.length);
    return {
      ...(triples[triple] as Triple),
      triple,
      minuteMs: NOW - (1 + Math.floor(next() * 30)) * MINUTE,
      code: CODES[Math.floor(next() * CODES.length)] ?? '',
      requests: 1 + Math.floor(next() * 5),
    };
  }).sort((a, b) => a.minuteMs - b.minuteMs);
  return { fromMs: NOW - 60 * MINUTE, toMs: NOW, triples, minutes: [], reasons, fullReadAtMs: NOW };
}

/** The top three reasons of each group, summed row by row over the window (what the evaluator is given). */
function expectedTopReasons(
  recent: RecentTraffic,
  groups: TripleGroups,
  grouping: Grouping,
  windowMs: number,
): Map<string, { code: string; requests: number }[]> {
  const view = groups.view(grouping);
  const sums = new Map<string, Map<string, number>>();
  for (const row of recent.reasons) {
    if (row.minuteMs < NOW - windowMs || row.minuteMs >= NOW) continue;
    const id = view.groupOf(row.triple);
    if (id === null) continue;
    const codes = sums.get(id) ?? new Map<string, number>();
    codes.set(row.code, (codes.get(row.code) ?? 0) + row.requests);
    sums.set(id, codes);
  }
  return new Map(
    [...sums].map(([id, codes]) => [
      id,
      [...codes]
        .map(([code, requests]) => ({ code, requests }))
        .sort((a, b) => b.requests - a.requests || a.code.localeCompare(b.code))
        .slice(0, 3),
    ]),
  );
}

describe('reasonsFromRecent', () => {
  it('gives each live group the top reasons its rows in the window sum to', () => {
    const triples = triplesOf(40);
    const recent = recentWithReasons(triples, 2000, 7);
    const groups = new TripleGroups(triples);
    for (const windowMs of [5 * MINUTE, 15 * MINUTE]) {
      const reasons = tripleReasons(recent, NOW, windowMs);
      for (const grouping of GROUPINGS) {
        const view = groups.view(grouping);
        const { ids } = view.groups();
        // Every other group is live; the others get no reasons.
        const live = new Map<string, MutableGroup>(
          ids
            .filter((_, number) => number % 2 === 0)
            .map((id) => [id, { key: view.keyOf(id) ?? {}, blocked: 1, allowed: 0 }]),
        );
        reasonsFromRecent(reasons, view, live);
        const expected = expectedTopReasons(recent, groups, grouping, windowMs);
        for (const [id, group] of live) {
          expect(keyId(group.key)).toBe(id);
          expect(group.topReasons).toEqual(expected.get(id));
        }
      }
    }
  });
});
