import { evaluateCors } from '@corsight/instrumentation';
import { describe, expect, it } from 'vitest';
import { type Exchange, SHAPES, serverSpan } from './http-span-shapes.fixture.js';
import { readHttpServerSpan } from './http-server-span.js';
import { mapHttpSpanToRow } from './http-span-to-row.js';

const SERVER = 'https://api.example';

const EXCHANGES: Readonly<Record<string, Exchange>> = {
  'preflight asking for a method not allowed': {
    method: 'OPTIONS',
    path: '/orders/7',
    route: '/orders/{id}',
    status: 204,
    request: {
      origin: 'https://app.example',
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'content-type',
    },
    response: {
      'access-control-allow-origin': 'https://app.example',
      'access-control-allow-methods': 'GET, POST',
      'access-control-allow-headers': 'content-type',
      'access-control-max-age': '600',
    },
  },
  'allowed GET with a reflected origin': {
    method: 'GET',
    path: '/orders?page=2',
    route: '/orders',
    status: 200,
    request: { origin: 'https://app.example' },
    response: { 'access-control-allow-origin': 'https://app.example', vary: 'Origin' },
  },
  'DELETE answered without CORS headers': {
    method: 'DELETE',
    path: '/orders/7',
    route: '/orders/{id}',
    status: 200,
    request: { origin: 'https://evil.example' },
    response: {},
  },
  'wildcard with credentials in a cookie-less request': {
    method: 'GET',
    path: '/me',
    route: '/me',
    status: 200,
    request: { origin: 'https://partner.example' },
    response: { 'access-control-allow-origin': '*', 'access-control-allow-credentials': 'true' },
  },
};

