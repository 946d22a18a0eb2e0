import { describe, expect, it } from 'vitest';
import {
  corsUnsafeRequestHeaderNames,
  headerRole,
  isSafelistedMethod,
  isSafelistedValue,
} from './safelist.js';

describe('isSafelistedValue', () => {
  // Value tables follow the Fetch Standard and the Chromium results in ../shared/CORS-REFERENCE.md §6.2.
  it.each([
    ['content-type', 'text/plain', true],
    ['content-type', 'application/x-www-form-urlencoded;charset=UTF-8', true],
    ['content-type', 'TEXT/PLAIN;charset=UTF-8', true],
    ['content-type', 'multipart/form-data; boundary=something', true],
    ['content-type', ' text/plain ', true],
    ['content-type', 'application/json', false],
    ['content-type', 'text/plain; x="y"', false],
    ['content-type', 'application/x-www-form-urlencoded, text/plain', false],
    ['content-type', 'text/plain/x', false],
    ['content-type', '/plain', false],
    ['content-type', 'text/', false],
    ['content-type', 'text /plain', false],
    ['content-type', '', false],
    ['accept', '*/*', true],
    ['accept', 'a'.repeat(128), true],
    ['accept', 'a'.repeat(129), false],
    ['accept', '"x"', false],
    ['accept', 'text/html\u0001', false],
    ['accept', 'text/html\tx', true],
    ['accept-language', 'en-US,en;q=0.9', true],
    ['accept-language', 'en_US', false],
    ['content-language', 'de-DE', true],
    ['content-language', 'de:DE', false],
    ['range', 'bytes=0-100', true],
    ['range', 'bytes=5-', true],
    ['range', 'BYTES=0-1', false],
    ['range', 'bytes=-500', false],
    ['range', 'bytes=0-1,5-6', false],
    ['range', 'bytes=10-5', false],
    ['range', 'bytes= 0-1', false],
    // Chromium reads both numbers as int64 (verified Chromium 150): beyond it, or start after end past 2^53.
    ['range', 'bytes=9223372036854775807-', true],
    ['range', 'bytes=9223372036854775808-', false],
    ['range', 'bytes=0-9223372036854775808', false],
    ['range', 'bytes=9007199254740993-9007199254740992', false],
    ['dpr', '2', true],
    ['dpr', '2.5', true],
    ['dpr', '2.', false],
    ['width', '800', true],
    ['width', '80.5', false],
    ['ect', '4g', true],
    ['ect', '5g', false],
    ['save-data', 'on', true],
    ['save-data', 'off', false],
    ['save-data', 'ON', true],
    ['intervention', 'anything at all', true],
    ['x-custom', 'a', false],
  ])('%s: %j → %s', (name, value, expected) => {
    expect(isSafelistedValue(name, value)).toBe(expected);
  });
});

describe('headerRole', () => {
  it.each([
    ['cookie', 'forbidden'],
    ['sec-fetch-mode', 'forbidden'],
    ['sec-ch-ua', 'forbidden'],
    ['proxy-authorization', 'forbidden'],
    [':authority', 'forbidden'],
    [':path', 'forbidden'],
    ['user-agent', 'forbidden'],
    ['cache-control', 'browser-added'],
    ['x-forwarded-for', 'browser-added'],
    ['accept', 'safelisted'],
    ['content-type', 'safelisted'],
    ['dpr', 'chromium-safelisted'],
    ['save-data', 'chromium-safelisted'],
    ['authorization', undefined],
    ['last-event-id', undefined],
    ['x-custom', undefined],
  ])('%s → %s', (name, role) => {
    expect(headerRole(name)).toBe(role);
  });
});

describe('isSafelistedMethod', () => {
  it.each([
    ['GET', true],
    ['HEAD', true],
    ['POST', true],
    ['get', true],
    ['HeAd', true],
    ['pOsT', true],
    // Chromium upper-cases ASCII only: U+017F (ſ) upper-cases to S in JavaScript, not in Chromium.
    ['po\u017ft', false],
    ['GETS', false],
    ['PUT', false],
    ['patch', false],
    ['OPTIONS', false],
    ['', false],
  ])('%s → %s', (method, expected) => {
    expect(isSafelistedMethod(method)).toBe(expected);
  });
});

describe('corsUnsafeRequestHeaderNames (headers a page sets)', () => {
  it.each<[string, Record<string, string | string[]>, string[]]>([
    ['safelisted values', { Accept: '*/*', 'Content-Type': 'text/plain', DPR: '2' }, []],
    [
      'custom and unsafe values',
      { 'X-B': '1', 'x-a': '2', 'content-type': 'application/json' },
      ['content-type', 'x-a', 'x-b'],
    ],
    [
      'cache headers the page set',
      { 'Cache-Control': 'no-cache', Pragma: 'no-cache' },
      ['cache-control', 'pragma'],
    ],
    [
      "forbidden names are the browser's",
      { Cookie: 'a=1', 'User-Agent': 'x', 'Sec-Fetch-Mode': 'cors', Origin: 'o' },
      [],
    ],
    [
      'past 1024 bytes of safelisted values',
      {
        accept: 'a'.repeat(128),
        'accept-language': 'b'.repeat(128),
        'content-language': 'c'.repeat(128),
        dpr: '1'.repeat(128),
        width: '1'.repeat(128),
        rtt: '1'.repeat(128),
        downlink: '1'.repeat(128),
        'viewport-width': '1'.repeat(128),
        'device-memory': '1'.repeat(128),
      },
      [
        'accept',
        'accept-language',
        'content-language',
        'device-memory',
        'downlink',
        'dpr',
        'rtt',
        'viewport-width',
        'width',
      ],
    ],
  ])('%s', (_, headers, expected) => {
    expect(corsUnsafeRequestHeaderNames(headers)).toEqual(expected);
  });
});
