// Every reason, warning and mismatch hint Corsight can report, each defined once with the sentence a person
// reads (in the browser's terms) and the fix. The dashboard, the alerts and `corsight check` all print these.
// Order of REASONS is Chromium's check order (../shared/CORS-REFERENCE.md §5.2): when a response has several
// faults, the first failing check is the one Chromium's console reports.

/** Where a check applies: the preflight (OPTIONS) response, the actual response, or both. */
export type CorsPhase = 'preflight' | 'actual' | 'both';

export interface ReasonInfo {
  readonly phase: CorsPhase;
  /**
   * Chromium's `network::mojom::CorsError` names (DevTools `Network.CorsError`) for the actual and preflight
   * phase, and the network errors (`net::ERR_…`, without the prefix) it fails the actual request with instead
   * where the Fetch Standard makes the fault a network error rather than a CORS error.
   */
  readonly chromium: {
    readonly actual?: string;
    readonly preflight?: string;
    readonly network?: readonly string[];
  };
  /** What the browser decided, in its own terms. */
  readonly summary: string;
  /** What to change on the server. */
  readonly fix: string;
}

export const REASONS = {
  preflight_redirect: {
    phase: 'preflight',
    chromium: { preflight: 'PreflightDisallowedRedirect' },
    summary: 'The preflight was answered with a redirect; browsers never follow a redirect for a preflight.',
    fix: 'Answer OPTIONS on the exact URL the page calls with 2xx (often a trailing-slash or http→https redirect in front of the API).',
  },
  wildcard_origin_with_credentials: {
    phase: 'both',
    chromium: { actual: 'WildcardOriginNotAllowed', preflight: 'PreflightWildcardOriginNotAllowed' },
    summary:
      "Access-Control-Allow-Origin is '*' but the request's credentials mode is 'include'; the wildcard never grants credentialed access.",
    fix: 'For credentialed requests send the exact request origin from an allowlist (plus Access-Control-Allow-Credentials: true and Vary: Origin).',
  },
  missing_allow_origin: {
    phase: 'both',
    chromium: { actual: 'MissingAllowOriginHeader', preflight: 'PreflightMissingAllowOriginHeader' },
    summary: "No 'Access-Control-Allow-Origin' header is present on the response.",
    fix: 'Send Access-Control-Allow-Origin on every response to an allowed origin, including errors, 404s and preflights answered by auth or the router.',
  },
  multiple_allow_origin: {
    phase: 'both',
    chromium: { actual: 'MultipleAllowOriginValues', preflight: 'PreflightMultipleAllowOriginValues' },
    summary:
      'Access-Control-Allow-Origin contains several values (a list, or the header sent twice), but only one origin is allowed.',
    fix: 'Send exactly one Access-Control-Allow-Origin header with one origin; check that a proxy and the app do not both add it.',
  },
  invalid_allow_origin: {
    phase: 'both',
    chromium: { actual: 'InvalidAllowOriginValue', preflight: 'PreflightInvalidAllowOriginValue' },
    summary: 'Access-Control-Allow-Origin holds a value that is not a URL (empty, a bare host, quoted, …).',
    fix: "Send the full serialised origin, e.g. 'https://app.example.com', or '*'.",
  },
  allow_origin_mismatch: {
    phase: 'both',
    chromium: { actual: 'AllowOriginMismatch', preflight: 'PreflightAllowOriginMismatch' },
    summary: 'Access-Control-Allow-Origin names a different origin than the one the request came from.',
    fix: 'Send the request origin exactly as the browser sends it: scheme, host and port, no path, no trailing slash.',
  },
  allow_credentials_not_true: {
    phase: 'both',
    chromium: { actual: 'InvalidAllowCredentials', preflight: 'PreflightInvalidAllowCredentials' },
    summary:
      "The request's credentials mode is 'include' but Access-Control-Allow-Credentials is not exactly 'true'.",
    fix: "Send one 'Access-Control-Allow-Credentials: true' (lower case, once) to origins allowed to send cookies.",
  },
  preflight_status_not_ok: {
    phase: 'preflight',
    chromium: { preflight: 'PreflightInvalidStatus' },
    summary: 'The preflight response does not have an HTTP ok status (200–299).',
    fix: 'Answer OPTIONS preflights with 204 before authentication, rate limiting or routing can reject them.',
  },
  invalid_allow_methods: {
    phase: 'preflight',
    chromium: { preflight: 'InvalidAllowMethodsPreflightResponse' },
    summary: 'Access-Control-Allow-Methods cannot be parsed as a comma-separated list of method names.',
    fix: "Separate methods with commas, e.g. 'GET, PUT, DELETE' (not spaces or semicolons).",
  },
  invalid_allow_headers: {
    phase: 'preflight',
    chromium: { preflight: 'InvalidAllowHeadersPreflightResponse' },
    summary: 'Access-Control-Allow-Headers cannot be parsed as a comma-separated list of header names.',
    fix: "Separate header names with commas, e.g. 'content-type, authorization' (no colons, no spaces inside names).",
  },
  method_not_allowed: {
    phase: 'preflight',
    chromium: { preflight: 'MethodDisallowedByPreflightResponse' },
    summary: 'The method is not allowed by Access-Control-Allow-Methods in the preflight response.',
    fix: "List the method exactly as sent (methods are case-sensitive: 'PATCH' does not allow 'patch'); '*' only works without credentials.",
  },
  header_not_allowed: {
    phase: 'preflight',
    chromium: { preflight: 'HeaderDisallowedByPreflightResponse' },
    summary: 'A request header is not allowed by Access-Control-Allow-Headers in the preflight response.',
    fix: "List every header the page sets (e.g. 'content-type, authorization'); '*' only works without credentials.",
  },
  redirect_contains_credentials: {
    phase: 'actual',
    chromium: { actual: 'RedirectContainsCredentials' },
    summary:
      'The response redirects to a URL that contains a user name or password, which is disallowed for cross-origin requests.',
    fix: 'Redirect to a URL without user:password@; pass credentials another way.',
  },
  redirect_disallowed_scheme: {
    phase: 'actual',
    // data:, about: and file: targets fail as ERR_UNSAFE_REDIRECT, ws: as ERR_UNKNOWN_URL_SCHEME (Chromium 150).
    chromium: { actual: 'CorsDisabledScheme', network: ['ERR_UNSAFE_REDIRECT', 'ERR_UNKNOWN_URL_SCHEME'] },
    summary:
      "The response redirects to a URL that is not http or https (an app's own scheme, ftp:, data:, javascript:, …); browsers fail a cross-origin request redirected there.",
    fix: 'Redirect cross-origin requests to http(s) URLs only; a callback into an app scheme must be reached by navigating, not by fetch().',
  },
  redirect_invalid_location: {
    phase: 'actual',
    // A network error, not a CORS error.
    chromium: { network: ['ERR_INVALID_REDIRECT', 'ERR_RESPONSE_HEADERS_MULTIPLE_LOCATION'] },
    summary:
      'The response is a redirect whose Location is not one URL (it does not parse, or the header is sent with different values); browsers fail the request.',
    fix: 'Send exactly one Location header holding an absolute URL or a path relative to the request URL.',
  },
} as const satisfies Record<string, ReasonInfo>;

