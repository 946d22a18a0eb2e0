import { describe, expect, it } from 'vitest';
import {
  buildActualRequest,
  buildPreflight,
  decidePreflight,
  type HeaderList,
  normaliseMethod,
  type PageFetch,
  toCorsRequest,
  toHeaderRecord,
  USER_AGENT,
} from './browser-request.js';
import { PAGE, pageFetchTo } from './page-fetch.fixture.js';

const API = 'http://127.0.0.1:4000/orders';

function pageFetch(overrides: Partial<PageFetch> = {}): PageFetch {
  return pageFetchTo(API, overrides);
}

describe('normaliseMethod', () => {
  it.each([
    ['get', 'GET'],
    ['Post', 'POST'],
    ['put', 'PUT'],
    ['delete', 'DELETE'],
    ['options', 'OPTIONS'],
    ['head', 'HEAD'],
    ['patch', 'patch'],
    ['PATCH', 'PATCH'],
    ['Patch', 'Patch'],
    ['purge', 'purge'],
  ])('%s is sent as %s', (method, sent) => {
    expect(normaliseMethod(method)).toBe(sent);
  });
});

describe('buildActualRequest', () => {
  it('adds Origin, a default Accept and the User-Agent around the page headers', () => {
    const request = buildActualRequest(pageFetch({ headers: [['X-Api-Key', 'k']] }));
    expect(request).toEqual({
      method: 'GET',
      url: API,
      headers: [
        ['Origin', PAGE],
        ['Accept', '*/*'],
        ['X-Api-Key', 'k'],
        ['User-Agent', USER_AGENT],
      ],
    });
  });

  it("keeps the page's own Accept and User-Agent", () => {
    const headers: HeaderList = [
      ['accept', 'application/json'],
      ['user-agent', 'Mozilla/5.0'],
    ];
    expect(buildActualRequest(pageFetch({ headers })).headers).toEqual([['Origin', PAGE], ...headers]);
  });

  it('sends Origin: null once the origin is tainted', () => {
    const request = buildActualRequest(pageFetch({ taintedOrigin: true }));
    expect(request.headers[0]).toEqual(['Origin', 'null']);
  });

  it.each([
    ['GET', false],
    ['HEAD', false],
    ['POST', true],
    ['DELETE', true],
  ])('same-origin %s carries Origin: %s', (method, sent) => {
    const request = buildActualRequest(pageFetch({ method, origin: 'http://127.0.0.1:4000' }));
    expect(request.headers.some(([name]) => name === 'Origin')).toBe(sent);
  });

  it('sends Cookie only with credentials', () => {
    const headers: HeaderList = [['Cookie', 'session=1']];
    expect(buildActualRequest(pageFetch({ headers, credentials: 'include' })).headers).toContainEqual([
      'Cookie',
      'session=1',
    ]);
    expect(buildActualRequest(pageFetch({ headers })).headers).not.toContainEqual(['Cookie', 'session=1']);
  });
});

