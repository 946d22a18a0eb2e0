// The shape of one oracle scenario: what the page does, what the API answers, and what
// ../../../shared/CORS-REFERENCE.md §6 says Chromium decides. Data only; the servers and the browser runner
// interpret it.
import type { ReasonCode } from '@corsight/instrumentation';

/** Response or request headers in the order sent; a name may repeat (duplicates are part of some scenarios). */
export type HeaderList = readonly (readonly [name: string, value: string])[];

/**
 * One response. Header values may hold placeholders the API server fills in per request:
 * `{O}` the page origin, `{PAGE_PORT}` its port, `{API}` / `{TARGET}` the two API origins, `{TARGET_HOST}`
 * the second API's host:port, `{TARGET_PORT}` its port, `{ID}` the scenario id, and `{ORIGIN}` / `{ACRM}` / `{ACRH}` to echo the
 * request's Origin / Access-Control-Request-Method / -Headers (the header is left out when the request has
 * none).
 */
export interface ResponseSpec {
  readonly status: number;
  readonly headers: HeaderList;
  /** Names the server sets with setHeader(name, []): Node keeps them in its store but writes no line. */
  readonly emptyArrays?: readonly string[];
}

export type ServerName = 'api' | 'target';

/** What one URL answers. The nth preflight (or actual request) gets the nth response; the last one repeats. */
export interface Route {
  /** 'api' serves the page's requests; 'target' is a second origin for cross-origin redirects. */
  readonly server: ServerName;
  /** Appended to `/s/<scenario id>`. */
  readonly path: string;
  /** OPTIONS with Access-Control-Request-Method; absent: 404 without headers, like an app with no OPTIONS route. */
  readonly preflight?: readonly ResponseSpec[];
  /** Every other request; absent: 404 without headers. */
  readonly actual?: readonly ResponseSpec[];
}

/** How the page makes the request. Defaults: fetch, GET, mode cors, credentials same-origin, main frame. */
export interface PageRequest {
  readonly via?: 'fetch' | 'xhr' | 'img' | 'form';
  /** Run from a `<iframe sandbox="allow-scripts">` (opaque origin: `Origin: null`). */
  readonly frame?: 'sandboxed';
  readonly method?: string;
  /** Set by the page with Headers.append / setRequestHeader, in order. */
  readonly headers?: HeaderList;
  readonly body?: string;
  /** fetch credentials; for XHR 'include' means withCredentials. */
  readonly credentials?: 'omit' | 'same-origin' | 'include';
  readonly mode?: 'cors' | 'no-cors';
  readonly cache?: 'no-store' | 'reload' | 'no-cache';
  /** `<img crossorigin>`; absent on an img request: no attribute (a no-cors load). */
  readonly crossOrigin?: 'anonymous' | 'use-credentials';
  /** XHR with an upload progress listener: the browser must preflight (Fetch "use-CORS-preflight flag"). */
  readonly uploadListener?: boolean;
  /**
   * Why Chromium preflights a request that looks safelisted on the wire. The server cannot see the cause, so
   * evaluateCors's needsPreflight is expected to be false for it (an upload listener needs no note).
   */
  readonly unseenPreflightCause?: string;
  /** Wait this long after the previous request of the scenario finished. */
  readonly delayMs?: number;
}

/** Where the browser stopped the request: at the preflight or at the actual response (or a redirect hop). */
export type BlockedPhase = 'preflight' | 'actual';

export type ExpectedResult =
  | { readonly outcome: 'allowed' }
  | { readonly outcome: 'blocked'; readonly phase: BlockedPhase; readonly reason: ReasonCode };

export interface Scenario {
  /** The reference's id (CORS-REFERENCE.md §6), or an own id for additions. */
  readonly id: string;
  readonly title: string;
  /** Run one after the other from the same page; most scenarios make one request. */
  readonly requests: readonly PageRequest[];
  readonly routes: readonly Route[];
  /** What the reference documents (corrected where Chromium disagreed, with a comment). */
  readonly expect: {
    readonly results: readonly ExpectedResult[];
    /** Preflights the server receives over the whole scenario (per release where Chromium changed). */
    readonly preflights: number | PreflightsByRelease;
  };
  /**
   * Identical requests whose preflight count follows from the preflight cache lifetime alone, so
   * evaluateCors's preflightCacheSeconds.chromium must predict it.
   */
  readonly cacheCheck?: boolean;
}

