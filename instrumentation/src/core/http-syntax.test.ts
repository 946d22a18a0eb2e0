import { describe, expect, it } from 'vitest';
import { isRedirectStatus, isToken, parseTokenList, splitNameList, trimOws } from './http-syntax.js';

describe('parseTokenList', () => {
  // Chromium ParseAccessControlAllowList; verified cases M09, M10, M19, S50, S51, S71, S72.
  it.each([
    ['GET, PUT', ['GET', 'PUT']],
    [' GET ,, PUT ,', ['GET', 'PUT']],
    ['', []],
    [',', []],
    ['x-custom,', ['x-custom']],
    ['*', ['*']],
    ['\tPUT\t', ['PUT']],
    ['PUT DELETE', undefined],
    ['GET;', undefined],
    ['x-custom:', undefined],
    ['x-a x-b', undefined],
    ['caf\u00e9', undefined],
  ])('%j → %j', (value, expected) => {
    expect(parseTokenList(value)).toEqual(expected);
  });
});

describe('small syntax pieces', () => {
  it('accepts tokens and rejects separators', () => {
    expect(isToken("!#$%&'*+-.^_`|~09azAZ")).toBe(true);
    expect(isToken('a b')).toBe(false);
    expect(isToken('')).toBe(false);
  });
  it('trims spaces and tabs only', () => {
    expect(trimOws(' \t x y \t')).toBe('x y');
    expect(trimOws('\nx')).toBe('\nx');
  });
  it('splits name lists lower-cased and distinct', () => {
    expect(splitNameList('Origin, accept-encoding, ORIGIN,,')).toEqual(['origin', 'accept-encoding']);
  });
  it('knows which statuses redirect', () => {
    expect([300, 301, 302, 303, 304, 305, 307, 308].filter(isRedirectStatus)).toEqual([
      301, 302, 303, 307, 308,
    ]);
  });
});
