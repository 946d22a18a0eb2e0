import { describe, expect, it } from 'vitest';
import {
  BrowserPreflightCache,
  type PreflightAnswer,
  type PreflightCacheKey,
  type PreflightQuestion,
} from './browser-preflight-cache.js';

const KEY: PreflightCacheKey = {
  origin: 'https://app.example',
  url: 'http://api/orders/1',
  credentials: 'omit',
};
const PUT_JSON: PreflightQuestion = { method: 'PUT', headers: ['content-type'] };
const ANSWER: PreflightAnswer = { allowMethods: 'GET, PUT', allowHeaders: 'Content-Type', cacheSeconds: 600 };

function cacheWith(key: PreflightCacheKey, question: PreflightQuestion, answer: PreflightAnswer) {
  const cache = new BrowserPreflightCache();
  cache.store(key, question, answer, 0);
  return cache;
}

describe('BrowserPreflightCache', () => {
  it('answers nothing before a preflight has passed', () => {
    expect(new BrowserPreflightCache().covers(KEY, PUT_JSON, 0)).toBe(false);
  });

  it('covers the same question until Max-Age runs out, and not after', () => {
    const cache = cacheWith(KEY, PUT_JSON, ANSWER);
    expect(cache.covers(KEY, PUT_JSON, 599_999)).toBe(true);
    expect(cache.covers(KEY, PUT_JSON, 600_000)).toBe(false);
  });

  it.each<[string, PreflightCacheKey, PreflightQuestion, boolean]>([
    ['another method the preflight listed', KEY, { method: 'GET', headers: ['content-type'] }, true],
    ['a safelisted method with a listed header', KEY, { method: 'POST', headers: ['content-type'] }, true],
    ['a method not listed', KEY, { method: 'DELETE', headers: [] }, false],
    ['a header not listed', KEY, { method: 'PUT', headers: ['content-type', 'x-trace'] }, false],
    ['another URL (entries are per URL)', { ...KEY, url: 'http://api/orders/2' }, PUT_JSON, false],
    ['another origin', { ...KEY, origin: 'https://other.example' }, PUT_JSON, false],
    ['the same request with credentials', { ...KEY, credentials: 'include' }, PUT_JSON, false],
  ])('%s: covered %s', (_name, key, question, covered) => {
    expect(cacheWith(KEY, PUT_JSON, ANSWER).covers(key, question, 1000)).toBe(covered);
  });

  it('keeps the method asked for when Access-Control-Allow-Methods leaves it out', () => {
    const cache = cacheWith(KEY, PUT_JSON, { ...ANSWER, allowMethods: undefined });
    expect(cache.covers(KEY, PUT_JSON, 1000)).toBe(true);
  });

  it('lets * cover any method and header but Authorization, and only without credentials', () => {
    const wildcard: PreflightAnswer = { allowMethods: '*', allowHeaders: '*', cacheSeconds: 5 };
    const omit = cacheWith(KEY, PUT_JSON, wildcard);
    expect(omit.covers(KEY, { method: 'PATCH', headers: ['x-anything'] }, 1000)).toBe(true);
    expect(omit.covers(KEY, { method: 'PATCH', headers: ['authorization'] }, 1000)).toBe(false);
    const credentialed = { ...KEY, credentials: 'include' as const };
    const include = cacheWith(credentialed, PUT_JSON, wildcard);
    // With credentials '*' is a literal name: it covers only the method that was asked for.
    expect(include.covers(credentialed, { method: 'PUT', headers: [] }, 1000)).toBe(true);
    expect(include.covers(credentialed, { method: 'PATCH', headers: [] }, 1000)).toBe(false);
    expect(include.covers(credentialed, { method: 'PUT', headers: ['x-anything'] }, 1000)).toBe(false);
  });

  it('stores nothing for a preflight no browser caches (Max-Age 0)', () => {
    const cache = cacheWith(KEY, PUT_JSON, { ...ANSWER, cacheSeconds: 0 });
    expect(cache.covers(KEY, PUT_JSON, 0)).toBe(false);
    expect(cache.size).toBe(0);
  });
});