/**
 * A preflight count Chromium changed between releases: `upTo` through release `until` (the newest release
 * seen behaving the old way), `after` past it. The scenario's comment names the releases seen each way.
 */
export interface PreflightsByRelease {
  readonly until: number;
  readonly upTo: number;
  readonly after: number;
}

/** The preflights a scenario expects from the Chromium whose version string (`150.0.7871.100`) is given. */
export function expectedPreflights(expect: Scenario['expect'], chromiumVersion: string): number {
  const preflights = expect.preflights;
  if (typeof preflights === 'number') return preflights;
  const major = Number.parseInt(chromiumVersion, 10);
  if (!Number.isInteger(major)) {
    throw new Error(`cannot tell the Chromium release from its version "${chromiumVersion}"`);
  }
  return major <= preflights.until ? preflights.upTo : preflights.after;
}

// Builders that keep the scenario table readable.

export const O = '{O}';

export function header(name: string, value: string): readonly [string, string] {
  return [name, value];
}
export const acao = (value: string) => header('Access-Control-Allow-Origin', value);
export const acac = (value: string) => header('Access-Control-Allow-Credentials', value);
export const acam = (value: string) => header('Access-Control-Allow-Methods', value);
export const acah = (value: string) => header('Access-Control-Allow-Headers', value);
export const maxAge = (value: string) => header('Access-Control-Max-Age', value);
export const location = (value: string) => header('Location', value);

export function res(status: number, ...headers: HeaderList): ResponseSpec {
  return { status, headers };
}
export function ok(...headers: HeaderList): ResponseSpec {
  return res(200, ...headers);
}

/** The response, with `names` also set as empty arrays (no line on the wire). */
export function withEmptyArrays(spec: ResponseSpec, ...names: string[]): ResponseSpec {
  return { ...spec, emptyArrays: names };
}

export const allowed: ExpectedResult = { outcome: 'allowed' };
export function blocked(phase: BlockedPhase, reason: ReasonCode): ExpectedResult {
  return { outcome: 'blocked', phase, reason };
}

interface SimpleScenario {
  readonly id: string;
  readonly title: string;
  readonly request?: PageRequest;
  readonly requests?: readonly PageRequest[];
  /** Responses of the main URL (`/s/<id>`) on the API server. */
  readonly preflight?: ResponseSpec | readonly ResponseSpec[];
  readonly actual?: ResponseSpec | readonly ResponseSpec[];
  /** Further routes (redirect targets). */
  readonly routes?: readonly Route[];
  readonly expect: ExpectedResult | readonly ExpectedResult[];
  readonly preflights: number | PreflightsByRelease;
  readonly cacheCheck?: boolean;
}

function list<T extends object>(value: T | readonly T[] | undefined): readonly T[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

/** A scenario in the compact form of the reference's tables. */
export function scenario(s: SimpleScenario): Scenario {
  const requests = s.requests ?? [s.request ?? {}];
  const preflight = list(s.preflight);
  const actual = list(s.actual);
  const main: Route = {
    server: 'api',
    path: '',
    ...(preflight === undefined ? {} : { preflight }),
    ...(actual === undefined ? {} : { actual }),
  };
  const expected = list(s.expect) ?? [];
  return {
    id: s.id,
    title: s.title,
    requests,
    routes: [main, ...(s.routes ?? [])],
    // One expectation stands for every request of the scenario.
    expect: {
      results: requests.map((_, i) => expected[i] ?? expected[0] ?? allowed),
      preflights: s.preflights,
    },
    ...(s.cacheCheck === true ? { cacheCheck: true } : {}),
  };
}

/** The page's credentials mode as the browser applies it to a cross-origin request. */
export function credentialsModeOf(request: PageRequest): 'include' | 'omit' {
  if (request.via === 'img') return request.crossOrigin === 'use-credentials' ? 'include' : 'omit';
  return request.credentials === 'include' ? 'include' : 'omit';
}
