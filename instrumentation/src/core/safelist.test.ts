import { describe, expect, it } from 'vitest';
import { headerRole, isSafelistedMethod, isSafelistedValue } from './safelist.js';

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
    ['dpr', '2', true],
    ['dpr', '2.5', true],
    ['dpr', '2.', false],
    ['width', '800', true],
    ['width', '80.5', false],
    ['ect', '4g', true],
    ['ect', '5g', false],
    ['save-data', 'on', true],
    ['save-data', 'off', false],
    ['intervention', 'anything at all', true],
    ['x-custom', 'a', false],
  ])('%s: %j → %s', (name, value, expected) => {
    expect(isSafelistedValue(name, value)).toBe(expected);
  });
});

describe('headerRole', () => {
  it.each([
    ['cookie', 'browser'],
    ['sec-fetch-mode', 'browser'],
    ['sec-ch-ua', 'browser'],
    ['proxy-authorization', 'browser'],
    ['user-agent', 'browser'],
    ['cache-control', 'browser'],
    ['x-forwarded-for', 'browser'],
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
    ['PUT', false],
    ['patch', false],
    ['OPTIONS', false],
    ['', false],
  ])('%s → %s', (method, expected) => {
    expect(isSafelistedMethod(method)).toBe(expected);
  });
});
