// What Corsight's Express middleware adds to a request, in process: the same Express app (cors package,
// routes in a nested router) with and without the middleware, driven with real IncomingMessage /
// ServerResponse objects that are never attached to a socket, so neither the network nor a load generator
// is measured. The two apps alternate in short chunks and each side reports its 10th percentile and median
// chunk: this VM is shared and its speed drifts, and alternating keeps the drift out of the difference.
// The last request kind is answered by an async handler (the reply after a setImmediate), one request per turn
// of the event loop, the way a server with little concurrency sees them: it measures the path of responses
// written after the turn their request arrived in (both apps pay the same turn changes).
// Target (issue): at most ~5 µs added CPU per request. Prints numbers; asserts nothing.
//   pnpm exec tsx --conditions=@corsight/source instrumentation/bench/express-middleware.bench.ts [path]
// A path to another checkout's src/node.ts (e.g. `git archive HEAD instrumentation/src | tar -x -C /tmp/old`,
// with /tmp/old/instrumentation/node_modules linked to this package's, so both load one @opentelemetry/api)
// adds that version as a third app in the same alternation, for an A/B of versions in one run.
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { loadavg } from 'node:os';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ExportResultCode } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import cors from 'cors';
import express, { type Express } from 'express';
import { type Corsight, type CorsightMiddleware, corsight } from '../src/node.js';

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
const otherPath = process.argv[2];
const otherCorsight =
  otherPath === undefined ? undefined : ((await import(otherPath)) as { corsight: Corsight }).corsight;
const middleware = corsight({ tracerProvider, policy: corsOptions });
const otherMiddleware = otherCorsight?.({ tracerProvider, policy: corsOptions });

function ordersApp(observe: CorsightMiddleware | undefined): Express {
  const app = express();
  if (observe !== undefined) app.use(observe);
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
  // An async handler: the reply comes in a later turn, then the events Node would emit (see serve()).
  api.get('/later/:id', (_req, res) => {
    setImmediate(() => {
      res.json({ id: 1, status: 'shipped' });
      res.emit('finish');
      res.emit('close');
    });
  });
  app.use('/api', api);
  return app;
}

const apps: { name: string; app: Express }[] = [
  { name: 'without', app: ordersApp(undefined) },
  { name: 'with', app: ordersApp(middleware) },
];
if (otherMiddleware !== undefined) apps.push({ name: 'other', app: ordersApp(otherMiddleware) });

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

interface RequestKind {
  method: string;
  headers: Record<string, string>;
  /** Answered by the async handler, in a later turn. */
  later?: true;
}

const requests: Record<string, RequestKind> = {
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
  'GET, allowed, async': {
    method: 'GET',
    headers: { ...browser, origin: 'https://app.example.com', 'sec-fetch-site': 'cross-site' },
    later: true,
  },
};

const socket = new Socket();

function serve(app: Express, { method, headers, later }: RequestKind): void {
  const req = new IncomingMessage(socket);
  req.method = method;
  req.url = later === true ? '/api/later/17' : '/api/orders/17';
  req.headers = headers;
  const res = new ServerResponse(req);
  app(req, res);
  if (later === true) return;
  // No socket, so Node never completes the response itself; these are the events it would emit.
  res.emit('finish');
  res.emit('close');
}

/** Serves `count` requests; those of the async handler one per turn, until the last has been answered. */
async function serveMany(app: Express, kind: RequestKind, count: number): Promise<void> {
  if (kind.later !== true) {
    for (let n = 0; n < count; n++) serve(app, kind);
    return;
  }
  for (let n = 0; n < count; n++) {
    serve(app, kind);
    await nextTurn();
  }
  // The last reply's head is judged in the turn after it.
  await nextTurn();
}

async function microsPerRequest(app: Express, kind: RequestKind): Promise<number> {
  const start = process.cpuUsage();
  await serveMany(app, kind, CHUNK);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / CHUNK;
}

function quantile(values: readonly number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length * q)] ?? Number.NaN;
}

console.log(
  `Express + cors, CPU µs per request: ${CHUNKS} alternating chunks of ${CHUNK} per app; load ${loadavg()
    .map((value) => value.toFixed(2))
    .join(' ')}${otherPath === undefined ? '' : `; other = ${otherPath}`}`,
);
console.log(
  `${''.padEnd(26)}${apps.map(({ name }) => `${name} p10 / p50`.padStart(20)).join('')}   added (p10)`,
);
for (const [name, kind] of Object.entries(requests)) {
  for (let n = 0; n < 10; n++) for (const { app } of apps) await serveMany(app, kind, 1000);
  const chunks = apps.map((): number[] => []);
  for (let chunk = 0; chunk < CHUNKS; chunk++) {
    // Each app goes first, in the middle and last equally often.
    for (let k = 0; k < apps.length; k++) {
      const i = (chunk + k) % apps.length;
      chunks[i]?.push(await microsPerRequest((apps[i] as { app: Express }).app, kind));
    }
  }
  const pair = (values: number[]): string =>
    `${quantile(values, 0.1).toFixed(1)} / ${quantile(values, 0.5).toFixed(1)}`;
  const base = quantile(chunks[0] ?? [], 0.1);
  const added = chunks
    .slice(1)
    .map((values, i) => `${apps[i + 1]?.name ?? ''} +${(quantile(values, 0.1) - base).toFixed(1)}`)
    .join(', ');
  console.log(
    `${name.padEnd(26)}${chunks.map((values) => pair(values).padStart(20)).join('')}   ${added} µs`,
  );
}
await middleware.shutdown();
await otherMiddleware?.shutdown();
await tracerProvider.shutdown();
