// One browser's CORS-preflight cache (Fetch Standard §4.8 "CORS-preflight cache"): entries per origin, URL
// and credentials mode, one per allowed method and per allowed header name, each living for the preflight's
// Max-Age as Chromium caps it (7200 s; 5 s when absent — the verdict engine computes it). A request skips
// the preflight when its method and every page-set header it needs are matched by live entries. Pure: the
// caller passes the time. Where Fetch and Chromium differ, Chromium: a safelisted method needs no entry
// (PreflightResult::EnsureAllowedCrossOriginMethod), and the method asked for is kept even when
// Access-Control-Allow-Methods leaves it out (it passed because it is safelisted or listed).
import { isSafelistedMethod } from '@corsight/instrumentation';

export interface PreflightCacheKey {
  readonly origin: string;
  readonly url: string;
  readonly credentials: 'include' | 'omit';
}

export interface PreflightQuestion {
  readonly method: string;
  /** Lower-cased names of the page-set headers that need permission (the preflight's ACRH). */
  readonly headers: readonly string[];
}

export interface PreflightAnswer {
  /** Access-Control-Allow-Methods as received (undefined when absent). */
  readonly allowMethods: string | undefined;
  /** Access-Control-Allow-Headers as received. */
  readonly allowHeaders: string | undefined;
  /** How long Chromium keeps this preflight: the verdict's preflightCacheSeconds.chromium. */
  readonly cacheSeconds: number;
}

interface Entries {
  /** Method (case-sensitive, as Fetch compares them) or `*` → expiry in milliseconds. */
  readonly methods: Map<string, number>;
  /** Lower-cased header name or `*` → expiry. */
  readonly headers: Map<string, number>;
}

function splitList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function live(map: Map<string, number>, name: string, nowMs: number): boolean {
  const expires = map.get(name);
  return expires !== undefined && expires > nowMs;
}

// Beyond this many keys the oldest go: a demo browser calls a few hundred URLs at most.
const MAX_KEYS = 2000;

export class BrowserPreflightCache {
  readonly #entries = new Map<string, Entries>();

  /** Whether a preflight for this question would be answered from the cache. */
  covers(key: PreflightCacheKey, question: PreflightQuestion, nowMs: number): boolean {
    const entries = this.#entries.get(keyOf(key));
    if (entries === undefined) return false;
    const credentialed = key.credentials === 'include';
    // "method cache entry match": the method itself, or `*` when not credentialed.
    const methodOk =
      isSafelistedMethod(question.method) ||
      live(entries.methods, question.method, nowMs) ||
      (!credentialed && live(entries.methods, '*', nowMs));
    if (!methodOk) return false;
    // "header-name cache entry match": the name, or `*` when not credentialed and the name is not
    // Authorization (a wildcard never covers it).
    return question.headers.every(
      (name) =>
        live(entries.headers, name, nowMs) ||
        (!credentialed && name !== 'authorization' && live(entries.headers, '*', nowMs)),
    );
  }

  /** Records a preflight that passed (Fetch: "for each method in methods … create a new cache entry"). */
  store(key: PreflightCacheKey, question: PreflightQuestion, answer: PreflightAnswer, nowMs: number): void {
    if (answer.cacheSeconds <= 0) return;
    const id = keyOf(key);
    let entries = this.#entries.get(id);
    if (entries === undefined) {
      if (this.#entries.size >= MAX_KEYS) {
        const oldest = this.#entries.keys().next().value;
        if (oldest !== undefined) this.#entries.delete(oldest);
      }
      entries = { methods: new Map(), headers: new Map() };
      this.#entries.set(id, entries);
    }
    const expires = nowMs + answer.cacheSeconds * 1000;
    for (const method of [question.method, ...splitList(answer.allowMethods)])
      entries.methods.set(method, expires);
    for (const name of splitList(answer.allowHeaders)) entries.headers.set(name.toLowerCase(), expires);
  }

  get size(): number {
    return this.#entries.size;
  }
}

function keyOf(key: PreflightCacheKey): string {
  return `${key.credentials} ${key.origin} ${key.url}`;
}
