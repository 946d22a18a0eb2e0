import type { OtlpAttributes, OtlpSpan } from '../otlp/otlp-span.js';
import { describe, expect, it } from 'vitest';
import { type Exchange, SHAPES, serverSpan } from './http-span-shapes.fixture.js';
import { readHttpServerSpan } from './http-server-span.js';
import { directHttpSpanRow } from './http-span-direct-row.js';
import { judgeExchange, mapHttpSpanToRow, mapJudgedSpan } from './http-span-to-row.js';
import type { MapOptions } from './span-to-row.js';

const NOW = Date.UTC(2026, 10, 27, 12);
const OPTIONS: MapOptions = { nowMs: NOW };
const DAY_MS = 24 * 60 * 60 * 1000;

const EXCHANGES: Readonly<Record<string, Exchange>> = {
  'allowed preflight with a max-age': {
    method: 'OPTIONS',
    path: '/orders/7',
    route: '/orders/{id}',
    status: 204,
    request: {
      origin: 'https://app.example',
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'content-type, x-request-id',
      'sec-fetch-mode': 'cors',
      'sec-fetch-site': 'cross-site',
    },
    response: {
      'access-control-allow-origin': 'https://app.example',
      'access-control-allow-methods': 'GET, PUT',
      'access-control-allow-headers': 'content-type, x-request-id',
      'access-control-allow-credentials': 'true',
      'access-control-max-age': '86400',
      vary: 'Origin, Access-Control-Request-Headers',
    },
  },
  'preflight refused for its method': {
    method: 'OPTIONS',
    path: '/orders/7',
    route: '/orders/{id}',
    status: 204,
    request: { origin: 'https://app.example', 'access-control-request-method': 'DELETE' },
    response: { 'access-control-allow-origin': 'https://app.example', 'access-control-allow-methods': 'GET' },
  },
  'GET blocked by an origin that differs by a trailing slash (a hint)': {
    method: 'GET',
    path: '/me',
    route: '/me',
    status: 200,
    request: { origin: 'https://app.example' },
    response: { 'access-control-allow-origin': 'https://app.example/' },
  },
  'PUT with a wildcard and credentials allowed': {
    method: 'PUT',
    path: '/me',
    route: '/me',
    status: 500,
    request: { origin: 'https://partner.example' },
    response: {
      'access-control-allow-origin': '*',
      'access-control-allow-credentials': 'true',
      'access-control-expose-headers': 'x-ratelimit-remaining',
    },
  },
  'redirect with a Location': {
    method: 'GET',
    path: '/old',
    route: '/old',
    status: 302,
    request: { origin: 'https://app.example' },
    response: {
      'access-control-allow-origin': 'https://app.example',
      location: 'https://u:p@api.example/new',
    },
  },
  'a malformed Origin': {
    method: 'GET',
    path: '/x',
    route: '/x',
    status: 200,
    request: { origin: 'https://app.example:99999' },
    response: { 'access-control-allow-origin': '*' },
  },
};

type Variation = (
  attributes: OtlpAttributes,
  span: OtlpSpan,
) => { attributes?: OtlpAttributes; span?: Partial<OtlpSpan>; weight?: number };

