// What the collector answers to a request no route takes: 405 with `Allow` when the path exists for other
// methods (an exporter that GETs /v1/traces, a POST to a query), else 404 naming what is served here, in
// the JSON error shape of the query API. Fastify's default says only "Route GET:/x not found".
import type { FastifyInstance, HTTPMethods } from 'fastify';

const METHODS: readonly HTTPMethods[] = ['GET', 'POST', 'PUT', 'DELETE'];

const SERVED =
  'this collector serves POST /v1/traces (OTLP/HTTP), GET /api/v1/… (the query API, e.g. /api/v1/summary), ' +
  '/api/v1/alerts/…, /healthz, /readyz and /metrics';

/** Path and method, shortened for a message: both are the client's. */
function shown(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

export function answerUnknownRoutes(app: FastifyInstance): void {
  app.setNotFoundHandler(async (request, reply) => {
    const url = request.url;
    const path = url.split('?', 1)[0] ?? url;
    const allowed = METHODS.filter(
      (method) =>
        method !== request.method &&
        // Typed as always found, but null when no route matches (fastify 5.12).
        (app.findRoute({ method, url: path }) as object | null) !== null,
    );
    if (allowed.length > 0) {
      await reply
        .code(405)
        .header('allow', allowed.join(', '))
        .send({
          error: 'method_not_allowed',
          message: `${shown(path)} takes ${allowed.join(', ')}, not ${shown(request.method)}`,
        });
      return;
    }
    await reply.code(404).send({ error: 'not_found', message: `no route for ${shown(path)}: ${SERVED}` });
  });
}
