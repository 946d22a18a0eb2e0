// What a browser does with a redirect answer to a fetch() in redirect mode "follow" (Fetch Standard §4.4
// "HTTP-redirect fetch"; ../shared/CORS-REFERENCE.md §1.6, verified R01–R08): where it goes next, with which
// method, headers and Origin, or why it gives up. Runs only after the 3xx itself passed the CORS check.
import { isRedirectStatus, REASONS } from '@corsight/instrumentation';
import { type HeaderList, type PageFetch, requestOrigin, urlOrigin } from './browser-request.js';

/** Fetch "HTTP-redirect fetch": the 21st redirect is a network error. */
export const MAX_REDIRECTS = 20;

export interface RedirectFailureInfo {
  readonly summary: string;
  readonly fix: string;
}

/** Redirects the browser refuses with a network error: the page sees `TypeError: Failed to fetch`. */
export const REDIRECT_FAILURES = {
  multiple_locations: {
    summary:
      'The redirect carries several different Location headers; Chromium fails the request (ERR_RESPONSE_HEADERS_MULTIPLE_LOCATION).',
    fix: 'Send exactly one Location header.',
  },
  invalid_location: {
    summary: 'The Location header is not a URL the browser can parse, so it fails the request.',
    fix: 'Send an absolute URL, or a path relative to the request URL.',
  },
  unsupported_scheme: {
    summary: 'The redirect leads to a URL that is not http or https; fetch() fails the request.',
    fix: 'Redirect to an http or https URL.',
  },
  too_many_redirects: {
    summary: `More than ${MAX_REDIRECTS} redirects: the browser gives up with a network error.`,
    fix: 'Break the redirect loop, or have the page call the final URL.',
  },
  // For a CORS request the engine already blocks this (redirect_contains_credentials); Fetch also refuses it
  // for a same-origin request whose redirect leaves the page's origin.
  location_has_credentials: {
    summary: REASONS.redirect_contains_credentials.summary,
    fix: REASONS.redirect_contains_credentials.fix,
  },
} as const satisfies Record<string, RedirectFailureInfo>;

export type RedirectFailure = keyof typeof REDIRECT_FAILURES;

export type RedirectDecision =
  | { readonly kind: 'final' }
  | { readonly kind: 'failed'; readonly failure: RedirectFailure; readonly location: string }
  | {
      readonly kind: 'follow';
      readonly location: string;
      readonly next: PageFetch;
      /** The hop leaves the current URL's origin. */
      readonly crossOrigin: boolean;
      /** This hop set the tainted origin flag: Origin is `null` from here on. */
      readonly taintsOrigin: boolean;
      /** The method before a 301/302/303 turned the request into a GET. */
      readonly methodChangedFrom?: string;
      /** Header names the browser dropped for the next hop (lower-cased). */
      readonly removedHeaders: readonly string[];
    };

// Fetch "request-body-header name": dropped with the body when a redirect turns the request into a GET.
const REQUEST_BODY_HEADERS = new Set([
  'content-encoding',
  'content-language',
  'content-location',
  'content-type',
]);

/**
 * The browser's next move after a response to the actual request. `redirectsFollowed` counts the redirects
 * already taken; `location` is the Location field as received (repeated fields as an array).
 */
export function decideRedirect(
  fetch: PageFetch,
  status: number,
  location: string | readonly string[] | undefined,
  redirectsFollowed: number,
): RedirectDecision {
  if (!isRedirectStatus(status) || location === undefined) return { kind: 'final' };
  let value: string;
  if (typeof location === 'string') value = location;
  else {
    const distinct = [...new Set(location)];
    if (distinct.length > 1) {
      return { kind: 'failed', failure: 'multiple_locations', location: location.join(', ') };
    }
    value = distinct[0] ?? '';
  }
  // Chromium does not treat an empty Location as a redirect; the engine judges it the same way.
  if (value === '') return { kind: 'final' };

  if (!URL.canParse(value, fetch.url)) {
    return { kind: 'failed', failure: 'invalid_location', location: value };
  }
  const target = new URL(value, fetch.url);
  if (target.protocol !== 'http:' && target.protocol !== 'https:') {
    return { kind: 'failed', failure: 'unsupported_scheme', location: value };
  }
  if (redirectsFollowed >= MAX_REDIRECTS) {
    return { kind: 'failed', failure: 'too_many_redirects', location: value };
  }

  const currentOrigin = urlOrigin(fetch.url);
  const isCors = requestOrigin(fetch) !== currentOrigin;
  if ((target.username !== '' || target.password !== '') && (isCors || fetch.origin !== target.origin)) {
    return { kind: 'failed', failure: 'location_has_credentials', location: value };
  }
  target.hash = '';

  const crossOrigin = target.origin !== currentOrigin;
  const taintsOrigin = !fetch.taintedOrigin && crossOrigin && fetch.origin !== currentOrigin;
  const toGet =
    ((status === 301 || status === 302) && fetch.method === 'POST') ||
    (status === 303 && fetch.method !== 'GET' && fetch.method !== 'HEAD');
  const removed = new Set<string>();
  const headers: HeaderList = fetch.headers.filter(([rawName]) => {
    const name = rawName.toLowerCase();
    // Authorization is the one header Fetch strips when a redirect crosses origins.
    const drop = (toGet && REQUEST_BODY_HEADERS.has(name)) || (crossOrigin && name === 'authorization');
    if (drop) removed.add(name);
    return !drop;
  });
  return {
    kind: 'follow',
    location: value,
    next: {
      ...fetch,
      url: target.href,
      method: toGet ? 'GET' : fetch.method,
      headers,
      taintedOrigin: fetch.taintedOrigin || taintsOrigin,
    },
    crossOrigin,
    taintsOrigin,
    ...(toGet ? { methodChangedFrom: fetch.method } : {}),
    removedHeaders: [...removed],
  };
}