export type ReasonCode = keyof typeof REASONS;

export interface WarningInfo {
  readonly phase: CorsPhase;
  readonly summary: string;
  readonly fix: string;
}

export const WARNINGS = {
  authorization_covered_by_wildcard: {
    phase: 'preflight',
    summary:
      "Authorization is allowed only through Access-Control-Allow-Headers: '*'. Chromium, Firefox and Safari accept this today, the Fetch Standard does not and Chromium reports it as deprecated. Chromium also never reuses such a preflight from its cache: every request with Authorization is preflighted again.",
    fix: "List 'authorization' explicitly in Access-Control-Allow-Headers.",
  },
  chromium_only_safelisted_header: {
    phase: 'actual',
    summary:
      'The request carries a client-hint header (DPR, Save-Data, …) that only Chromium sends without a preflight; Firefox and Safari preflight it.',
    fix: 'Answer preflights for this route and list the header in Access-Control-Allow-Headers so every browser passes.',
  },
  method_case_mismatch: {
    phase: 'preflight',
    summary:
      'Access-Control-Allow-Methods lists the method in different letter case; browsers compare methods case-sensitively.',
    fix: "List the method in the case the page sends it (fetch() upper-cases only DELETE, GET, HEAD, OPTIONS, POST, PUT; 'patch' stays 'patch').",
  },
  wildcard_literal_with_credentials: {
    phase: 'both',
    summary:
      "A credentialed request treats '*' in Access-Control-Allow-Methods/-Headers/-Expose-Headers as the literal name '*', not a wildcard.",
    fix: 'List the methods and header names explicitly for credentialed callers.',
  },
  wildcard_with_credentials_header: {
    phase: 'both',
    summary:
      "Access-Control-Allow-Origin: '*' is sent with Access-Control-Allow-Credentials: true; this only works for requests without credentials.",
    fix: "Either drop Access-Control-Allow-Credentials, or reflect allowlisted origins instead of '*'.",
  },
  missing_vary_origin: {
    phase: 'actual',
    summary:
      'Access-Control-Allow-Origin depends on the request Origin but the response has no Vary: Origin; a browser or CDN cache can serve it to another origin, which is then blocked without reaching the server.',
    fix: 'Add Vary: Origin to every response whose CORS headers depend on the Origin (including responses without them).',
  },
  vary_origin_on_static_acao: {
    phase: 'actual',
    summary: "Vary: Origin is sent with Access-Control-Allow-Origin: '*', fragmenting caches for no benefit.",
    fix: 'Drop Vary: Origin where the CORS headers do not depend on the Origin.',
  },
  null_origin_allowed: {
    phase: 'both',
    summary:
      "Access-Control-Allow-Origin: null is sent; every sandboxed iframe, data: or file: page (so any attacker) can produce the 'null' origin.",
    fix: "Never allow 'null'; serve such callers from a real origin.",
  },
  origin_reflected_with_credentials: {
    phase: 'both',
    summary:
      'The request origin is reflected with Access-Control-Allow-Credentials: true although it is not in the configured allowlist.',
    fix: 'Reflect only allowlisted origins (anchored, exact matches) when credentials are allowed.',
  },
  credentials_for_insecure_origin: {
    phase: 'both',
    summary:
      'Credentialed access is granted to a plain-http origin that is not loopback; anyone on the network path can act as it.',
    fix: 'Allow credentials only for https origins.',
  },
  max_age_missing: {
    phase: 'preflight',
    summary:
      'No Access-Control-Max-Age: browsers cache this preflight for 5 seconds only, so most calls pay for a preflight.',
    fix: "Send Access-Control-Max-Age, e.g. 7200 (Chromium's cap).",
  },
  max_age_invalid: {
    phase: 'preflight',
    summary:
      'Access-Control-Max-Age is not a single non-negative number (or is sent twice): Chromium and Safari fall back to 5 seconds (0 when negative), Firefox does not cache.',
    fix: 'Send one Access-Control-Max-Age header with a number of seconds, e.g. 7200.',
  },
  max_age_capped: {
    phase: 'preflight',
    summary:
      'Access-Control-Max-Age is above what browsers honour: Chromium caps it at 7200 s, Firefox at 86400 s, Safari at 600 s.',
    fix: 'Send 7200 or less; a longer value has no effect in Chromium.',
  },
  max_age_zero: {
    phase: 'preflight',
    summary: 'Access-Control-Max-Age is 0: every call that needs a preflight sends one.',
    fix: 'Send a positive Access-Control-Max-Age, e.g. 7200.',
  },
  header_not_exposed: {
    phase: 'actual',
    summary:
      'The response sets an application header that is not in Access-Control-Expose-Headers, or that list has an element that is not a header name (Chromium then ignores all of it); page scripts read the header as null.',
    fix: 'List the header in Access-Control-Expose-Headers if the page needs it, as bare comma-separated names (no quotes, parameters or spaces inside a name).',
  },
  preflight_unmatched_route: {
    phase: 'preflight',
    summary:
      'The preflight matched no route of the application; it was answered by the framework (often a 404 or 405).',
    fix: 'Answer OPTIONS for the route, e.g. with a CORS plugin registered before routing and authentication.',
  },
  redirect_taints_origin: {
    phase: 'actual',
    summary:
      "The response redirects to another origin; the browser then sends Origin: null, which only '*' or 'null' will match.",
    fix: 'Call the final URL directly from the page, or make the redirect same-origin.',
  },
  malformed_request_origin: {
    phase: 'both',
    summary:
      'The Origin request header is not a serialised origin; no browser sends this, so the request comes from a script or tool.',
    fix: 'Nothing to fix on the server if it treats unknown origins as untrusted.',
  },
} as const satisfies Record<string, WarningInfo>;

