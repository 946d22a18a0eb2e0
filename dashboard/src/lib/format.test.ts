import { describe, expect, it } from 'vitest';
import { formatCount, formatCounted, formatInstant, noun } from './format';

describe('counts', () => {
  it.each([
    [0, '0 origins'],
    [1, '1 origin'],
    [1.5, '1.5 origins'],
    [2, '2 origins'],
    [12_345, '12,345 origins'],
  ])('%d → %s', (value, text) => {
    expect(formatCounted(value, 'origin')).toBe(text);
  });

  it('takes an irregular plural', () => {
    expect(noun(1, 'entry', 'entries')).toBe('entry');
    expect(formatCounted(3, 'entry', 'entries')).toBe('3 entries');
  });

  it('keeps up to two decimals of a weighted count', () => {
    expect(formatCount(2.3456)).toBe('2.35');
  });
});

describe('formatInstant', () => {
  it('reads the same everywhere, and leaves what it cannot read', () => {
    expect(formatInstant('2026-11-26T13:05:59.900Z')).toBe('2026-11-26 13:05 UTC');
    expect(formatInstant('not a date')).toBe('not a date');
  });
});
