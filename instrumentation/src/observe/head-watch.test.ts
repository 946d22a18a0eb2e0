// The moment a response's head is written, on a real node:http server: every way of writing a head reaches
// the watcher once, with what writeHead was handed, and a response whose client left reaches it not at all.
import { createServer, type IncomingMessage, ServerResponse } from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { dismissHead, type HeadWatcher, headWatcherOf, watchHead } from './head-watch.js';

interface Seen {
  readonly status: number;
  readonly given: unknown;
  readonly headersSent: boolean;
}

function recorder(seen: Seen[]): HeadWatcher {
  return {
    headWritten(response, given) {
      seen.push({ status: response.statusCode, given, headersSent: response.headersSent });
    },
  };
}

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  );
  return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
}

describe('watchHead', () => {
  it('tells the watcher once, after writeHead, with the headers it was handed in either form', async () => {
    const seen: Seen[] = [];
    const headers = { 'access-control-allow-origin': 'https://a.example' };
    const base = await serve((req, res) => {
      watchHead(res, recorder(seen));
      if (req.url === '/reason') res.writeHead(201, 'Made', headers).end('made');
      else res.writeHead(200, headers).end('ok');
    });
    expect(await (await fetch(`${base}/plain`)).text()).toBe('ok');
    const made = await fetch(`${base}/reason`);
    expect([made.status, made.statusText, made.headers.get('access-control-allow-origin')]).toEqual([
      201,
      'Made',
      'https://a.example',
    ]);
    expect(seen).toEqual([
      { status: 200, given: headers, headersSent: true },
      { status: 201, given: headers, headersSent: true },
    ]);
  });

  it('sees implicit heads (setHeader then end, write, flushHeaders) with nothing handed over', async () => {
    const seen: Seen[] = [];
    const base = await serve((req, res) => {
      watchHead(res, recorder(seen));
      res.statusCode = 202;
      res.setHeader('vary', 'Origin');
      if (req.url === '/write') {
        res.write('a');
        res.end('b');
      } else if (req.url === '/flush') {
        res.flushHeaders();
        res.end();
      } else {
        res.end('end');
      }
    });
    for (const path of ['/end', '/write', '/flush']) expect((await fetch(base + path)).status).toBe(202);
    expect(seen).toEqual(
      Array.from({ length: 3 }, () => ({ status: 202, given: undefined, headersSent: true })),
    );
  });

  it('tells it once through a subclass whose writeHead calls ServerResponse’s, as light-my-request’s does', async () => {
    class Subclass extends ServerResponse {}
    // Looked up at call time, as light-my-request's Response does.
    const base = ServerResponse.prototype as unknown as { writeHead: (...args: unknown[]) => unknown };
    Object.defineProperty(Subclass.prototype, 'writeHead', {
      value: function writeHead(this: ServerResponse, ...args: unknown[]) {
        Reflect.apply(base.writeHead, this, args);
        return this;
      },
      writable: true,
      configurable: true,
    });
    const seen: Seen[] = [];
    const server = createServer({ ServerResponse: Subclass }, (_req, res) => {
      watchHead(res, recorder(seen));
      res.writeHead(200, { vary: 'Origin' }).end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(
      () =>
        new Promise((resolve) =>
          server.close(() => {
            resolve();
          }),
        ),
    );
    const url = `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
    await (await fetch(url)).text();
    await (await fetch(url)).text();
    expect(seen).toHaveLength(2);
  });

  it('forwards what writeHead throws and tells the watcher nothing then', async () => {
    const seen: Seen[] = [];
    const errors: string[] = [];
    const base = await serve((_req, res) => {
      watchHead(res, recorder(seen));
      try {
        res.writeHead(99);
      } catch (error) {
        errors.push((error as { code: string }).code);
      }
      res.writeHead(200).end('ok');
      try {
        res.writeHead(200);
      } catch (error) {
        errors.push((error as { code: string }).code);
      }
    });
    await (await fetch(base)).text();
    expect(errors).toEqual(['ERR_HTTP_INVALID_STATUS_CODE', 'ERR_HTTP_HEADERS_SENT']);
    expect(seen).toEqual([{ status: 200, given: undefined, headersSent: true }]);
  });

  it('does not tell it about a response whose client left before the head was written', async () => {
    const seen: Seen[] = [];
    let left: () => void = () => undefined;
    const gone = new Promise<void>((resolve) => (left = resolve));
    const base = await serve((_req, res) => {
      watchHead(res, recorder(seen));
      res.on('close', () => {
        res.writeHead(200).end('late');
        left();
      });
    });
    const controller = new AbortController();
    const answer = fetch(base, { signal: controller.signal }).catch(() => 'aborted');
    await new Promise((resolve) => setTimeout(resolve, 20));
    controller.abort();
    expect(await answer).toBe('aborted');
    await gone;
    expect(seen).toEqual([]);
  });

  it('does not tell it about an HTTP/2 response whose client cancelled the stream first', async () => {
    // node:http2's compatibility response has no `destroyed` of its own: its stream has.
    const seen: Seen[] = [];
    let left: () => void = () => undefined;
    const gone = new Promise<void>((resolve) => (left = resolve));
    const server = http2.createServer((req, res) => {
      watchHead(res as unknown as ServerResponse, recorder(seen));
      req.stream.on('close', () => {
        res.writeHead(200).end('late');
        left();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const session = http2.connect(`http://127.0.0.1:${String((server.address() as AddressInfo).port)}`);
    closers.push(
      () =>
        new Promise((resolve) => {
          session.destroy();
          server.close(() => {
            resolve();
          });
        }),
    );
    const stream = session.request({ ':path': '/' });
    stream.on('error', () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
    stream.close(http2.constants.NGHTTP2_CANCEL);
    await gone;
    expect(seen).toEqual([]);
  });

  it('knows a watched response until its head is written, and a dismissed one as seen', async () => {
    const states: unknown[] = [];
    const base = await serve((req, res) => {
      states.push(headWatcherOf(res));
      if (req.url === '/dismissed') dismissHead(res);
      else watchHead(res, recorder([]));
      states.push(headWatcherOf(res) === null ? null : typeof headWatcherOf(res));
      res.end();
      states.push(headWatcherOf(res));
    });
    await fetch(`${base}/watched`);
    await fetch(`${base}/dismissed`);
    expect(states).toEqual([undefined, 'object', null, undefined, null, null]);
  });
});
