// The headers a service's OpenTelemetry instrumentation must record on its HTTP server spans for the
// collector to judge them (issue 8): the setup guides print these lists, the tests capture exactly these.
// Cookie is deliberately absent: its value would land in the tracing backend. Without it the credentials
// mode stays unknown, and a request refused only for credentialed callers is `blocked_if_credentialed`.

/** Request headers: the CORS request headers, and Fetch metadata (which settles same-origin and no-cors). */
export const CAPTURE_REQUEST_HEADERS = [
  'origin',
  'access-control-request-method',
  'access-control-request-headers',
  'sec-fetch-mode',
  'sec-fetch-site',
  'sec-fetch-storage-access',
  'host',
] as const;

/** Response headers: every header the browser's CORS check reads, and Location for redirects. */
export const CAPTURE_RESPONSE_HEADERS = [
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-allow-methods',
  'access-control-allow-headers',
  'access-control-expose-headers',
  'access-control-max-age',
  'vary',
  'location',
] as const;
