// Span attributes from a summary key and, for detail spans, the request's verdict and the response headers as
// written. Pure; keys and limits come from schema.ts.
import type { Attributes } from '@opentelemetry/api';
import type { SummaryKey } from '../aggregate/summary-key.js';
import type { CorsVerdict } from '../core/index.js';
import type { ResponseFacts } from '../core/response-facts.js';
import { ATTR, LIMITS, type SpanRole } from '../schema.js';

function keyAttributes(
  key: SummaryKey,
  role: SpanRole,
  weight: number,
  serviceName: string | undefined,
): Attributes {
  const attributes: Attributes = {
    [ATTR.spanRole]: role,
    [ATTR.kind]: key.kind,
    [ATTR.httpRoute]: key.route,
    [ATTR.origin]: key.origin,
    [ATTR.httpRequestMethod]: key.method,
    [ATTR.outcome]: key.outcome,
    [ATTR.reasons]: [...key.reasons],
    [ATTR.warnings]: [...key.warnings],
    [ATTR.credentials]: key.credentials,
    [ATTR.sampleWeight]: weight,
  };
  if (serviceName !== undefined) attributes[ATTR.serviceName] = serviceName;
  if (key.requestMethod !== undefined) attributes[ATTR.requestMethod] = key.requestMethod;
  if (key.needsPreflight !== undefined) attributes[ATTR.needsPreflight] = key.needsPreflight;
  if (key.policyHash !== undefined) attributes[ATTR.policyHash] = key.policyHash;
  const cache = key.preflightCacheSeconds;
  if (cache !== undefined) {
    attributes[ATTR.preflightCacheChromium] = cache.chromium;
    attributes[ATTR.preflightCacheFirefox] = cache.firefox;
    attributes[ATTR.preflightCacheWebkit] = cache.webkit;
  }
  return attributes;
}

export function summaryAttributes(
  key: SummaryKey,
  count: number,
  serviceName: string | undefined,
): Attributes {
  return keyAttributes(key, 'summary', count, serviceName);
}

export interface DetailFacts {
  readonly verdict: CorsVerdict;
  readonly response: ResponseFacts;
  readonly userAgent: string | undefined;
  readonly serverAddress: string | undefined;
}

function capped(value: string): string {
  return value.length > LIMITS.headerValueLength ? value.slice(0, LIMITS.headerValueLength) : value;
}

/** A detail span: the key's attributes, the full CORS headers of the exchange, and its own weight. */
export function detailAttributes(
  key: SummaryKey,
  facts: DetailFacts,
  weight: number,
  serviceName: string | undefined,
): Attributes {
  const attributes = keyAttributes(key, 'detail', weight, serviceName);
  const { verdict, response } = facts;
  attributes[ATTR.httpResponseStatusCode] = response.status;
  const requested = verdict.requestHeaders;
  if (requested !== undefined && requested.length > 0) {
    attributes[ATTR.requestHeaders] = requested.slice(0, LIMITS.requestHeaderNames).map(capped);
  }
  if (verdict.failedValue !== undefined) attributes[ATTR.failedValue] = capped(verdict.failedValue);
  if (verdict.hints !== undefined) attributes[ATTR.hints] = [...verdict.hints];
  const headers: [string, string | undefined][] = [
    [ATTR.responseAllowOrigin, response.allowOrigin],
    [ATTR.responseAllowCredentials, response.allowCredentials],
    [ATTR.responseAllowMethods, response.allowMethods],
    [ATTR.responseAllowHeaders, response.allowHeaders],
    [ATTR.responseExposeHeaders, response.exposeHeaders],
    [ATTR.responseMaxAge, response.maxAge],
    [ATTR.responseVary, response.vary],
  ];
  for (const [name, value] of headers) if (value !== undefined) attributes[name] = capped(value);
  if (facts.userAgent !== undefined) attributes[ATTR.userAgent] = capped(facts.userAgent);
  if (facts.serverAddress !== undefined) attributes[ATTR.serverAddress] = capped(facts.serverAddress);
  return attributes;
}
