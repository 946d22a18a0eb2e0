// How long each browser engine keeps a successful preflight, from Access-Control-Max-Age
// (../shared/CORS-REFERENCE.md §2.2): absent → 5 s everywhere; caps Chromium 7200 s
// (services/network/cors/preflight_result.cc kMaxTimeout), Firefox 86400 s, WebKit 600 s.
import { boundedMemo } from './bounded-memo.js';
import type { WarningCode } from './codes.js';

export interface PreflightCacheSeconds {
  readonly chromium: number;
  readonly firefox: number;
  readonly webkit: number;
}

export const PREFLIGHT_CACHE_CAPS: PreflightCacheSeconds = { chromium: 7200, firefox: 86400, webkit: 600 };
/** Fetch Standard default when Max-Age is absent (or, in Chromium and WebKit, unparsable). */
export const DEFAULT_PREFLIGHT_CACHE_SECONDS = 5;

export interface PreflightCacheLifetime {
  readonly seconds: PreflightCacheSeconds;
  readonly warning: WarningCode | undefined;
}

const NOT_CACHED: PreflightCacheSeconds = Object.freeze({ chromium: 0, firefox: 0, webkit: 0 });
const DEFAULTS: PreflightCacheSeconds = Object.freeze({ chromium: 5, firefox: 5, webkit: 5 });
const MISSING: PreflightCacheLifetime = Object.freeze({ seconds: DEFAULTS, warning: 'max_age_missing' });
const ZERO: PreflightCacheLifetime = Object.freeze({ seconds: NOT_CACHED, warning: 'max_age_zero' });
// Chromium (base::StringToInt64 fails) and WebKit fall back to 5 s; Firefox accepts digits only and
// otherwise does not cache.
const UNPARSABLE: PreflightCacheLifetime = Object.freeze({
  seconds: Object.freeze({ chromium: 5, firefox: 0, webkit: 5 }),
  warning: 'max_age_invalid',
});
// Chromium and WebKit parse a negative number and cache for no time; Firefox sees a non-digit.
const NEGATIVE: PreflightCacheLifetime = Object.freeze({ seconds: NOT_CACHED, warning: 'max_age_invalid' });

const INTEGER = /^[+-]?\d+$/;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

function fitsInt64(integer: string): boolean {
  const value = BigInt(integer);
  return value >= INT64_MIN && value <= INT64_MAX;
}

/** The cache lifetime per engine of a preflight that passed, given its (combined) Max-Age value. */
export function preflightCacheLifetime(maxAge: string | undefined): PreflightCacheLifetime {
  return maxAge === undefined ? MISSING : lifetimeOf(maxAge);
}

// A server sends the same Max-Age on every preflight: compute each value's lifetimes once.
const lifetimeOf = boundedMemo((maxAge: string): PreflightCacheLifetime => {
  // Two Max-Age headers combine to "600, 600", which no engine parses (verified C15/C16).
  if (!INTEGER.test(maxAge)) return UNPARSABLE;
  // Chromium parses with base::StringToInt64: a value outside the 64-bit range fails and falls back to
  // 5 s, whatever its sign (verified E23: -99999999999999999999 is cached).
  if (maxAge.length > 18 && !fitsInt64(maxAge)) return UNPARSABLE;
  const value = Number(maxAge);
  if (value < 0) return NEGATIVE;
  if (value === 0) return ZERO;
  const firefox = maxAge.startsWith('+') ? 0 : Math.min(value, PREFLIGHT_CACHE_CAPS.firefox);
  // Shared by every verdict with this Max-Age, so frozen.
  return Object.freeze({
    seconds: Object.freeze({
      chromium: Math.min(value, PREFLIGHT_CACHE_CAPS.chromium),
      firefox,
      webkit: Math.min(value, PREFLIGHT_CACHE_CAPS.webkit),
    }),
    warning: value > PREFLIGHT_CACHE_CAPS.chromium ? 'max_age_capped' : undefined,
  });
});

/**
 * The lifetimes of a preflight whose Access-Control-Allow-Headers: * is all that admits Authorization.
 * Chromium stores it, but looks its cache up with the Fetch Standard's rule that `*` does not cover
 * Authorization (preflight_cache.cc CheckIfRequestCanSkipPreflight, NonWildcardRequestHeadersSupport(true)),
 * so the same request never finds it and is preflighted every time, whatever Max-Age says (verified E49).
 */
export function withoutChromiumReuse(seconds: PreflightCacheSeconds): PreflightCacheSeconds {
  return seconds.chromium === 0 ? seconds : Object.freeze({ ...seconds, chromium: 0 });
}

/** A preflight no engine caches (it failed: there is no negative caching anywhere). */
export const UNCACHED_PREFLIGHT = NOT_CACHED;
