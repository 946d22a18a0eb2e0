// The collector's operational endpoints: /healthz (the process serves), /readyz (ClickHouse answers and the
// schema is migrated: a load balancer sends traffic only then) and /metrics (Prometheus text).
import type { FastifyPluginCallback } from 'fastify';
import type { Registry } from 'prom-client';

export interface OpsRoutesOptions {
  readonly registry: Registry;
  /** ClickHouse reachable and migrations done. */
  readonly ready: () => Promise<boolean>;
}

export const opsRoutes: FastifyPluginCallback<OpsRoutesOptions> = (app, options, done) => {
  app.get('/healthz', () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    let ready: boolean;
    try {
      ready = await options.ready();
    } catch {
      ready = false;
    }
    return ready
      ? { status: 'ready' }
      : reply
          .code(503)
          .send({ status: 'not ready', reason: 'ClickHouse is unreachable or not migrated yet' });
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await options.registry.metrics();
    return reply.type(options.registry.contentType).send(text);
  });
  done();
};
