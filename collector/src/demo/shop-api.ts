// The demo's main API: a Fastify app with @fastify/cors and the Corsight plugin, as the README tells users
// to set it up. Its allowlist changes during the demo. @fastify/cors and Corsight take their options once,
// at registration, as in a real deployment, so a new policy means a new app: the new one is built and
// swapped in behind the same listening socket (a rolling deploy with no gap), then the old one is closed,
// which emits its last counts under the old policy fingerprint.
import { createServer } from 'node:http';
import fastifyCors from '@fastify/cors';
import corsight from '@corsight/instrumentation/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { closeServer, listenOn } from './listen.js';

export const SHOP_SERVICE_NAME = 'shop-api';

export interface ShopApiOptions {
  readonly host: string;
  readonly port: number;
  readonly allowedOrigins: readonly string[];
  /** How often the plugin emits its summary spans. */
  readonly flushIntervalMs: number;
}

export interface RunningShopApi {
  readonly url: string;
  /** Redeploys with a new allowlist; resolves once the old app has emitted its last spans. */
  applyAllowlist(allowedOrigins: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** The @fastify/cors options; the same object goes to Corsight, whose fingerprint of it marks changes. */
export function shopCorsPolicy(allowedOrigins: readonly string[]) {
  return {
    origin: [...allowedOrigins],
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['content-type', 'x-request-id'],
    credentials: true,
    maxAge: 600,
  };
}

const PRODUCTS = [
  { id: 1, name: 'Tee', price: 19 },
  { id: 2, name: 'Mug', price: 9 },
];

async function buildShopApp(options: ShopApiOptions, allowedOrigins: readonly string[]) {
  const app = Fastify({ logger: false });
  const policy = shopCorsPolicy(allowedOrigins);
  await app.register(corsight, {
    serviceName: SHOP_SERVICE_NAME,
    policy,
    flushIntervalMs: options.flushIntervalMs,
  });
  await app.register(fastifyCors, policy);
  app.get('/products', () => PRODUCTS);
  app.get<{ Params: { id: string } }>('/products/:id', (request) => ({
    id: Number(request.params.id),
    name: 'Product',
    price: 10,
  }));
  app.get('/me', () => ({ name: 'Demo shopper' }));
  app.post('/cart', (_request, reply) => reply.code(201).send({ ok: true }));
  app.put<{ Params: { id: string } }>('/cart/items/:id', (request) => ({ id: request.params.id, ok: true }));
  app.delete('/cart/items/:id', (_request, reply) => reply.code(204).send());
  await app.ready();
  return app;
}

// In-flight requests of the old app finish within this; its last spans are emitted when it closes.
const DRAIN_MS = 500;

export async function startShopApi(options: ShopApiOptions): Promise<RunningShopApi> {
  let current: FastifyInstance = await buildShopApp(options, options.allowedOrigins);
  const server = createServer((request, response) => {
    current.routing(request, response);
  });
  const address = await listenOn(server, options.host, options.port);
  return {
    url: `http://${options.host}:${address.port}`,
    async applyAllowlist(allowedOrigins) {
      const previous = current;
      current = await buildShopApp(options, allowedOrigins);
      await new Promise((resolve) => setTimeout(resolve, DRAIN_MS));
      await previous.close();
    },
    async close() {
      await closeServer(server);
      await current.close();
    },
  };
}