describe('HTTP server spans in every instrumentation shape', () => {
  for (const [exchangeName, exchange] of Object.entries(EXCHANGES)) {
    const truth = evaluateCors(
      { method: exchange.method, url: exchange.path, headers: exchange.request },
      { status: exchange.status, headers: exchange.response },
      { serverOrigin: SERVER },
    );
    for (const [shapeName, shape] of Object.entries(SHAPES)) {
      it(`${exchangeName}, ${shapeName}: the engine's verdict`, () => {
        const span = serverSpan(shape(exchange));
        const reading = readHttpServerSpan(span);
        if (reading.kind !== 'exchange') throw new Error(`read as ${reading.kind}`);
        expect(reading.exchange.serverOrigin).toBe(SERVER);
        const mapped = mapHttpSpanToRow(span, reading.exchange, 1, { nowMs: Date.now() });
        if (mapped.kind !== 'row') throw new Error(`mapped as ${JSON.stringify(mapped)}`);
        const { row } = mapped;
        expect(row).toMatchObject({
          source: 'http_span',
          service: 'billing-java',
          spanRole: 'detail',
          kind: truth.kind,
          outcome: truth.outcome,
          reasons: truth.reasons,
          warnings: truth.warnings,
          route: exchange.route,
          origin: exchange.request.origin,
          method: exchange.method,
          responseStatus: exchange.status,
          sampleWeight: 1,
          userAgent: 'Mozilla/5.0',
          serverAddress: 'api.example',
          allowOrigin: exchange.response['access-control-allow-origin'] ?? null,
        });
      });
    }
  }

  it('combines repeated header lines as a browser does (array of lines = one comma-joined value)', () => {
    const base =
      SHAPES['java agent 2.x']?.(EXCHANGES['allowed GET with a reflected origin'] as Exchange) ?? {};
    const lines = serverSpan({ ...base, 'http.response.header.vary': ['Accept-Encoding', 'Origin'] });
    const joined = serverSpan({ ...base, 'http.response.header.vary': 'Accept-Encoding, Origin' });
    const rows = [lines, joined].map((span) => {
      const reading = readHttpServerSpan(span);
      if (reading.kind !== 'exchange') throw new Error(reading.kind);
      const mapped = mapHttpSpanToRow(span, reading.exchange, 1);
      if (mapped.kind !== 'row') throw new Error(mapped.kind);
      return mapped.row;
    });
    expect(rows[0]?.vary).toBe('Accept-Encoding, Origin');
    expect(rows[0]?.warnings).toEqual(rows[1]?.warnings);
    expect(rows[0]?.warnings).not.toContain('missing_vary_origin');
  });

  it('takes the method from http.request.method_original when the span says _OTHER', () => {
    const span = serverSpan({
      'http.request.method': '_OTHER',
      'http.response.status_code': 200,
      'http.request.method_original': 'PURGE',
      'http.request.header.origin': ['https://app.example'],
    });
    const reading = readHttpServerSpan(span);
    expect(reading.kind === 'exchange' && reading.exchange.request.method).toBe('PURGE');
  });

  it('reads each span on its own when consecutive spans list their attributes differently', () => {
    const exchange = EXCHANGES['preflight asking for a method not allowed'] as Exchange;
    const shapes = ['java agent 2.x', 'python', 'go', 'java agent 2.x', 'node instrumentation-http'];
    const hosts = ['api.example', 'other.example', 'api.example', 'api.example:8443', 'api.example'];
    shapes.forEach((shape, i) => {
      const attributes = { ...SHAPES[shape]?.(exchange) };
      // A header renamed at the same position, and the server's address changed, between spans.
      if (i === 3) {
        delete attributes['http.request.header.access-control-request-headers'];
        attributes['http.request.header.x-other'] = ['content-type'];
      }
      const host = hosts[i] ?? '';
      const [address, port] = host.split(':');
      if ('server.address' in attributes) {
        attributes['server.address'] = address ?? '';
        attributes['server.port'] = Number(port ?? 443);
      } else {
        attributes['http.host'] = host;
      }
      const reading = readHttpServerSpan(serverSpan(attributes));
      if (reading.kind !== 'exchange') throw new Error(reading.kind);
      const headers = reading.exchange.request.headers;
      expect(headers['access-control-request-headers'], shape).toBe(i === 3 ? undefined : 'content-type');
      expect(headers['x-other'], shape).toBe(i === 3 ? 'content-type' : undefined);
      expect(reading.exchange.serverOrigin, shape).toBe(
        port === undefined ? `https://${host}` : `https://${address ?? ''}:${port}`,
      );
    });
  });

  it('writes IPv6 server addresses in brackets', () => {
    const span = serverSpan({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'server.address': '::1',
      'server.port': 8080,
      'http.response.status_code': 200,
      'http.request.header.origin': ['http://[::1]:8080'],
    });
    const reading = readHttpServerSpan(span);
    expect(reading.kind === 'exchange' && reading.exchange.serverOrigin).toBe('http://[::1]:8080');
    // Same origin as the server: not CORS.
    if (reading.kind === 'exchange')
      expect(mapHttpSpanToRow(span, reading.exchange, 1).kind).toBe('not-cors');
  });

  it('knows what is not an HTTP server span, and one without a captured Origin', () => {
    expect(readHttpServerSpan(serverSpan({ 'http.request.method': 'GET' }, { kind: 3 })).kind).toBe(
      'not-http-server',
    );
    expect(readHttpServerSpan(serverSpan({ 'db.system': 'postgresql' })).kind).toBe('not-http-server');
    // No response status: the exchange did not finish (or is not HTTP); nothing to judge.
    expect(
      readHttpServerSpan(
        serverSpan({ 'http.request.method': 'GET', 'http.request.header.origin': ['https://a.example'] }),
      ).kind,
    ).toBe('not-http-server');
    expect(
      readHttpServerSpan(
        serverSpan({ 'http.method': 'GET', 'http.status_code': 200, 'http.request.header.accept': ['*/*'] }),
      ).kind,
    ).toBe('no-origin');
  });

  it('judges a hostile, oversized Origin as invalid and caps what it stores', () => {
    const origin = `https://${'a'.repeat(70_000)}.example`;
    const span = serverSpan({
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'http.request.header.origin': [origin],
      'http.response.header.access-control-allow-origin': [origin],
      ...Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`http.request.header.x-h${i}`, ['v']])),
    });
    const reading = readHttpServerSpan(span);
    if (reading.kind !== 'exchange') throw new Error(reading.kind);
    expect(Object.keys(reading.exchange.request.headers).length).toBeLessThanOrEqual(64);
    const mapped = mapHttpSpanToRow(span, reading.exchange, 1);
    if (mapped.kind !== 'row') throw new Error(JSON.stringify(mapped));
    expect(mapped.row.origin).toBe('invalid');
    expect(mapped.row.allowOrigin?.length).toBeLessThanOrEqual(512);
  });

  it('says a non-safelisted method needed a preflight, and leaves GET/POST unknown (uncaptured headers)', () => {
    const rowFor = (exchange: Exchange) => {
      const span = serverSpan(SHAPES.go?.(exchange) ?? {});
      const reading = readHttpServerSpan(span);
      if (reading.kind !== 'exchange') throw new Error(reading.kind);
      const mapped = mapHttpSpanToRow(span, reading.exchange, 1);
      if (mapped.kind !== 'row') throw new Error(mapped.kind);
      return mapped.row;
    };
    expect(rowFor(EXCHANGES['DELETE answered without CORS headers'] as Exchange).needsPreflight).toBe(true);
    expect(rowFor(EXCHANGES['allowed GET with a reflected origin'] as Exchange).needsPreflight).toBeNull();
  });
});
