import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CREDENTIAL_EVIDENCE_HEADERS, JUDGED_REQUEST_HEADERS } from './request-facts.js';
import { JUDGED_RESPONSE_HEADERS } from './response-facts.js';
import { type CorsOptions, evaluateCors } from './verdict.js';
import {
  MAX_INPUT_LENGTH,
  newVerdictInputs,
  REQUEST_INPUT_SLOTS,
  RESPONSE_INPUT_SLOTS,
  readRequestInputs,
  readResponseInputs,
  sameInputs,
  type VerdictInputs,
} from './verdict-inputs.js';

type Headers = Record<string, string | string[] | undefined>;
interface Exchange {
  readonly method: string;
  readonly url: string;
  readonly request: Headers;
  readonly status: number;
  readonly response: Headers;
  readonly serverOrigin?: string | undefined;
}

const O = 'https://app.example.com';
const API = 'https://api.example.com';
const options = (e: Exchange): CorsOptions => ({
  serverOrigin: e.serverOrigin,
  allowedOrigins: new Set([O, 'https://admin.example.com']),
});
const verdictOf = (e: Exchange) =>
  evaluateCors(
    { method: e.method, url: e.url, headers: e.request },
    { status: e.status, headers: e.response },
    options(e),
  );

/** The inputs as the observer compares them: response inputs only when the request's are keyed. */
function inputsOf(e: Exchange): { request: VerdictInputs; response: VerdictInputs | undefined } | undefined {
  const request = newVerdictInputs(REQUEST_INPUT_SLOTS);
  const shape = readRequestInputs(
    { method: e.method, url: e.url, headers: e.request },
    e.serverOrigin,
    request,
  );
  if (shape === 'unkeyed') return undefined;
  const response = newVerdictInputs(RESPONSE_INPUT_SLOTS);
  const keyed = readResponseInputs({ status: e.status, headers: e.response }, shape, response);
  return { request, response: keyed ? response : undefined };
}

const preflight: Exchange = {
  method: 'OPTIONS',
  url: '/orders/1',
  request: {
    origin: O,
    'access-control-request-method': 'PUT',
    'access-control-request-headers': 'content-type,x-trace',
    'sec-fetch-mode': 'cors',
    'user-agent': 'UA',
    accept: '*/*',
    host: 'api.example.com',
  },
  status: 204,
  response: {
    'access-control-allow-origin': O,
    'access-control-allow-methods': 'GET,PUT',
    'access-control-allow-headers': 'content-type,x-trace',
    'access-control-max-age': '600',
    vary: 'Origin',
    'content-length': '0',
  },
};
const BASES: readonly Exchange[] = [
  preflight,
  { ...preflight, response: { vary: 'Origin' }, status: 404 },
  {
    ...preflight,
    request: { ...preflight.request, cookie: 'a=b' },
    response: { ...preflight.response, 'access-control-allow-credentials': 'true' },
  },
  { ...preflight, response: { 'access-control-allow-origin': '*', 'access-control-allow-headers': '*' } },
  {
    method: 'GET',
    url: '/orders/1',
    request: {
      origin: O,
      'sec-fetch-mode': 'cors',
      'sec-fetch-site': 'cross-site',
      accept: 'application/json',
      'accept-language': 'en-GB,en;q=0.9',
      'user-agent': 'UA',
    },
    status: 200,
    response: {
      'access-control-allow-origin': O,
      vary: 'Origin',
      'content-type': 'application/json',
      'x-request-id': 'r1',
      etag: '"1"',
      'access-control-expose-headers': 'x-request-id',
    },
  },
  {
    method: 'POST',
    url: '/orders',
    request: { origin: O, 'content-type': 'application/json', 'x-trace': '1', cookie: 'a=b' },
    status: 201,
    response: {
      'access-control-allow-origin': O,
      'access-control-allow-credentials': 'true',
      location: '/orders/7',
      'cache-control': 'no-store',
    },
  },
  {
    method: 'GET',
    url: '/a',
    request: { origin: 'null', 'device-memory': '8' },
    status: 500,
    response: { 'access-control-allow-origin': '*', 'x-powered-by': 'x' },
  },
  // Not CORS: the API's own origin, and a same-origin fetch.
  { method: 'GET', url: '/', request: { origin: API }, status: 200, response: {}, serverOrigin: API },
  {
    method: 'PUT',
    url: '/',
    request: { origin: O, 'sec-fetch-site': 'same-origin' },
    status: 200,
    response: {},
  },
];

