import { describe, expect, it } from 'vitest';
import { readAllowlist } from './allowlist-param';

describe('readAllowlist', () => {
  it.each([
    [undefined, undefined],
    ['', []],
    ['https://a.test\r\nhttps://b.test, https://a.test', ['https://a.test', 'https://b.test']],
    [
      ['https://a.test', 'https://*.b.test'],
      ['https://a.test', 'https://*.b.test'],
    ],
  ])('%j → %j', (value, expected) => {
    expect(readAllowlist(value)).toEqual(expected);
  });
});
