// The collector's operational endpoints: /healthz (the process serves and can take spans), /readyz
// (ClickHouse answers and the schema is migrated: a load balancer sends traffic only then) and /metrics
// (Prometheus text). A spool that stopped after a write it could not undo fails both: only a restart
// recovers it, which is what a failing liveness probe gets.
import type { FastifyPluginCallback } from 'fastify';
import type { Registry } from 'prom-client';

export interface OpsRoutesOptions {
  readonly registry: Registry;
  /** ClickHouse reachable and migrations done. */
  readonly ready: () => Promise<boolean>;
  /** Whether the spool refuses every append until a restart. */
  readonly spoolBroken?: () => boolean;
}

const SPOOL_BROKEN =
  'the spool stopped taking spans after a write it could not undo (its log says which); restart the collector';

export const opsRoutes: FastifyPluginCallback<OpsRoutesOptions> = (app, options, done) => {
  app.get('/healthz', (_request, reply) =>
    options.spoolBroken?.() === true
      ? reply.code(503).send({ status: 'failing', reason: SPOOL_BROKEN })
      : { status: 'ok' },
  );
  app.get('/readyz', async (_request, reply) => {
    if (options.spoolBroken?.() === true) {
      return reply.code(503).send({ status: 'not ready', reason: SPOOL_BROKEN });
    }
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
