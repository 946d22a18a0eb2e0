// How Chromium's URL parser, GURL, reads a header value as a URL. Chromium's CORS check calls an
// Access-Control-Allow-Origin value that is not the origin, not a list and not `null` InvalidAllowOriginValue
// when `GURL(value).is_valid()` is false, AllowOriginMismatch otherwise (cors.cc CheckAccess); a redirect's
// Location is resolved against the request URL by GURL::Resolve, and a URL it cannot make fails the request
// (net::ERR_INVALID_REDIRECT) while the one it makes is the one checked for credentials, scheme and origin.
// Node's WHATWG parser (URL) stands in for GURL. It decides like GURL on every ASCII value tried against
// Chromium 150 except two kinds of host, and Chromium parses the header's bytes as UTF-8 where Node hands over
// one character per byte; each difference is made up for below, with the oracle scenarios that show it.
import { boundedMemo } from './bounded-memo.js';

const NON_ASCII = /[\u0080-\uffff]/;
const BEYOND_A_BYTE = /[\u0100-\uffff]/;
// fatal: false, so an invalid sequence becomes U+FFFD; ignoreBOM, because GURL sees a leading BOM as a
// character (and rejects the value), where the decoder would drop it.
const UTF8 = new TextDecoder('utf-8', { ignoreBOM: true });

/**
 * The header value as the text GURL parses. node:http, Fastify and OpenTelemetry's Node instrumentation (and
 * so the collector's spans from Node servers) give a header's bytes one character each: `Ã¼` is the two
 * bytes of UTF-8 `ü`, and Chromium reads them as `ü` [E39]. A byte that is not valid UTF-8 becomes U+FFFD: in
 * a host GURL rejects it, and so does the WHATWG parser [E40]; in a path both keep it [E41]. A value with a
 * character beyond U+00FF was decoded by whoever recorded it and is taken as it is.
 */
export function headerText(value: string): string {
  if (!NON_ASCII.test(value) || BEYOND_A_BYTE.test(value)) return value;
  const bytes = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) bytes[i] = value.charCodeAt(i);
  return UTF8.decode(bytes);
}

