import { describe, expect, it } from 'vitest';
import { DEFAULT_TIMEOUT_MS, parseCheckOptions, type RawCheckOptions } from './check-options.js';
import { UsageError } from './cli-errors.js';

const URL_ = 'http://127.0.0.1:4000/orders';
const ORIGIN = 'http://localhost:3000';

function parse(overrides: Partial<RawCheckOptions>) {
  return parseCheckOptions({ url: URL_, origin: ORIGIN, ...overrides });
}

function usageError(overrides: Partial<RawCheckOptions>): UsageError {
  try {
    parse(overrides);
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error('expected a UsageError');
}

describe('parseCheckOptions', () => {
  it('fills in the defaults', () => {
    expect(parse({})).toEqual({
      fetch: {
        url: URL_,
        method: 'GET',
        headers: [],
        origin: ORIGIN,
        taintedOrigin: false,
        credentials: 'omit',
      },
      timeoutMs: DEFAULT_TIMEOUT_MS,
      json: false,
    });
  });

  it('normalises the method like fetch() and keeps patch as patch', () => {
    expect(parse({ method: 'put' }).fetch.method).toBe('PUT');
    expect(parse({ method: 'patch' }).fetch.method).toBe('patch');
  });

  it('drops the fragment, which a browser never sends', () => {
    expect(parse({ url: 'https://api.example.com/x?y=1#top' }).fetch.url).toBe(
      'https://api.example.com/x?y=1',
    );
  });

  it('parses headers like curl and combines a repeated name as fetch() does', () => {
    const { fetch } = parse({
      header: ['X-Api-Key:  k1 ', 'Content-Type:application/json', 'x-api-key: k2', 'X-Empty:'],
    });
    expect(fetch.headers).toEqual([
      ['X-Api-Key', 'k1, k2'],
      ['Content-Type', 'application/json'],
      ['X-Empty', ''],
    ]);
  });

  it('takes Cookie with --credentials', () => {
    const { fetch } = parse({ credentials: true, header: ['Cookie: session=1'] });
    expect(fetch.credentials).toBe('include');
    expect(fetch.headers).toEqual([['Cookie', 'session=1']]);
  });

  it.each([
    'null',
    'https://app.example.com',
    'http://localhost:3000',
    'http://[::1]:8080',
    'chrome-extension://abcdef',
  ])('accepts the origin %s', (origin) => {
    expect(parse({ origin }).fetch.origin).toBe(origin);
  });

  it.each([
    ['1', 1],
    ['250', 250],
  ])('accepts --timeout %s', (timeout, ms) => {
    expect(parse({ timeout }).timeoutMs).toBe(ms);
  });
});

describe('parseCheckOptions refuses what a browser could not send', () => {
  it.each<[string, Partial<RawCheckOptions>, string, RegExp]>([
    [
      'no --origin',
      { origin: undefined },
      'missing_origin',
      /--origin is required.*https:\/\/app\.example\.com/,
    ],
    [
      'an origin with a trailing slash',
      { origin: 'http://localhost:3000/' },
      'invalid_origin',
      /did you mean http:\/\/localhost:3000\?/,
    ],
    [
      'an origin with a path',
      { origin: 'https://app.example.com/app' },
      'invalid_origin',
      /did you mean https:\/\/app\.example\.com\?/,
    ],
    [
      'an origin in upper case',
      { origin: 'HTTPS://App.Example.com' },
      'invalid_origin',
      /did you mean https:\/\/app\.example\.com\?/,
    ],
    [
      'an origin with the default port',
      { origin: 'https://app.example.com:443' },
      'invalid_origin',
      /did you mean https:\/\/app\.example\.com\?/,
    ],
    [
      'a bare host as origin',
      { origin: 'app.example.com' },
      'invalid_origin',
      /scheme:\/\/host\[:port\].*got "app\.example\.com"$/,
    ],
    ['two origins', { origin: 'https://a.com https://b.com' }, 'invalid_origin', /serialised origin/],
    ['a relative URL', { url: '/orders' }, 'invalid_url', /absolute http\(s\) URL.*got "\/orders"/],
    ['an ftp URL', { url: 'ftp://example.com/x' }, 'invalid_url', /must use http or https/],
    ['a URL with credentials', { url: 'https://u:p@api.example.com/' }, 'invalid_url', /user:password@/],
    ['a method with a space', { method: 'GE T' }, 'invalid_method', /HTTP method token/],
    ['an empty method', { method: '' }, 'invalid_method', /HTTP method token/],
    ['CONNECT', { method: 'connect' }, 'forbidden_method', /forbidden in fetch\(\)/],
    ['TRACE', { method: 'TRACE' }, 'forbidden_method', /forbidden/],
    ['a header without a colon', { header: ['X-Api-Key k'] }, 'invalid_header', /"Name: value".*no colon/],
    [
      'a header with a space in the name',
      { header: ['X Api: k'] },
      'invalid_header',
      /"X Api" is not a header name/,
    ],
    ['a header without a name', { header: [': k'] }, 'invalid_header', /is not a header name/],
    [
      'a header value with a line break',
      { header: ['X-A: a\nInjected: b'] },
      'invalid_header',
      /NUL, CR or LF/,
    ],
    ['Origin as a header', { header: ['Origin: http://x'] }, 'reserved_header', /use --origin/],
    [
      'Access-Control-Request-Method as a header',
      { header: ['Access-Control-Request-Method: PUT'] },
      'reserved_header',
      /derives the preflight/,
    ],
    ['Host as a header', { header: ['Host: example.com'] }, 'reserved_header', /HTTP connection sets it/],
    [
      'Cookie without --credentials',
      { header: ['Cookie: a=1'] },
      'cookie_without_credentials',
      /needs --credentials/,
    ],
    ['a zero timeout', { timeout: '0' }, 'invalid_timeout', /whole number of milliseconds/],
    ['a fractional timeout', { timeout: '1.5' }, 'invalid_timeout', /whole number/],
    ['a timeout with a unit', { timeout: '10s' }, 'invalid_timeout', /got "10s"/],
  ])('%s', (_name, overrides, code, message) => {
    const error = usageError(overrides);
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
  });
});
