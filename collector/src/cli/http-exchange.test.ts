import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NetworkError } from './cli-errors.js';
import { type HttpExchange, openHttpExchange } from './http-exchange.js';

function listen(server: Server | TcpServer): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

function close(server: Server | TcpServer): Promise<void> {
  if ('closeAllConnections' in server) server.closeAllConnections();
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
  });
}

let received: IncomingMessage | undefined;
const http = createServer((req: IncomingMessage, res: ServerResponse) => {
  received = req;
  switch (req.url ?? '/') {
    case '/duplicate':
      res.setHeader('Access-Control-Allow-Origin', ['http://localhost:3000', 'http://localhost:3000']);
      res.setHeader('Vary', 'Origin');
      res.end();
      return;
    case '/redirect':
      res.writeHead(302, { Location: '/elsewhere' }).end();
      return;
    case '/stream':
      // Headers now, the body never: a browser's fetch() resolves here, and so must the exchange.
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('data: 1\n\n');
      return;
    case '/silent':
      return;
    default:
      res.end('ok');
  }
});
// Bytes Node's own server would refuse to write: a latin-1 C1 control and a malformed status line.
const raw = createTcpServer((socket) => {
  socket.once('data', (request) => {
    const body = request.toString('latin1').startsWith('GET /garbage')
      ? 'NOT HTTP AT ALL\r\n\r\n'
      : 'HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: a\x9b31m\r\nContent-Length: 0\r\n\r\n';
    socket.end(Buffer.from(body, 'latin1'));
  });
});

let httpBase = '';
let rawBase = '';
let closedBase = '';
let exchange: HttpExchange;

beforeAll(async () => {
  httpBase = await listen(http);
  rawBase = await listen(raw);
  const closed = createServer();
  closedBase = await listen(closed);
  await close(closed);
  exchange = openHttpExchange({ timeoutMs: 300 });
});

afterAll(async () => {
  await exchange.close();
  await Promise.all([close(http), close(raw)]);
});

describe('openHttpExchange', () => {
  it('sends the method and headers as given, in order', async () => {
    await exchange.send({
      method: 'PUT',
      url: `${httpBase}/echo`,
      headers: [
        ['Origin', 'http://localhost:3000'],
        ['X-B', '1'],
        ['X-A', '2'],
      ],
    });
    expect(received?.method).toBe('PUT');
    // undici adds the connection-level fields itself, as a browser does.
    const transport = new Set(['host', 'connection', 'content-length']);
    const names = received?.rawHeaders.filter((_value, index) => index % 2 === 0) ?? [];
    expect(names.filter((name) => !transport.has(name))).toEqual(['Origin', 'X-B', 'X-A']);
  });

  it('keeps a repeated response header as an array of its values', async () => {
    const response = await exchange.send({ method: 'GET', url: `${httpBase}/duplicate`, headers: [] });
    expect(response.status).toBe(200);
    expect(response.headers['access-control-allow-origin']).toEqual([
      'http://localhost:3000',
      'http://localhost:3000',
    ]);
    expect(response.headers['vary']).toBe('Origin');
  });

  it('returns a redirect instead of following it', async () => {
    const response = await exchange.send({ method: 'GET', url: `${httpBase}/redirect`, headers: [] });
    expect(response.status).toBe(302);
    expect(response.headers['location']).toBe('/elsewhere');
  });

  it('resolves on the headers of a response whose body never ends', async () => {
    const started = Date.now();
    const response = await exchange.send({ method: 'GET', url: `${httpBase}/stream`, headers: [] });
    expect(response.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(250);
  });

  it('hands over header values as received, control characters included', async () => {
    const response = await exchange.send({ method: 'GET', url: `${rawBase}/c1`, headers: [] });
    expect(response.headers['access-control-allow-origin']).toBe('a\u009b31m');
  });

  it.each<[string, () => string, string, RegExp]>([
    [
      'a closed port',
      () => `${closedBase}/x`,
      'connection_refused',
      /^GET http:\/\/127\.0\.0\.1:\d+\/x: connection refused/,
    ],
    [
      'a server that never answers',
      () => `${httpBase}/silent`,
      'timeout',
      /^GET http:\/\/127\.0\.0\.1:\d+\/silent: no response within 300 ms/,
    ],
    [
      'a reply that is not HTTP',
      () => `${rawBase}/garbage`,
      'malformed_response',
      /\/garbage: the server's response is not valid HTTP/,
    ],
  ])('reports %s as a NetworkError naming the URL', async (_name, url, code, message) => {
    const failure = exchange.send({ method: 'GET', url: url(), headers: [] });
    await expect(failure).rejects.toBeInstanceOf(NetworkError);
    await expect(failure).rejects.toMatchObject({
      code,
      url: url(),
      message: expect.stringMatching(message) as unknown,
    });
  });
});
