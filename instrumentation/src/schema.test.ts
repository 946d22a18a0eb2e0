// The span contract: standard keys are exactly OpenTelemetry's (so other tools read them), Corsight's own keys
// live under `cors.`, and no two facts share a key.
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVICE_NAME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import { describe, expect, it } from 'vitest';
import { ATTR, CORS_KINDS, detailSpanName, SPAN_NAMES } from './schema.js';

const STANDARD = {
  serviceName: ATTR_SERVICE_NAME,
  httpRoute: ATTR_HTTP_ROUTE,
  httpRequestMethod: ATTR_HTTP_REQUEST_METHOD,
  httpResponseStatusCode: ATTR_HTTP_RESPONSE_STATUS_CODE,
  userAgent: ATTR_USER_AGENT_ORIGINAL,
  serverAddress: ATTR_SERVER_ADDRESS,
} as const satisfies Partial<Record<keyof typeof ATTR, string>>;

describe('ATTR', () => {
  it.each(Object.entries(STANDARD))('%s is the semantic-conventions key %s', (name, key) => {
    expect(ATTR[name as keyof typeof STANDARD]).toBe(key);
  });

  it('gives every fact its own key', () => {
    const keys = Object.values(ATTR);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("keeps Corsight's own keys under cors.", () => {
    const own = Object.entries(ATTR).filter(([name]) => !(name in STANDARD));
    expect(own.length).toBeGreaterThan(0);
    for (const [name, key] of own) expect(`${name}: ${key}`).toMatch(/^\w+: cors\.[a-z_.]+$/);
  });
});

describe('span names', () => {
  it.each([
    ['preflight', 'OPTIONS', 'CORS preflight'],
    ['actual', 'GET', 'CORS GET'],
    ['actual', 'PATCH', 'CORS PATCH'],
  ] as const)('a %s %s request is named "%s"', (kind, method, name) => {
    expect(detailSpanName(kind, method)).toBe(name);
  });

  it('names every preflight alike, whatever method it asks for', () => {
    expect(detailSpanName('preflight', 'GET')).toBe(SPAN_NAMES.preflight);
    expect(CORS_KINDS).toEqual(['preflight', 'actual']);
  });
});
