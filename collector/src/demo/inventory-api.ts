// The demo's third service, as a team that has never heard of Corsight runs it: Express with the `cors`
// package, traced by OpenTelemetry's own HTTP instrumentation (set up in inventory-api-process.ts, in a
// process of its own). No Corsight code runs here: the collector judges this service from its plain HTTP
// server spans, which carry the CORS headers the instrumentation was told to capture.
//
// Two things the spans depend on. `cors` sets its headers with setHeader(), and the instrumentation reads
// response headers with getHeader() when the response ends; headers passed only to writeHead() would be
// invisible to it. And instrumentation-http names no route (that is a framework instrumentation's job), so
// each route sets `http.route` on the active server span itself, preflights included, as
// @opentelemetry/instrumentation-express would.
import { createServer, type Server } from 'node:http';
import { ATTR } from '@corsight/instrumentation';
import { trace } from '@opentelemetry/api';
import cors from 'cors';
import express, { type RequestHandler } from 'express';
import { closeServer, listenOn } from './listen.js';

export const INVENTORY_SERVICE_NAME = 'inventory-api';

export interface InventoryApiOptions {
  readonly host: string;
  readonly port: number;
  readonly allowedOrigins: readonly string[];
}

export interface RunningInventoryApi {
  readonly url: string;
  close(): Promise<void>;
}

/** The `cors` options: an allowlist, credentials, PATCH (always preflighted) and a 5-minute Max-Age. */
export function inventoryCorsPolicy(allowedOrigins: readonly string[]) {
  return {
    origin: [...allowedOrigins],
    methods: ['GET', 'PATCH'],
    allowedHeaders: ['content-type', 'x-request-id'],
    credentials: true,
    maxAge: 300,
  };
}

function routeName(template: string): RequestHandler {
  return (_request, _response, next) => {
    trace.getActiveSpan()?.setAttribute(ATTR.httpRoute, template);
    next();
  };
}

/** The Express app; exported so a test can watch the headers the instrumentation would read. */
export function inventoryApp(allowedOrigins: readonly string[]): express.Express {
  const app = express();
  const allowCors = cors(inventoryCorsPolicy(allowedOrigins));
  const stock = '/stock/:sku';
  // The per-route preflight handler from the `cors` README ("Enabling CORS Pre-Flight").
  app.options(stock, routeName(stock), allowCors);
  app.get(stock, routeName(stock), allowCors, (request, response) => {
    response.json({ sku: request.params.sku, available: 12 });
  });
  app.patch(stock, routeName(stock), allowCors, express.json(), (request, response) => {
    response.json({ sku: request.params.sku, updated: true });
  });
  return app;
}

export async function startInventoryApi(options: InventoryApiOptions): Promise<RunningInventoryApi> {
  const server: Server = createServer(inventoryApp(options.allowedOrigins));
  const address = await listenOn(server, options.host, options.port);
  return {
    url: `http://${options.host}:${address.port}`,
    close: () => closeServer(server),
  };
}