// The schemes whose host both parsers read as a domain, and their authority (after any run of / and \, the
// WHATWG "special authority ignore slashes" state and GURL's standard-scheme parsing alike).
const SPECIAL_AUTHORITY = /^([A-Za-z][A-Za-z0-9+.-]*):[/\\]*([^/\\?#]*)/;
const SPECIAL_SCHEMES = new Set(['http', 'https', 'ws', 'wss', 'ftp', 'file']);
const TAB_OR_NEWLINE = /[\t\n\r]/g;
// eslint-disable-next-line no-control-regex -- what both parsers strip around a URL
const LEADING_C0_OR_SPACE = /^[\x00-\x20]+/;
// eslint-disable-next-line no-control-regex -- what both parsers strip around a URL
const TRAILING_C0_OR_SPACE = /[\x00-\x20]+$/;
/** A reference that names a host but no scheme (`//host`, `\\host`, `/\\host`): it takes the base's. */
const SCHEME_RELATIVE = /^[/\\]{2}/;
/** Escaped bytes beyond ASCII, decoded together: `%C2%A0` is one character. */
const ESCAPED_NON_ASCII = /(?:%[89A-Fa-f][0-9A-Fa-f])+/g;
const SPACE = / |%20/g;
/** `xn--` at any place and in any case, its letters possibly escaped (`%78n--a` is the host `xn--a`). */
const ACE_PREFIX = /(?:x|%78)(?:n|%6e)(?:-|%2d)(?:-|%2d)/gi;
/**
 * The characters whose compatibility decomposition (NFKC) holds a space: UTS #46 maps them onto one
 * (U+00A0 → U+0020, U+00A8 → U+0020 U+0308, …), 67 of them in Node 20's ICU. Less U+FDFA and U+FDFB: they
 * map to Arabic words with spaces between, which GURL's bidi rule refuses (a space is not allowed in a label
 * of a right-to-left domain), so they stay for the WHATWG parser to refuse too.
 */
const MAPPED_TO_SPACE =
  /[\u00a0\u00a8\u00af\u00b4\u00b8\u02d8-\u02dd\u037a\u0384\u0385\u1fbd\u1fbf-\u1fc1\u1fcd-\u1fcf\u1fdd-\u1fdf\u1fed\u1fee\u1ffd\u1ffe\u2000-\u200a\u2017\u202f\u203e\u205f\u3000\u309b\u309c\ufc5e-\ufc63\ufe49-\ufe4c\ufe70\ufe72\ufe74\ufe76\ufe78\ufe7a\ufe7c\ufe7e\uffe3]/g;

function decodeEscapes(run: string): string {
  const bytes = new Uint8Array(run.length / 3);
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(run.slice(i * 3 + 1, i * 3 + 3), 16);
  return UTF8.decode(bytes);
}

/**
 * The URL with its host rewritten so that the WHATWG parser no longer refuses what GURL accepts there, or
 * undefined when there is nothing to rewrite:
 * - a space. GURL escapes it as %20 [E43, E48], the WHATWG parser forbids it; it is written as one, as `%20`
 *   or as a character mapped onto a space (a UTF-8 no-break space after the origin, copied from a document
 *   [E42]).
 * - `xn--` labels that are not valid punycode. GURL checks them only when it runs IDNA, that is when the host
 *   (unescaped) holds a character beyond ASCII [E38]; an ASCII host is taken as written, `https://xn--a.example`
 *   is a valid URL [E36, E37, E46]. The WHATWG parser decodes and checks every `xn--` label.
 * Replacing a space by `x` and `xn--` by `xx--` changes nothing else the parsers check. Outside the host
 * (a path, the user name) neither character makes a URL invalid, so the host is found by a simple cut.
 * With a `base` of a special scheme, a reference without a scheme but with a host (`//host`, `\\host`: the
 * WHATWG "relative slash state" and GURL alike skip any run of / and \\) takes the base's scheme [E47].
 */
function withGurlHost(text: string, base?: URL): string | undefined {
  let url = text
    .replace(TAB_OR_NEWLINE, '')
    .replace(LEADING_C0_OR_SPACE, '')
    .replace(TRAILING_C0_OR_SPACE, '');
  if (base !== undefined && SCHEME_RELATIVE.test(url)) url = base.protocol + url;
  const match = SPECIAL_AUTHORITY.exec(url);
  if (match === null || !SPECIAL_SCHEMES.has((match[1] ?? '').toLowerCase())) return undefined;
  const authority = match[2] ?? '';
  // The host (with its port) follows the last `@`, in both parsers.
  const host = authority.slice(authority.lastIndexOf('@') + 1);
  const unescaped = host.replace(ESCAPED_NON_ASCII, decodeEscapes);
  let rewritten = unescaped.replace(SPACE, 'x').replace(MAPPED_TO_SPACE, 'x');
  if (!NON_ASCII.test(unescaped)) rewritten = rewritten.replace(ACE_PREFIX, 'xx--');
  if (rewritten === unescaped) return undefined;
  const end = match[0].length;
  return url.slice(0, end - host.length) + rewritten + url.slice(end);
}

/**
 * Whether Chromium (GURL) can parse the header value as a URL. Runs on the failure path only, remembered
 * boundedly; every step is one linear pass (no pattern can backtrack), so a hostile value costs its length.
 * Not matched: IDNA rules the WHATWG parser in Node 20 does not apply or knows in an older Unicode version
 * than Chromium's ICU. GURL applies the bidi rule (`https://١.example` and `https://aא.example` are invalid,
 * Node accepts them) and knows code points of Unicode 16 (`https://🫩.example` is valid, Node rejects it).
 * Nor a fullwidth percent sign in a host, which IDNA maps to `%` and GURL then takes as an escape (a Location
 * `http://a％41.example` is followed to `http://aa.example`; the WHATWG parser forbids the `%`).
 */
export const isParseableUrl = boundedMemo((value: string): boolean => {
  const text = headerText(value);
  if (URL.canParse(text)) return true;
  const rewritten = withGurlHost(text);
  return rewritten !== undefined && URL.canParse(rewritten);
});

function parsed(text: string, base: URL | undefined): URL | undefined {
  try {
    return new URL(text, base);
  } catch {
    return undefined;
  }
}

/**
 * The URL GURL makes of a redirect's Location resolved against the request's URL, or undefined when it
 * makes none (Chromium fails the request with net::ERR_INVALID_REDIRECT). Where GURL accepts a host the
 * WHATWG parser refuses, the URL returned holds a stand-in host (`x` for a space, `xx--` for `xn--`): right
 * for its scheme, credentials and port, and, like the real host, not the host of an origin Node serialised.
 * A byte that is not UTF-8 in the path or query is U+FFFD here where GURL escapes the byte itself (`%FC`),
 * which no check reads. Not matched, besides isParseableUrl's list: a Location holding a NUL byte fails the whole response in
 * Chromium (net::ERR_INVALID_HTTP_RESPONSE), as do response headers beyond 256 KiB
 * (net::ERR_RESPONSE_HEADERS_TOO_BIG); neither is a CORS outcome the engine reports.
 */
export function resolveLocation(value: string, base: URL): URL | undefined {
  const text = headerText(value);
  const url = parsed(text, base);
  if (url !== undefined) return url;
  const rewritten = withGurlHost(text, base);
  return rewritten === undefined ? undefined : parsed(rewritten, base);
}
