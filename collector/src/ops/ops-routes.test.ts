import Fastify from 'fastify';
import { Registry } from 'prom-client';
import { expect, it } from 'vitest';
import { opsRoutes } from './ops-routes.js';

it('fails liveness and readiness while the spool refuses every append, and passes once it does not', async () => {
  let broken = true;
  const app = Fastify();
  await app.register(opsRoutes, {
    registry: new Registry(),
    ready: () => Promise.resolve(true),
    spoolBroken: () => broken,
  });
  for (const url of ['/healthz', '/readyz']) {
    const answer = await app.inject({ url });
    expect(answer.statusCode).toBe(503);
    expect(answer.json<{ reason: string }>().reason).toMatch(/restart the collector/);
  }
  broken = false;
  expect((await app.inject({ url: '/healthz' })).statusCode).toBe(200);
  expect((await app.inject({ url: '/readyz' })).json()).toEqual({ status: 'ready' });
  await app.close();
});
