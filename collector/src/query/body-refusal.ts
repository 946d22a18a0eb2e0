// Fastify's own refusals of a request body (query and alerts APIs), said as what to send instead: its
// messages ("Unsupported Media Type", "Body is not valid JSON…") name the fault, not the fix.
import type { FastifyError } from 'fastify';

const FIXES: Readonly<Record<string, string>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'the body must be JSON: send it with Content-Type: application/json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'the body is empty: send a JSON object',
  // Also a body that is gzip-compressed, or holds a `__proto__` key (refused as prototype poisoning).
  FST_ERR_CTP_INVALID_JSON_BODY:
    'the body is not valid JSON: send one uncompressed JSON object, without __proto__ or constructor.prototype keys',
  FST_ERR_CTP_BODY_TOO_LARGE: 'the body is too large: the APIs take JSON bodies of at most 1 MiB',
};

/** The 4xx answer to a client error Fastify raised before a route ran. */
export function clientErrorBody(error: FastifyError): { error: string; message: string } {
  return { error: error.code, message: FIXES[error.code] ?? error.message };
}