/** Per-span values the direct path must either keep exactly or leave to the general path. */
const VARIATIONS: Readonly<Record<string, Variation>> = {
  'as sent': () => ({}),
  'a route with a control character': (a) => ({ attributes: { ...a, 'http.route': '/a\u0007b' } }),
  'a route of 2000 characters': (a) => ({ attributes: { ...a, 'http.route': `/${'r'.repeat(1999)}` } }),
  'a user agent of 600 characters': (a) => ({
    attributes: { ...a, 'user_agent.original': 'u'.repeat(600), 'http.user_agent': 'u'.repeat(600) },
  }),
  'a response header with surrounding whitespace': (a) => ({
    attributes: { ...a, 'http.response.header.vary': ' Origin ', 'http.response.header.Vary': ' Origin ' },
  }),
  'a response header on two lines': (a) => ({
    attributes: { ...a, 'http.response.header.access-control-allow-methods': ['GET', 'PUT'] },
  }),
  'a response header of 600 characters': (a) => ({
    attributes: { ...a, 'http.response.header.access-control-allow-headers': `x-${'h'.repeat(598)}` },
  }),
  'forty requested header names': (a) => ({
    attributes: {
      ...a,
      'http.request.header.access-control-request-headers': Array.from(
        { length: 40 },
        (_, i) => `x-h${i}`,
      ).join(','),
    },
  }),
  'a method that is not a token': (a) => ({
    attributes: { ...a, 'http.request.header.access-control-request-method': 'P UT' },
  }),
  'started a day and a half ago': (_, s) => ({
    span: {
      startTimeUnixNano: s.startTimeUnixNano - BigInt(1.5 * DAY_MS) * 1_000_000n,
      endTimeUnixNano: s.endTimeUnixNano - BigInt(1.5 * DAY_MS) * 1_000_000n,
    },
  }),
  'started three days ago': (_, s) => ({
    span: {
      startTimeUnixNano: s.startTimeUnixNano - BigInt(3 * DAY_MS) * 1_000_000n,
      endTimeUnixNano: s.endTimeUnixNano - BigInt(3 * DAY_MS) * 1_000_000n,
    },
  }),
  'ending before it started': (_, s) => ({ span: { endTimeUnixNano: s.startTimeUnixNano - 1n } }),
  'an all-zero trace id': () => ({ span: { traceId: '0'.repeat(32) } }),
  'an upper-case span id': () => ({ span: { spanId: 'ABCDEF0123456789' } }),
  'a parent span id': () => ({ span: { parentSpanId: '0123456789abcdef' } }),
  'a malformed parent span id': () => ({ span: { parentSpanId: 'xyz' } }),
  'no service name': () => ({ span: { resource: {} } }),
  'a service name of 300 characters': () => ({ span: { resource: { 'service.name': 's'.repeat(300) } } }),
  'its own service.name attribute': (a) => ({ attributes: { ...a, 'service.name': 'own-service' } }),
  'a sampled weight of 4': () => ({ weight: 4 }),
  'a weight that is not finite': () => ({ weight: Number.POSITIVE_INFINITY }),
  'a negative weight': () => ({ weight: -1 }),
};

/** Variations that must keep the direct path, so the comparisons compare something. */
const DIRECT = new Set([
  'as sent',
  'a parent span id',
  'its own service.name attribute',
  'a sampled weight of 4',
]);

function spanOf(shape: string, exchange: Exchange, variation: Variation): { span: OtlpSpan; weight: number } {
  const attributes = SHAPES[shape]?.(exchange) ?? {};
  const base = serverSpan(attributes, { startMs: NOW - 5000 });
  const changed = variation(attributes, base);
  return {
    span: { ...base, ...changed.span, attributes: changed.attributes ?? attributes },
    weight: changed.weight ?? 1,
  };
}

describe('the direct row of a judged HTTP span', () => {
  for (const [exchangeName, exchange] of Object.entries(EXCHANGES)) {
    for (const shape of Object.keys(SHAPES)) {
      it(`${exchangeName}, ${shape}: every variation maps as through the span attributes`, () => {
        for (const [variationName, variation] of Object.entries(VARIATIONS)) {
          const { span, weight } = spanOf(shape, exchange, variation);
          const reading = readHttpServerSpan(span);
          if (reading.kind !== 'exchange') throw new Error(`${variationName}: read as ${reading.kind}`);
          const judged = judgeExchange(reading.exchange);
          if (judged === undefined) throw new Error(`${variationName}: not CORS`);
          const general = mapJudgedSpan(span, reading.exchange, judged, weight, OPTIONS);
          const row = directHttpSpanRow(span, reading.exchange, judged, weight, OPTIONS);
          if (DIRECT.has(variationName)) expect(row, variationName).toBeDefined();
          if (row !== undefined) expect(general, variationName).toEqual({ kind: 'row', row });
          expect(mapHttpSpanToRow(span, reading.exchange, weight, OPTIONS), variationName).toEqual(general);
        }
      });
    }
  }

  it('leaves spans to the general path when the caller passes no clock', () => {
    const { span } = spanOf(
      'go',
      EXCHANGES['PUT with a wildcard and credentials allowed'] as Exchange,
      () => ({}),
    );
    const reading = readHttpServerSpan(span);
    if (reading.kind !== 'exchange') throw new Error(reading.kind);
    const judged = judgeExchange(reading.exchange);
    if (judged === undefined) throw new Error('not CORS');
    expect(directHttpSpanRow(span, reading.exchange, judged, 1, undefined)).toBeUndefined();
    expect(mapHttpSpanToRow(span, reading.exchange, 1).kind).toBe('row');
  });
});
