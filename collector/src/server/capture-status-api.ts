// `GET /api/v1/services/capture`: each service's HTTP-span capture status (issue 8), from the ingest's own
// memory rather than ClickHouse — what the collector decided for the spans it received, so the dashboard can
// say "not enough data: add these capture settings", "counted from Corsight's spans" or "estimated".
import type { FastifyPluginAsync } from 'fastify';
import { CAPTURE_REQUEST_HEADERS, CAPTURE_RESPONSE_HEADERS } from '../ingest/capture-headers.js';
import type { HttpSpanServices, ServiceCaptureStatus } from '../ingest/http-span-services.js';
import { requireReadToken } from '../query/read-token.js';

export interface CaptureStatusAnswer {
  readonly services: readonly ServiceCaptureStatus[];
  /** HTTP spans of services past the collector's tracking bound: never judged. */
  readonly untrackedSpans: number;
  /** What a service's instrumentation must capture for its spans to be judged. */
  readonly captureHeaders: { readonly request: readonly string[]; readonly response: readonly string[] };
}

export interface CaptureStatusApiOptions {
  readonly services: HttpSpanServices;
  readonly readTokens: readonly string[];
  /** Also accepted for reading (the alerts API's change tokens). */
  readonly adminTokens?: readonly string[];
}

export const captureStatusApi: FastifyPluginAsync<CaptureStatusApiOptions> = async (app, options) => {
  app.addHook('onRequest', requireReadToken(options.readTokens, options.adminTokens));
  app.get('/services/capture', (): CaptureStatusAnswer => ({
    services: options.services.statuses(),
    untrackedSpans: options.services.untrackedSpans,
    captureHeaders: { request: CAPTURE_REQUEST_HEADERS, response: CAPTURE_RESPONSE_HEADERS },
  }));
  await Promise.resolve();
};
