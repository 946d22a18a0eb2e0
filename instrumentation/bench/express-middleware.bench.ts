// What Corsight's Express middleware adds to a request, in process: the same Express app (cors package,
// routes in a nested router) with and without the middleware, driven with real IncomingMessage /
// ServerResponse objects that are never attached to a socket, so neither the network nor a load generator
// is measured. The two apps alternate in short chunks and each side reports its 10th percentile and median
// chunk: this VM is shared and its speed drifts, and alternating keeps the drift out of the difference.
// Target (issue): at most ~5 µs added CPU per request. Prints numbers; asserts nothing.
//   pnpm exec tsx --conditions=@corsight/source instrumentation/bench/express-middleware.bench.ts
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { ExportResultCode } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import cors from 'cors';
import express, { type Express } from 'express';
import { corsight } from '../src/node.js';

const CHUNKS = Number(process.env.CORSIGHT_BENCH_CHUNKS ?? 120);
const CHUNK = 1000;

const corsOptions = {
  origin: ['https://app.example.com', 'https://admin.example.com', 'https://partner.example'],
  methods: ['GET', 'PUT', 'POST', 'DELETE'],
  maxAge: 600,
};

// Spans are dropped: the middleware and the observer are measured, not an export pipeline.
const dropping: SpanExporter = {
  export: (_spans, done) => {
    done({ code: ExportResultCode.SUCCESS });
  },
  shutdown: () => Promise.resolve(),
};
const tracerProvider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropping)] });
const middleware = corsight({ tracerProvider, policy: corsOptions });

function ordersApp(withCorsight: boolean): Express {
  const app = express();
  if (withCorsight) app.use(middleware);
  app.use(cors(corsOptions));
  const api = express.Router();
  for (const resource of ['customers', 'invoices', 'products', 'shipments']) {
    api.get(`/${resource}/:id`, (_req, res) => {
      res.json({ resource });
    });
  }
  api.get('/orders/:id', (_req, res) => {
    res.json({ id: 1, status: 'shipped' });
  });
  api.put('/orders/:id', (_req, res) => {
    res.json({ ok: true });
  });
  app.use('/api', api);
  return app;
}

const without = ordersApp(false);
const observed = ordersApp(true);

// What Chromium sends on a cross-site fetch(), as Node's parser hands it over.
const browser = {
  host: 'api.example.com',
  connection: 'keep-alive',
  'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0',
  accept: '*/*',
  'sec-fetch-mode': 'cors',
  'sec-fetch-dest': 'empty',
  'accept-encoding': 'gzip, deflate, br, zstd',
  'accept-language': 'en-US,en;q=0.9',
};

const requests: Record<string, { method: string; headers: Record<string, string> }> = {
  'GET, allowed origin': {
    method: 'GET',
    headers: { ...browser, origin: 'https://app.example.com', 'sec-fetch-site': 'cross-site' },
  },
  'GET, origin not allowed': {
    method: 'GET',
    headers: { ...browser, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
  },
  'preflight for PUT': {
    method: 'OPTIONS',
    headers: {
      ...browser,
      origin: 'https://admin.example.com',
      'sec-fetch-site': 'cross-site',
      'access-control-request-method': 'PUT',
      'access-control-request-headers': 'content-type',
    },
  },
  'GET, same origin': {
    method: 'GET',
    headers: { ...browser, origin: 'https://api.example.com', 'sec-fetch-site': 'same-origin' },
  },
  'GET without Origin': { method: 'GET', headers: browser },
};

const socket = new Socket();

function serve(app: Express, method: string, headers: Record<string, string>): void {
  const req = new IncomingMessage(socket);
  req.method = method;
  req.url = '/api/orders/17';
  req.headers = headers;
  const res = new ServerResponse(req);
  app(req, res);
  // No socket, so Node never completes the response itself; these are the events it would emit.
  res.emit('finish');
  res.emit('close');
}

function microsPerRequest(app: Express, method: string, headers: Record<string, string>): number {
  const start = process.cpuUsage();
  for (let n = 0; n < CHUNK; n++) serve(app, method, headers);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / CHUNK;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length * q)] ?? Number.NaN;
}

console.log(`Express + cors, CPU µs per request: ${CHUNKS} alternating chunks of ${CHUNK} per side`);
console.log(`${''.padEnd(26)}${'without p10 / p50'.padStart(20)}${'with p10 / p50'.padStart(20)}   added`);
for (const [name, { method, headers }] of Object.entries(requests)) {
  for (let n = 0; n < 10_000; n++) {
    serve(without, method, headers);
    serve(observed, method, headers);
  }
  const base: number[] = [];
  const withCorsight: number[] = [];
  for (let chunk = 0; chunk < CHUNKS; chunk++) {
    if (chunk % 2 === 0) {
      base.push(microsPerRequest(without, method, headers));
      withCorsight.push(microsPerRequest(observed, method, headers));
    } else {
      withCorsight.push(microsPerRequest(observed, method, headers));
      base.push(microsPerRequest(without, method, headers));
    }
  }
  const pair = (values: number[]): string =>
    `${quantile(values, 0.1).toFixed(1)} / ${quantile(values, 0.5).toFixed(1)}`;
  const added = quantile(withCorsight, 0.1) - quantile(base, 0.1);
  console.log(
    `${name.padEnd(26)}${pair(base).padStart(20)}${pair(withCorsight).padStart(20)}   +${added.toFixed(1)} µs (p10)`,
  );
}
await middleware.shutdown();
await tracerProvider.shutdown();
