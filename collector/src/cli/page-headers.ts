// Who would set each header given with --header, if a page's fetch() made this request. The engine's request
// classifier is written for a server, which cannot tell a page-set Cache-Control from one the browser added;
// here the person says which headers the page sets, so the Fetch Standard's own lists apply.

/**
 * - `reserved`: the HTTP layer or the CORS protocol owns it (corsight sets it, or it would break the exchange).
 * - `credential`: Cookie — a browser sends it cross-origin only with credentials: 'include', never on a preflight.
 * - `browser`: a forbidden request-header the browser adds itself (Referer, User-Agent, Sec-*): sent as given,
 *   on the preflight too, and never a reason to preflight.
 * - `page`: set by page script through fetch(); counts towards the preflight decision.
 */
export type HeaderSource = 'reserved' | 'credential' | 'browser' | 'page';

const RESERVED = new Set([
  'origin',
  'access-control-request-method',
  'access-control-request-headers',
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'expect',
  'te',
  'trailer',
]);

// The rest of the Fetch Standard's forbidden request-header names (§2.2.2), plus User-Agent, which Chromium
// does not let pages set.
const BROWSER = new Set([
  'accept-charset',
  'accept-encoding',
  'date',
  'dnt',
  'referer',
  'set-cookie',
  'via',
  'user-agent',
]);

const CREDENTIAL = new Set(['cookie', 'cookie2']);

/** The source of a (lower-cased) header name given on the command line. */
export function headerSource(name: string): HeaderSource {
  if (RESERVED.has(name)) return 'reserved';
  if (CREDENTIAL.has(name)) return 'credential';
  if (BROWSER.has(name) || name.startsWith('sec-') || name.startsWith('proxy-')) return 'browser';
  return 'page';
}
