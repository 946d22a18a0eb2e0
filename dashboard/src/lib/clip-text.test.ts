import { describe, expect, it } from 'vitest';
import { clipText } from './clip-text';

describe('clipText', () => {
  it.each([
    ['https://a.test', 20, 'https://a.test'],
    ['https://a.test', 14, 'https://a.test'],
    ['https://a.test', 10, 'https://a…'],
    // Characters, not UTF-16 units: an emoji is never cut in half.
    ['😀😀😀', 2, '😀…'],
  ])('%j at most %i → %j', (text, max, expected) => {
    expect(clipText(text, max)).toBe(expected);
  });
});
