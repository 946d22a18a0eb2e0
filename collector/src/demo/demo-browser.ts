// One demo browser: a page on one origin making fetch() calls the way Chromium does. It sends the preflight
// only when the Fetch rules require one and its preflight cache has no live answer, skips the actual request
// when the preflight fails, and judges each response with the same engine as `corsight check`
// (browser-request.ts builds the requests a browser sends).
import { evaluateCors, type CorsOptions } from '@corsight/instrumentation';
import {
  buildActualRequest,
  buildPreflight,
  decidePreflight,
  type HeaderEntry,
  normaliseMethod,
  type PageFetch,
  toCorsRequest,
  urlOrigin,
} from '../cli/browser-request.js';
import type { HttpResponse } from '../cli/http-exchange.js';
import { BrowserPreflightCache } from './browser-preflight-cache.js';
import type { OutgoingRequest } from './demo-http.js';

export type SendRequest = (outgoing: OutgoingRequest) => Promise<HttpResponse>;

/** What the page saw: whether a preflight went out (or the cache answered) and whether it could read. */
export interface PageFetchResult {
  readonly preflight: 'none' | 'sent' | 'cached';
  readonly outcome: 'allowed' | 'blocked';
  readonly stoppedAt?: 'preflight' | 'actual';
}

export interface PageCall {
  readonly url: string;
  readonly method: string;
  /** Headers page script sets. */
  readonly headers: readonly HeaderEntry[];
  readonly body: string | undefined;
  readonly credentials: 'include' | 'omit';
}

// What Chromium adds to every cross-origin fetch(); the engine ignores Sec-Fetch-* from pages
// (toCorsRequest), the instrumentation on the server sees them as a browser would send them.
const BROWSER_HEADERS: readonly HeaderEntry[] = [
  ['User-Agent', 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) corsight-demo'],
  ['Sec-Fetch-Mode', 'cors'],
  ['Sec-Fetch-Site', 'cross-site'],
  ['Sec-Fetch-Dest', 'empty'],
];

function headerValue(response: HttpResponse, name: string): string | undefined {
  const value = response.headers[name];
  return typeof value === 'string' ? value : value?.join(', ');
}

export class DemoBrowser {
  readonly origin: string;
  readonly #cookie: string | undefined;
  readonly #send: SendRequest;
  readonly #cache = new BrowserPreflightCache();

  constructor(origin: string, cookie: string | undefined, send: SendRequest) {
    this.origin = origin;
    this.#cookie = cookie;
    this.#send = send;
  }

  /** Runs one fetch() at scenario time `nowMs`; rejects only when a server does not answer. */
  async fetch(call: PageCall, nowMs: number): Promise<PageFetchResult> {
    const headers: HeaderEntry[] = [...call.headers, ...BROWSER_HEADERS];
    if (call.credentials === 'include' && this.#cookie !== undefined) headers.push(['Cookie', this.#cookie]);
    const page: PageFetch = {
      url: call.url,
      method: normaliseMethod(call.method),
      headers,
      origin: this.origin,
      taintedOrigin: false,
      credentials: call.credentials,
    };
    const options: CorsOptions = { credentials: call.credentials, serverOrigin: urlOrigin(call.url) };
    const actual = buildActualRequest(page);
    const need = decidePreflight(page, actual);
    const key = { origin: this.origin, url: call.url, credentials: call.credentials };
    const question = { method: page.method, headers: need.unsafeHeaders };

    let preflight: PageFetchResult['preflight'] = 'none';
    if (need.needed) {
      if (this.#cache.covers(key, question, nowMs)) preflight = 'cached';
      else {
        preflight = 'sent';
        const request = buildPreflight(page, need);
        const response = await this.#send(request);
        const verdict = evaluateCors(toCorsRequest(request), response, options);
        if (verdict.outcome !== 'allowed') return { preflight, outcome: 'blocked', stoppedAt: 'preflight' };
        this.#cache.store(
          key,
          question,
          {
            allowMethods: headerValue(response, 'access-control-allow-methods'),
            allowHeaders: headerValue(response, 'access-control-allow-headers'),
            cacheSeconds: verdict.preflightCacheSeconds?.chromium ?? 0,
          },
          nowMs,
        );
      }
    }
    const response = await this.#send({ ...actual, body: call.body });
    const verdict = evaluateCors(toCorsRequest(actual), response, options);
    return verdict.outcome === 'allowed'
      ? { preflight, outcome: 'allowed' }
      : { preflight, outcome: 'blocked', stoppedAt: 'actual' };
  }
}
