import { describe, expect, it } from 'vitest';
import type { PageFetch } from './browser-request.js';
import { decideRedirect, MAX_REDIRECTS } from './browser-redirect.js';
import { pageFetchTo } from './page-fetch.fixture.js';

const API = 'http://127.0.0.1:4000/a';
const OTHER = 'http://127.0.0.1:5000';

function pageFetch(overrides: Partial<PageFetch> = {}): PageFetch {
  return pageFetchTo(API, overrides);
}

describe('decideRedirect: what is a redirect', () => {
  it.each<[number, string | string[] | undefined]>([
    [200, '/b'],
    [300, '/b'],
    [304, '/b'],
    [302, undefined],
    [302, ''],
  ])('%i with Location %j is the final response', (status, location) => {
    expect(decideRedirect(pageFetch(), status, location, 0)).toEqual({ kind: 'final' });
  });

  it.each([301, 302, 303, 307, 308])('%i with a Location is followed', (status) => {
    expect(decideRedirect(pageFetch(), status, '/b', 0).kind).toBe('follow');
  });
});

describe('decideRedirect: where the browser goes next', () => {
  it('resolves a relative Location against the current URL and keeps the origin on a same-origin hop', () => {
    const decision = decideRedirect(pageFetch(), 302, '../b?x=1#frag', 0);
    expect(decision).toEqual({
      kind: 'follow',
      location: '../b?x=1#frag',
      next: pageFetch({ url: 'http://127.0.0.1:4000/b?x=1' }),
      crossOrigin: false,
      taintsOrigin: false,
      removedHeaders: [],
    });
  });

  it('taints the origin on a cross-origin hop of a CORS request (Origin: null afterwards)', () => {
    const decision = decideRedirect(pageFetch(), 302, `${OTHER}/b`, 0);
    expect(decision).toMatchObject({ kind: 'follow', crossOrigin: true, taintsOrigin: true });
    expect(decision.kind === 'follow' && decision.next.taintedOrigin).toBe(true);
  });

  it('does not taint when a same-origin request leaves the page origin', () => {
    const fetch = pageFetch({ origin: 'http://127.0.0.1:4000' });
    const decision = decideRedirect(fetch, 302, `${OTHER}/b`, 0);
    expect(decision).toMatchObject({ kind: 'follow', crossOrigin: true, taintsOrigin: false });
  });

  it('stays tainted on later same-origin hops, without claiming to taint again', () => {
    const decision = decideRedirect(pageFetch({ taintedOrigin: true }), 302, '/c', 1);
    expect(decision).toMatchObject({ kind: 'follow', taintsOrigin: false, next: { taintedOrigin: true } });
  });

  it.each<[number, string, string, string[]]>([
    [301, 'POST', 'GET', ['content-type']],
    [302, 'POST', 'GET', ['content-type']],
    [303, 'PUT', 'GET', ['content-type']],
    [303, 'HEAD', 'HEAD', []],
    [307, 'POST', 'POST', []],
    [308, 'PUT', 'PUT', []],
    [302, 'PUT', 'PUT', []],
  ])('%i turns %s into %s', (status, method, next, removed) => {
    const fetch = pageFetch({
      method,
      headers: [
        ['Content-Type', 'application/json'],
        ['X-A', '1'],
      ],
    });
    const decision = decideRedirect(fetch, status, '/b', 0);
    if (decision.kind !== 'follow') throw new Error(`expected follow, got ${decision.kind}`);
    expect(decision.next.method).toBe(next);
    expect(decision.removedHeaders).toEqual(removed);
    expect(decision.methodChangedFrom).toBe(next === method ? undefined : method);
    expect(decision.next.headers.map(([name]) => name)).toEqual(
      removed.length > 0 ? ['X-A'] : ['Content-Type', 'X-A'],
    );
  });

  it('drops Authorization on a cross-origin hop only', () => {
    const fetch = pageFetch({ headers: [['Authorization', 'Bearer t']] });
    const cross = decideRedirect(fetch, 307, `${OTHER}/b`, 0);
    const same = decideRedirect(fetch, 307, '/b', 0);
    expect(cross).toMatchObject({ removedHeaders: ['authorization'], next: { headers: [] } });
    expect(same).toMatchObject({ removedHeaders: [], next: { headers: [['Authorization', 'Bearer t']] } });
  });

  it('accepts a Location repeated with the same value', () => {
    expect(decideRedirect(pageFetch(), 302, ['/b', '/b'], 0).kind).toBe('follow');
  });
});

describe('decideRedirect: network errors', () => {
  it.each<[string, string | string[], number, Partial<PageFetch>, string]>([
    ['two different Locations', ['/b', '/c'], 0, {}, 'multiple_locations'],
    ['an unparsable Location', 'http://[::1', 0, {}, 'invalid_location'],
    ['a non-HTTP scheme', 'ftp://127.0.0.1/b', 0, {}, 'unsupported_scheme'],
    ['a data: URL', 'data:text/plain,x', 0, {}, 'unsupported_scheme'],
    ['the 21st redirect', '/b', MAX_REDIRECTS, {}, 'too_many_redirects'],
    [
      'userinfo on a CORS request, even towards the page origin',
      `http://u:p@localhost:3000/b`,
      0,
      {},
      'location_has_credentials',
    ],
    [
      'userinfo leaving the page origin',
      `http://u:p@127.0.0.1:5000/b`,
      0,
      { origin: 'http://127.0.0.1:4000' },
      'location_has_credentials',
    ],
  ])('%s', (_name, location, followed, overrides, failure) => {
    expect(decideRedirect(pageFetch(overrides), 302, location, followed)).toMatchObject({
      kind: 'failed',
      failure,
    });
  });

  it('follows the 20th redirect', () => {
    expect(decideRedirect(pageFetch(), 302, '/b', MAX_REDIRECTS - 1).kind).toBe('follow');
  });

  it('lets a same-origin request keep userinfo on its own origin', () => {
    const fetch = pageFetch({ origin: 'http://127.0.0.1:4000' });
    expect(decideRedirect(fetch, 302, 'http://u:p@127.0.0.1:4000/b', 0).kind).toBe('follow');
  });
});