// Every lower-case string literal in the engine's sources: whatever header it may read is spelled there.
const here = fileURLToPath(new URL('.', import.meta.url));
const ENGINE_NAMES = new Set<string>(['x-custom', 'x-request-id', 'etag', 'link', 'x-frame-options']);
for (const file of readdirSync(here)) {
  if (!file.endsWith('.ts') || file.endsWith('.test.ts')) continue;
  for (const match of readFileSync(join(here, file), 'utf8').matchAll(/'([a-z][a-z0-9-]*)'/g)) {
    ENGINE_NAMES.add(match[1] ?? '');
  }
}
const VALUES: readonly (string | undefined)[] = [
  undefined,
  '',
  '*',
  'true',
  'null',
  O,
  `${O}, ${O}`,
  'https://evil.example',
  API,
  'origin',
  'Origin, Accept',
  'no-store',
  '600',
  '-1',
  'PUT',
  'put',
  'GET, PUT, PATCH',
  'content-type',
  'content-type,x-trace,authorization',
  'application/json',
  'text/plain',
  'x-request-id, etag',
  'cors',
  'navigate',
  'no-cors',
  'same-origin',
  'en',
  'a(b)',
  'x'.repeat(200),
];

function withHeader(headers: Headers, name: string, value: string | undefined): Headers {
  const copy = Object.fromEntries(Object.entries(headers).filter(([key]) => key !== name));
  if (value !== undefined) copy[name] = value;
  return copy;
}

/** Each exchange one change away from `base`: one header set or removed on either side, method, status, own origin. */
function* neighbours(base: Exchange): Generator<Exchange> {
  for (const name of ENGINE_NAMES) {
    for (const value of VALUES) {
      yield { ...base, request: withHeader(base.request, name, value) };
      yield { ...base, response: withHeader(base.response, name, value) };
    }
  }
  for (const method of ['GET', 'POST', 'PUT', 'OPTIONS', 'options', 'patch', 'DELETE'])
    yield { ...base, method };
  for (const status of [200, 201, 204, 301, 302, 304, 403, 404, 500]) yield { ...base, status };
  for (const serverOrigin of [undefined, O, API]) yield { ...base, serverOrigin };
  yield { ...base, url: '/elsewhere' };
}

