import { describe, expect, it } from 'vitest';
import { headerSource } from './page-headers.js';

describe('headerSource', () => {
  it.each([
    ['origin', 'reserved'],
    ['access-control-request-headers', 'reserved'],
    ['host', 'reserved'],
    ['content-length', 'reserved'],
    ['cookie', 'credential'],
    ['referer', 'browser'],
    ['user-agent', 'browser'],
    ['sec-fetch-mode', 'browser'],
    ['proxy-authorization', 'browser'],
    ['authorization', 'page'],
    ['content-type', 'page'],
    ['cache-control', 'page'],
    ['x-api-key', 'page'],
  ])('%s is %s', (name, source) => {
    expect(headerSource(name)).toBe(source);
  });
});
