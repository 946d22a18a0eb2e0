// Origins as browsers serialise them: `scheme://host[:port]` with lower-case scheme and host and no default
// port, or `null` for opaque origins (Fetch Standard "serializing an origin"; HTML §7.1.1).
import { boundedMemo } from './bounded-memo.js';
import type { MismatchHint } from './codes.js';

/** Longest Origin value treated as plausible: a 253-byte host, a scheme and a port fit easily. */
export const MAX_ORIGIN_LENGTH = 512;

const SERIALISED_ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/(?:\[[0-9a-f:.]+\]|[^/?#@\s\\[\]:,]+)(?::\d{1,5})?$/;

// What an opaque host serialises to: the URL parser percent-encodes controls and every non-ASCII code point.
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * Whether an origin of the pattern above is written as a browser writes it: for http(s), exactly what the
 * URL parser serialises (lower case, punycode, no default port, no control characters); other schemes
 * (extensions' origins) as they come, in printable ASCII. `https://App.example`, `https://a.example:443` or
 * a host with non-ASCII letters never come from a browser, and would each count as an origin of their own;
 * `chrome-extension://\u202egnp.exe` would show as `chrome-extension://exe.png`.
 */
function isCanonical(value: string): boolean {
  // Other schemes' hosts are opaque to the URL parser (Safari's extension origins hold upper-case UUIDs).
  if (!value.startsWith('http://') && !value.startsWith('https://')) return PRINTABLE_ASCII.test(value);
  try {
    return new URL(value).origin === value;
  } catch {
    return false;
  }
}

/** Whether a request's Origin value is something a browser could have sent. */
export const isSerialisedOrigin = boundedMemo(
  (value: string): boolean =>
    value === 'null' ||
    (value.length <= MAX_ORIGIN_LENGTH && SERIALISED_ORIGIN.test(value) && isCanonical(value)),
);

/** The serialised origin of an absolute URL (`https://api.example.com/x` → `https://api.example.com`), or undefined. */
export function serialiseOrigin(url: string): string | undefined {
  try {
    const origin = new URL(url).origin;
    return origin === 'null' ? undefined : origin;
  } catch {
    return undefined;
  }
}

/**
 * serialiseOrigin, remembered (boundedly: the values are the client's). For what repeats on every request, a
 * Host or a span's server address, where the WHATWG URL parse costs about a microsecond.
 */
export const serialisedOriginOf = boundedMemo(serialiseOrigin);

interface OriginParts {
  scheme: string;
  host: string;
  port: string;
  rest: string;
  /** The scheme or host was not written in lower case. */
  upperCase: boolean;
}

const ORIGIN_PARTS = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*?)(?::(\d*))?([/?#].*)?$/s;

function splitOrigin(value: string): OriginParts | undefined {
  const match = ORIGIN_PARTS.exec(value);
  if (match === null) return undefined;
  const rawScheme = match[1] ?? '';
  const rawHost = match[2] ?? '';
  const scheme = rawScheme.toLowerCase();
  const host = rawHost.toLowerCase();
  const defaultPort = scheme === 'https' ? '443' : scheme === 'http' ? '80' : '';
  const port = match[3] === undefined || match[3] === '' ? defaultPort : match[3];
  return { scheme, host, port, rest: match[4] ?? '', upperCase: scheme !== rawScheme || host !== rawHost };
}

function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '[::1]' || host.startsWith('127.') || host.endsWith('.localhost');
}

/** Whether an origin's host is loopback (`localhost`, `127.0.0.0/8`, `[::1]`). */
export const isLoopbackOrigin = boundedMemo((origin: string): boolean => {
  const parts = splitOrigin(origin);
  return parts !== undefined && isLoopbackHost(parts.host);
});

/**
 * Explains why `allowed` (an Access-Control-Allow-Origin value) does not equal `origin` (the request's
 * serialised origin), most specific cause first. Runs only on the failure path.
 */
export function explainOriginMismatch(allowed: string, origin: string): MismatchHint[] {
  if (allowed === 'null' || origin === 'null') return ['null_vs_origin'];
  if (allowed.includes('*')) return ['wildcard_pattern'];
  if (allowed === `${origin}/`) return ['trailing_slash'];
  if (allowed.toLowerCase() === origin.toLowerCase()) return ['case'];
  const a = splitOrigin(allowed);
  const o = splitOrigin(origin);
  if (a === undefined || o === undefined) return ['other_host'];
  const hints: MismatchHint[] = [];
  if (a.rest !== '' && a.rest !== '/') hints.push('path_or_query');
  else if (a.rest === '/') hints.push('trailing_slash');
  if (a.upperCase) hints.push('case');
  if (a.scheme !== o.scheme) hints.push('scheme');
  if (a.host !== o.host) {
    if (isLoopbackHost(a.host) && isLoopbackHost(o.host)) hints.push('loopback_alias');
    else if (a.host === `www.${o.host}` || o.host === `www.${a.host}`) hints.push('www');
    else hints.push('other_host');
  }
  const explicitDefaultPort = /:(80|443)(?:[/?#]|$)/.test(allowed) && a.port === o.port;
  // http and https imply 80 and 443: with no port written on either side, the scheme is the difference.
  const impliedPortsOnly =
    a.scheme !== o.scheme &&
    !/:\d/.test(allowed.slice(a.scheme.length + 3)) &&
    !/:\d/.test(origin.slice(o.scheme.length + 3));
  if ((a.port !== o.port && !impliedPortsOnly) || explicitDefaultPort) hints.push('port');
  return hints.length > 0 ? hints : ['other_host'];
}
