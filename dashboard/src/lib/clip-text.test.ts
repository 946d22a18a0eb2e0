import { describe, expect, it } from 'vitest';
import { clipText, visibleText } from './clip-text';

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

describe('visibleText', () => {
  it.each([
    ['chrome-extension://\u202egnp.exe', 'chrome-extension://\\u202egnp.exe'],
    ['a,\tb\u001b[2J', 'a,\tb\\u001b[2J'],
    ['Origin', 'Origin'],
  ])('%j → %j', (text, expected) => {
    expect(visibleText(text)).toBe(expected);
  });
});
