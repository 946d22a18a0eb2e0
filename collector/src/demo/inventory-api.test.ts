// The inventory API on a real server, seen the way OpenTelemetry's HTTP instrumentation sees it: response
// headers read with getHeader() once the response has finished (headers given only to writeHead() would be
// missing there, and the collector would take the service for one that captures nothing).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPTURE_RESPONSE_HEADERS } from '../ingest/capture-headers.js';
import { inventoryApp, startInventoryApi } from './inventory-api.js';
import { closeServer } from './listen.js';

const STOREFRONT = 'https://shop.example.com';
const ADMIN = 'https://admin.example.com';
const PARTNER = 'https://partner.example.net';

type Seen = Record<string, string | number | readonly string[] | undefined>;

let server: Server;
let baseUrl: string;
const seen: Seen[] = [];

beforeAll(async () => {
  const app = inventoryApp([STOREFRONT, ADMIN]);
  server = createServer((request, response) => {
    response.once('finish', () => {
      const headers: Seen = {};
      for (const name of CAPTURE_RESPONSE_HEADERS) headers[name] = response.getHeader(name);
      seen.push(headers);
    });
    app(request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => closeServer(server));

async function exchange(method: string, path: string, headers: Record<string, string>) {
  const before = seen.length;
  const response = await fetch(baseUrl + path, { method, headers });
  await response.arrayBuffer();
  // 'finish' fires once the response is handed to the socket, before the client reads it; one turn of the
  // loop is only a margin.
  await new Promise((resolve) => setImmediate(resolve));
  expect(seen.length).toBe(before + 1);
  return { status: response.status, headers: response.headers, captured: seen.at(-1) ?? {} };
}

describe('inventory API', () => {
  it("answers an allowed page's GET with its origin and credentials, visible to getHeader()", async () => {
    const { status, captured } = await exchange('GET', '/stock/7', { origin: STOREFRONT });
    expect(status).toBe(200);
    expect(captured['access-control-allow-origin']).toBe(STOREFRONT);
    expect(captured['access-control-allow-credentials']).toBe('true');
    expect(captured.vary).toBe('Origin');
  });

  it('allows the admin app its PATCH preflight with the headers it sends, cached for 5 minutes', async () => {
    const { status, captured } = await exchange('OPTIONS', '/stock/7', {
      origin: ADMIN,
      'access-control-request-method': 'PATCH',
      'access-control-request-headers': 'content-type,x-request-id',
    });
    expect(status).toBe(204);
    expect(captured['access-control-allow-origin']).toBe(ADMIN);
    expect(captured['access-control-allow-methods']).toBe('GET,PATCH');
    expect(captured['access-control-allow-headers']).toBe('content-type,x-request-id');
    expect(captured['access-control-max-age']).toBe('300');
  });

  it("refuses the partner's preflight: no Access-Control-Allow-Origin", async () => {
    const { status, captured } = await exchange('OPTIONS', '/stock/3', {
      origin: PARTNER,
      'access-control-request-method': 'GET',
      'access-control-request-headers': 'x-partner-key',
    });
    expect(status).toBe(204);
    expect(captured['access-control-allow-origin']).toBeUndefined();
  });

  it('serves the PATCH itself with a JSON body', async () => {
    const response = await fetch(`${baseUrl}/stock/9`, {
      method: 'PATCH',
      headers: { origin: ADMIN, 'content-type': 'application/json' },
      body: '{"quantity":3}',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sku: '9', updated: true });
  });
});

describe('startInventoryApi', () => {
  it('listens on the port asked for (0: any) and closes', async () => {
    const api = await startInventoryApi({ host: '127.0.0.1', port: 0, allowedOrigins: [STOREFRONT] });
    expect(api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${api.url}/stock/1`, { headers: { origin: STOREFRONT } });
    expect(response.headers.get('access-control-allow-origin')).toBe(STOREFRONT);
    await api.close();
    await expect(fetch(`${api.url}/stock/1`)).rejects.toThrow();
  });
});