export type WarningCode = keyof typeof WARNINGS;

export interface HintInfo {
  readonly summary: string;
  readonly fix: string;
}

/** Why an allowed origin and the request origin differ, to explain an `allow_origin_mismatch` to a person. */
export const MISMATCH_HINTS = {
  trailing_slash: {
    summary: 'The allowed origin ends with a slash; origins never do.',
    fix: 'Drop the trailing slash from the configured origin.',
  },
  path_or_query: {
    summary: 'The allowed origin carries a path, query or fragment; origins have none.',
    fix: 'Configure the origin alone: scheme, host and port.',
  },
  case: {
    summary: 'The allowed origin differs only in letter case; browsers compare origins byte for byte.',
    fix: 'Configure the origin in lower case, as browsers send it.',
  },
  scheme: {
    summary: 'The allowed origin uses the other scheme (http vs https).',
    fix: 'Allow the scheme the page is served over (usually https).',
  },
  port: {
    summary: 'The allowed origin has another port (or spells out the default port).',
    fix: 'Allow the exact port the page uses; leave out :443 and :80.',
  },
  loopback_alias: {
    summary: 'localhost, 127.0.0.1 and [::1] are different origins.',
    fix: 'Allow the loopback name the page is actually opened with.',
  },
  www: {
    summary: 'The allowed origin differs by a www. prefix.',
    fix: 'Allow both the www and the bare host if the site is served on both.',
  },
  null_vs_origin: {
    summary:
      "One side is the opaque origin 'null' (sandboxed frame, file:, or after a cross-origin redirect).",
    fix: "Never allow 'null'; have the page call the final URL instead of going through a cross-origin redirect.",
  },
  wildcard_pattern: {
    summary: "Access-Control-Allow-Origin does not support patterns such as 'https://*.example.com'.",
    fix: 'Match the pattern on the server (anchored) and send back the one matching origin.',
  },
  other_host: {
    summary: 'The allowed origin is a different host.',
    fix: "Add the page's origin to the allowlist if it should have access.",
  },
} as const satisfies Record<string, HintInfo>;

export type MismatchHint = keyof typeof MISMATCH_HINTS;

export const REASON_CODES = Object.keys(REASONS) as readonly ReasonCode[];
export const WARNING_CODES = Object.keys(WARNINGS) as readonly WarningCode[];
