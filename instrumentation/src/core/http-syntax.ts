// Small pieces of HTTP syntax the CORS rules are written in (RFC 9110), kept byte-level and allocation-light
// because they run on every request.

/** tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
  TCHAR[c.charCodeAt(0)] = 1;
}

export function isToken(value: string, start = 0, end = value.length): boolean {
  if (end <= start) return false;
  for (let i = start; i < end; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || TCHAR[c] === 0) return false;
  }
  return true;
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Strips optional whitespace (space, tab) the way an HTTP parser does around a field value. */
export function trimOws(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isOws(value.charCodeAt(start))) start++;
  while (end > start && isOws(value.charCodeAt(end - 1))) end--;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

/**
 * Parses `#token` (comma list, empty elements and OWS allowed, every element a token), as Chromium's
 * `ParseAccessControlAllowList` does for Access-Control-Allow-Methods / -Headers. Returns undefined when an
 * element is not a token (the browser then fails the preflight), the elements otherwise.
 */
export function parseTokenList(value: string): string[] | undefined {
  const items: string[] = [];
  let start = 0;
  const length = value.length;
  while (start <= length) {
    let end = value.indexOf(',', start);
    if (end === -1) end = length;
    let a = start;
    let b = end;
    while (a < b && isOws(value.charCodeAt(a))) a++;
    while (b > a && isOws(value.charCodeAt(b - 1))) b--;
    if (b > a) {
      if (!isToken(value, a, b)) return undefined;
      items.push(value.slice(a, b));
    }
    start = end + 1;
  }
  return items;
}

/** Splits a comma list into trimmed, lower-cased, distinct, non-empty names (Access-Control-Request-Headers, Vary, …). */
export function splitNameList(value: string): string[] {
  const names: string[] = [];
  for (const part of value.split(',')) {
    const name = trimOws(part).toLowerCase();
    if (name !== '' && !names.includes(name)) names.push(name);
  }
  return names;
}

/** 301, 302, 303, 307 and 308 are redirects when a Location comes with them (Chromium 156); 300 and 304 are not. */
export function isRedirectStatus(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

export function isOkStatus(status: number): boolean {
  return status >= 200 && status <= 299;
}

/** Combines repeated values as a browser does (`, `), trimming the optional whitespace a parser strips. */
export function combineValue(value: string | readonly string[] | number | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'string') return trimOws(value);
  if (typeof value === 'number') return String(value);
  if (value.length === 1) return trimOws(value[0] ?? '');
  return value.map(trimOws).join(', ');
}
