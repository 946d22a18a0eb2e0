// The demo's second service: a public catalog on Express with the `cors` package and Corsight's Node
// middleware. Its policy is a wildcard with no Max-Age, two common choices whose cost the dashboard shows:
// callers that send cookies are blocked, and every preflight is cached for 5 s only.
import { createServer } from 'node:http';
import { corsight } from '@corsight/instrumentation/node';
import cors from 'cors';
import express from 'express';
import { closeServer, listenOn } from './listen.js';

export const CATALOG_SERVICE_NAME = 'catalog-api';

export interface CatalogApiOptions {
  readonly host: string;
  readonly port: number;
  readonly flushIntervalMs: number;
}

export interface RunningCatalogApi {
  readonly url: string;
  close(): Promise<void>;
}

export const CATALOG_CORS_POLICY = {
  origin: '*',
  methods: ['GET', 'POST'],
  allowedHeaders: ['content-type', 'x-request-id', 'x-client-version'],
};

export async function startCatalogApi(options: CatalogApiOptions): Promise<RunningCatalogApi> {
  const app = express();
  const observe = corsight({
    serviceName: CATALOG_SERVICE_NAME,
    policy: CATALOG_CORS_POLICY,
    flushIntervalMs: options.flushIntervalMs,
  });
  app.use(observe);
  app.use(cors(CATALOG_CORS_POLICY));
  app.get('/search', (_request, response) => {
    response.json({ results: [{ sku: 'tee-42' }] });
  });
  app.get('/items/:id', (request, response) => {
    response.json({ sku: request.params.id });
  });
  app.post('/recommendations', express.json(), (_request, response) => {
    response.json({ recommendations: ['mug-7'] });
  });
  const server = createServer(app);
  const address = await listenOn(server, options.host, options.port);
  return {
    url: `http://${options.host}:${address.port}`,
    async close() {
      await closeServer(server);
      await observe.shutdown();
    },
  };
}