describe('verdict inputs', () => {
  it('name every header the engine reads: exchanges with equal inputs get equal verdicts', () => {
    let compared = 0;
    let told = 0;
    for (const base of BASES) {
      const baseInputs = inputsOf(base);
      expect(baseInputs, JSON.stringify(base)).toBeDefined();
      if (baseInputs === undefined) continue;
      const baseVerdict = verdictOf(base);
      for (const other of neighbours(base)) {
        const inputs = inputsOf(other);
        if (inputs === undefined || !sameInputs(inputs.request, baseInputs.request)) {
          told++;
          continue;
        }
        // The observer reuses a not-cors verdict on the request's inputs alone: the engine reads no response.
        if (baseVerdict.kind !== 'not-cors') {
          if (inputs.response === undefined || baseInputs.response === undefined) continue;
          if (!sameInputs(inputs.response, baseInputs.response)) {
            told++;
            continue;
          }
        }
        compared++;
        expect(verdictOf(other), JSON.stringify({ base, other })).toEqual(baseVerdict);
      }
    }
    // Both branches ran many times: the property is not vacuous.
    expect(compared).toBeGreaterThan(10_000);
    expect(told).toBeGreaterThan(1_000);
  });

  it('are found in the engine sources this test reads, with the declared names', () => {
    for (const name of [...JUDGED_REQUEST_HEADERS, ...JUDGED_RESPONSE_HEADERS]) {
      expect(ENGINE_NAMES.has(name), name).toBe(true);
    }
  });

  it('are read by exactly the declared names, and by walking the names of an actual exchange', () => {
    const readBy = (run: (proxy: Headers) => unknown, headers: Headers): string[] => {
      const names = new Set<string>();
      run(
        new Proxy(headers, {
          get(target, name, receiver) {
            if (typeof name === 'string') names.add(name);
            return Reflect.get(target, name, receiver) as unknown;
          },
        }),
      );
      return [...names].sort();
    };
    const request = (method: string) => (headers: Headers) =>
      readRequestInputs({ method, headers }, undefined, newVerdictInputs(REQUEST_INPUT_SLOTS));
    expect(readBy(request('OPTIONS'), preflight.request)).toEqual([...JUDGED_REQUEST_HEADERS].sort());
    const get = (BASES[4] as Exchange).request;
    expect(readBy(request('GET'), get)).toEqual(
      [...new Set([...JUDGED_REQUEST_HEADERS, ...CREDENTIAL_EVIDENCE_HEADERS, ...Object.keys(get)])].sort(),
    );
    const response = (status: number, shape: 'preflight' | 'actual') => (headers: Headers) =>
      readResponseInputs({ status, headers }, shape, newVerdictInputs(RESPONSE_INPUT_SLOTS));
    expect(readBy(response(302, 'preflight'), {})).toEqual([...JUDGED_RESPONSE_HEADERS].sort());
    const written = (BASES[4] as Exchange).response;
    expect(readBy(response(200, 'actual'), written)).toEqual(
      [
        ...new Set([
          ...JUDGED_RESPONSE_HEADERS.filter((name) => name !== 'location'),
          ...Object.keys(written),
        ]),
      ].sort(),
    );
  });

  it('of a preflight leave out what browsers vary and the engine ignores there', () => {
    const a = inputsOf(preflight);
    const b = inputsOf({
      ...preflight,
      request: { ...preflight.request, 'user-agent': 'other', 'accept-language': 'de', cookie: 'c=d' },
    });
    expect(a).toBeDefined();
    expect(b).toEqual(a);
  });

  it('of an actual request count page-set names and safelisted values', () => {
    const get = BASES[4] as Exchange;
    const json = inputsOf({ ...get, request: { ...get.request, 'content-type': 'application/json' } });
    const text = inputsOf({ ...get, request: { ...get.request, 'content-type': 'text/plain' } });
    const custom = inputsOf({ ...get, request: { ...get.request, 'x-custom': '1' } });
    expect(json?.request).not.toEqual(text?.request);
    expect(custom?.request).not.toEqual(inputsOf(get)?.request);
  });

  it('leave hostile and unusual exchanges unkeyed, so they are judged in full', () => {
    const long = 'x'.repeat(MAX_INPUT_LENGTH + 1);
    expect(inputsOf({ ...preflight, request: { ...preflight.request, origin: long } })).toBeUndefined();
    const get = BASES[4] as Exchange;
    expect(inputsOf({ ...get, request: { ...get.request, 'X-Custom': '1' } })).toBeUndefined();
    expect(inputsOf({ ...get, request: { ...get.request, accept: long } })).toBeUndefined();
    expect(inputsOf({ ...get, response: { ...get.response, vary: ['Origin', 'Accept'] } })?.response).toBe(
      undefined,
    );
    expect(inputsOf({ ...get, status: 302, response: { location: '/b' } })?.response).toBeUndefined();
    expect(
      inputsOf({ ...get, response: { ...get.response, 'Access-Control-Allow-Origin': O } })?.response,
    ).toBeUndefined();
  });

  it("do not hold a 201's Location, which differs on every response", () => {
    const post = BASES[5] as Exchange;
    expect(inputsOf({ ...post, response: { ...post.response, location: '/orders/8' } })).toEqual(
      inputsOf(post),
    );
  });
});