describe('decidePreflight', () => {
  function need(overrides: Partial<PageFetch>) {
    const fetch = pageFetch(overrides);
    return decidePreflight(fetch, buildActualRequest(fetch));
  }

  it.each<[string, Partial<PageFetch>, boolean, boolean, string[]]>([
    ['simple GET', {}, false, false, []],
    ['HEAD', { method: 'HEAD' }, false, false, []],
    [
      'form POST',
      { method: 'POST', headers: [['Content-Type', 'application/x-www-form-urlencoded']] },
      false,
      false,
      [],
    ],
    [
      'JSON POST',
      { method: 'POST', headers: [['Content-Type', 'application/json']] },
      true,
      false,
      ['content-type'],
    ],
    ['PUT', { method: 'PUT' }, true, true, []],
    ['lower-case patch', { method: 'patch' }, true, true, []],
    ['custom header', { headers: [['X-Api-Key', 'k']] }, true, false, ['x-api-key']],
    ['Authorization', { headers: [['Authorization', 'Bearer t']] }, true, false, ['authorization']],
    [
      'names sorted and lower-cased',
      {
        headers: [
          ['X-B', '1'],
          ['X-A', '2'],
        ],
      },
      true,
      false,
      ['x-a', 'x-b'],
    ],
    ['safelisted Accept-Language', { headers: [['Accept-Language', 'en-GB,en;q=0.9']] }, false, false, []],
    [
      'Content-Language with an underscore',
      { headers: [['Content-Language', 'en_US']] },
      true,
      false,
      ['content-language'],
    ],
    ['Accept over 128 bytes', { headers: [['Accept', 'a'.repeat(129)]] }, true, false, ['accept']],
    ['simple Range', { headers: [['Range', 'bytes=0-100']] }, false, false, []],
    ['suffix Range', { headers: [['Range', 'bytes=-500']] }, true, false, ['range']],
    ['Chromium-only client hint', { headers: [['DPR', '2']] }, false, false, []],
    // The engine discounts these on the server side; a page that sets them is preflighted.
    ['page-set Cache-Control', { headers: [['Cache-Control', 'no-cache']] }, true, false, ['cache-control']],
    [
      'page-set X-Forwarded-For',
      { headers: [['X-Forwarded-For', '1.2.3.4']] },
      true,
      false,
      ['x-forwarded-for'],
    ],
    [
      'browser-set Referer and Sec-Fetch-Mode',
      {
        headers: [
          ['Referer', 'http://localhost:3000/'],
          ['Sec-Fetch-Mode', 'cors'],
        ],
      },
      false,
      false,
      [],
    ],
    ['Cookie with credentials', { headers: [['Cookie', 'a=1']], credentials: 'include' }, false, false, []],
  ])('%s', (_name, overrides, needed, unsafeMethod, unsafeHeaders) => {
    expect(need(overrides)).toEqual({ cors: true, needed, unsafeMethod, unsafeHeaders });
  });

  it('never preflights a same-origin request', () => {
    expect(need({ method: 'PUT', origin: 'http://127.0.0.1:4000' })).toEqual({
      cors: false,
      needed: false,
      unsafeMethod: false,
      unsafeHeaders: [],
    });
  });

  it('treats a tainted origin as cross-origin even on the page origin', () => {
    expect(need({ method: 'PUT', origin: 'http://127.0.0.1:4000', taintedOrigin: true }).needed).toBe(true);
  });
});

describe('buildPreflight', () => {
  it('asks for the method and the unsafe names, without page headers or cookies', () => {
    const fetch = pageFetch({
      method: 'PUT',
      credentials: 'include',
      headers: [
        ['X-B', '1'],
        ['Content-Type', 'application/json'],
        ['Cookie', 'a=1'],
        ['Referer', 'http://localhost:3000/page'],
      ],
    });
    const preflight = buildPreflight(fetch, decidePreflight(fetch, buildActualRequest(fetch)));
    expect(preflight).toEqual({
      method: 'OPTIONS',
      url: API,
      headers: [
        ['Origin', PAGE],
        ['Access-Control-Request-Method', 'PUT'],
        ['Access-Control-Request-Headers', 'content-type,x-b'],
        ['Accept', '*/*'],
        ['Referer', 'http://localhost:3000/page'],
        ['User-Agent', USER_AGENT],
      ],
    });
  });

  it('leaves out Access-Control-Request-Headers when only the method is unsafe', () => {
    const fetch = pageFetch({ method: 'DELETE', taintedOrigin: true });
    const preflight = buildPreflight(fetch, decidePreflight(fetch, buildActualRequest(fetch)));
    expect(preflight.headers.map(([name]) => name)).toEqual([
      'Origin',
      'Access-Control-Request-Method',
      'Accept',
      'User-Agent',
    ]);
    expect(preflight.headers[0]).toEqual(['Origin', 'null']);
  });
});

describe('toCorsRequest', () => {
  it('keeps hand-written Sec-Fetch-* away from the verdict', () => {
    const fetch = pageFetch({
      method: 'PUT',
      headers: [
        ['Sec-Fetch-Mode', 'navigate'],
        ['Sec-Fetch-Site', 'same-origin'],
      ],
    });
    const request = buildActualRequest(fetch);
    expect(toCorsRequest(request).headers).toEqual({ origin: PAGE, accept: '*/*', 'user-agent': USER_AGENT });
    expect(decidePreflight(fetch, request)).toMatchObject({ cors: true, needed: true });
  });
});

describe('toHeaderRecord', () => {
  it('lower-cases names and keeps repeats as arrays', () => {
    expect(
      toHeaderRecord([
        ['X-A', '1'],
        ['x-a', '2'],
        ['X-A', '3'],
        ['Origin', 'o'],
      ]),
    ).toEqual({ 'x-a': ['1', '2', '3'], origin: 'o' });
  });
});
