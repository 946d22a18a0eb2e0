// An Express handler that answers after an await, over a real socket: its response is taken when its head is
// written, like any other (exchange-watch.ts), so Corsight adds no 'close' listener to it and still sees the
// status and headers the handler and the `cors` package wrote.
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import cors from 'cors';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { corsight } from '../node.js';
import { ATTR } from '../schema.js';

const APP = 'https://app.example.com';
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('an async Express handler', () => {
  it('is observed with what it wrote after an await, and gets no close listener', async () => {
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    const middleware = corsight({ tracerProvider, sampling: 1 });
    cleanups.push(() => tracerProvider.shutdown());
    cleanups.push(() => middleware.shutdown());
    const listeners: number[] = [];
    const app = express();
    app.use(middleware);
    app.use(cors({ origin: APP }));
    app.get('/orders/:id', async (_req, res) => {
      listeners.push(res.listenerCount('close'));
      await new Promise((resolve) => setTimeout(resolve, 5));
      listeners.push(res.listenerCount('close'));
      res.status(202).json({ later: true });
    });
    const closed: Promise<void>[] = [];
    const server = http.createServer((req: IncomingMessage, res: ServerResponse) => {
      closed.push(new Promise((resolve) => res.on('close', resolve)));
      app(req, res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.closeAllConnections();
          server.close(() => {
            resolve();
          });
        }),
    );
    const { port } = server.address() as AddressInfo;
    const response = await fetch(`http://127.0.0.1:${port}/orders/7`, { headers: { origin: APP } });
    await response.text();
    await Promise.all(closed);
    expect(response.status).toBe(202);
    await middleware.shutdown();
    const [span, ...others] = exporter.getFinishedSpans();
    expect(others).toEqual([]);
    expect(span?.attributes).toMatchObject({
      [ATTR.httpRoute]: '/orders/:id',
      [ATTR.httpResponseStatusCode]: 202,
      [ATTR.responseAllowOrigin]: APP,
    });
    expect(listeners).toHaveLength(2);
    expect(listeners[1]).toBe(listeners[0]);
  });
});
