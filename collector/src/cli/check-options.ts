// `corsight check` arguments, validated once into the fetch() a page would make. Everything a browser's fetch()
// would refuse is refused here too, with the expected form, before any request leaves.
import { isSerialisedOrigin } from '@corsight/instrumentation';
import { type HeaderEntry, normaliseMethod, type PageFetch } from './browser-request.js';
import { UsageError } from './cli-errors.js';
import { headerSource } from './page-headers.js';

/** The options as commander hands them over: strings, unvalidated. */
export interface RawCheckOptions {
  readonly url: string;
  readonly origin?: string | undefined;
  readonly method?: string | undefined;
  readonly header?: readonly string[] | undefined;
  readonly credentials?: boolean | undefined;
  readonly timeout?: string | undefined;
  readonly json?: boolean | undefined;
}

export interface CheckOptions {
  readonly fetch: PageFetch;
  /** Per request, connection to last byte of the headers. */
  readonly timeoutMs: number;
  readonly json: boolean;
}

export const DEFAULT_TIMEOUT_MS = 10_000;
const MAX_TIMEOUT_MS = 600_000;

export function parseCheckOptions(raw: RawCheckOptions): CheckOptions {
  const url = parseUrl(raw.url);
  const origin = parseOrigin(raw.origin);
  const method = parseMethod(raw.method ?? 'GET');
  const credentials = raw.credentials === true ? 'include' : 'omit';
  const headers = parseHeaders(raw.header ?? [], credentials);
  return {
    fetch: { url, method, headers, origin, taintedOrigin: false, credentials },
    timeoutMs: parseTimeout(raw.timeout),
    json: raw.json === true,
  };
}

function parseUrl(value: string): string {
  if (!URL.canParse(value)) {
    throw new UsageError(
      'invalid_url',
      `<url> must be an absolute http(s) URL such as https://api.example.com/orders, got "${value}"`,
    );
  }
  const url = new URL(value);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError('invalid_url', `<url> must use http or https, got "${url.protocol}" in "${value}"`);
  }
  // fetch() throws on URLs with credentials; a browser would never send this request.
  if (url.username !== '' || url.password !== '') {
    throw new UsageError(
      'invalid_url',
      `<url> must not contain user:password@ (fetch() refuses it), got "${value}"`,
    );
  }
  url.hash = '';
  return url.href;
}

function parseOrigin(value: string | undefined): string {
  const expected = 'the page origin as a browser sends it, e.g. --origin https://app.example.com';
  if (value === undefined) throw new UsageError('missing_origin', `--origin is required: ${expected}`);
  // Lower case, punycode, no default port: anything else never arrives as an Origin.
  if (isSerialisedOrigin(value)) return value;
  const suggestion = URL.canParse(value) ? new URL(value).origin : 'null';
  const hint = suggestion !== 'null' && suggestion !== value ? ` (did you mean ${suggestion}?)` : '';
  throw new UsageError(
    'invalid_origin',
    `--origin must be a serialised origin, scheme://host[:port] without path or trailing slash, or null; got "${value}"${hint}`,
  );
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// fetch() refuses these methods outright (Fetch "forbidden method").
const FORBIDDEN_METHODS = new Set(['CONNECT', 'TRACE', 'TRACK']);

function parseMethod(value: string): string {
  if (!TOKEN.test(value)) {
    throw new UsageError(
      'invalid_method',
      `--method must be an HTTP method token such as PUT or PATCH, got "${value}"`,
    );
  }
  if (FORBIDDEN_METHODS.has(value.toUpperCase())) {
    throw new UsageError(
      'forbidden_method',
      `--method ${value} is forbidden in fetch(); a page cannot send it`,
    );
  }
  return normaliseMethod(value);
}

const HEADER_FORM = '--header takes "Name: value", e.g. --header "Content-Type: application/json"';

function parseHeaders(values: readonly string[], credentials: 'include' | 'omit'): HeaderEntry[] {
  // fetch()'s Headers combines a repeated name into one field, values joined by ", ".
  const combined = new Map<string, [name: string, value: string]>();
  for (const raw of values) {
    const colon = raw.indexOf(':');
    if (colon === -1) throw new UsageError('invalid_header', `${HEADER_FORM}; got "${raw}" (no colon)`);
    const name = raw.slice(0, colon).trim();
    if (!TOKEN.test(name)) {
      throw new UsageError('invalid_header', `${HEADER_FORM}; "${name}" is not a header name`);
    }
    // Fetch "normalize" a header value: strip leading and trailing HTTP whitespace; NUL, CR and LF are refused.
    const value = raw.slice(colon + 1).replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, '');
    if (/[\0\r\n]/.test(value)) {
      throw new UsageError('invalid_header', `${HEADER_FORM}; the value of ${name} contains NUL, CR or LF`);
    }
    const lower = name.toLowerCase();
    switch (headerSource(lower)) {
      case 'reserved':
        throw new UsageError(
          'reserved_header',
          `--header ${name} cannot be set: ${reservedHeaderOwner(lower)}`,
        );
      case 'credential':
        if (credentials === 'omit') {
          throw new UsageError(
            'cookie_without_credentials',
            `--header ${name} needs --credentials: a browser sends cookies cross-origin only with credentials: 'include'`,
          );
        }
        break;
      case 'browser':
      case 'page':
        break;
    }
    const previous = combined.get(lower);
    if (previous === undefined) combined.set(lower, [name, value]);
    else previous[1] = `${previous[1]}, ${value}`;
  }
  return [...combined.values()];
}

function reservedHeaderOwner(name: string): string {
  if (name === 'origin') return 'use --origin';
  if (name.startsWith('access-control-request-')) {
    return 'corsight derives the preflight from --method and --header';
  }
  return 'the HTTP connection sets it';
}

function parseTimeout(value: string | undefined): number {
  if (value === undefined) return DEFAULT_TIMEOUT_MS;
  const ms = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms < 1 || ms > MAX_TIMEOUT_MS) {
    throw new UsageError(
      'invalid_timeout',
      `--timeout must be a whole number of milliseconds from 1 to ${MAX_TIMEOUT_MS}, got "${value}"`,
    );
  }
  return ms;
}
