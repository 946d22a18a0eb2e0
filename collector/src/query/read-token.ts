// The read token check for the query API: `Authorization: Bearer <token>`, compared in constant time.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { onRequestAsyncHookHandler } from 'fastify';

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** A checker for the configured tokens; with none configured every request passes. */
export function readTokenChecker(tokens: readonly string[]): (authorization: string | undefined) => boolean {
  if (tokens.length === 0) return () => true;
  // Hashing first makes every comparison the same length, so timingSafeEqual can run on each.
  const digests = tokens.map(digest);
  return (authorization) => {
    const match = /^Bearer ([\x21-\x7e]{1,512})$/.exec(authorization ?? '');
    if (match?.[1] === undefined) return false;
    const presented = digest(match[1]);
    let ok = false;
    for (const expected of digests) ok = timingSafeEqual(expected, presented) || ok;
    return ok;
  };
}

/**
 * An onRequest hook answering 401 to a request without one of `readTokens` or `adminTokens` (an admin may
 * read what a reader may, as in the alerts API); with no read token configured every request passes.
 * Registered inside an unwrapped plugin, it guards that plugin's routes only.
 */
export function requireReadToken(
  readTokens: readonly string[],
  adminTokens: readonly string[] = [],
): onRequestAsyncHookHandler {
  const authorized = readTokenChecker(readTokens.length === 0 ? [] : [...readTokens, ...adminTokens]);
  return async (request, reply) => {
    if (authorized(request.headers.authorization)) return;
    await reply.code(401).header('www-authenticate', 'Bearer realm="corsight-query"').send({
      error: 'unauthorized',
      message: 'send the query API read token as Authorization: Bearer <token>',
    });
  };
}
