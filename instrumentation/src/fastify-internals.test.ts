// The plugin finds the reply's header object and the route template without Fastify's copying getters. These
// tests pin that the Fastify version in use still keeps both where the plugin looks (so an upgrade that moves
// them is noticed as a slower path, not as wrong spans), and that the answers equal the public getters'.
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { ResponseHeaders } from './core/index.js';
import { hasNodeHeaders, replyHeaderObject, routeTemplate } from './fastify-internals.js';

interface Seen {
  readonly headers: ResponseHeaders | undefined;
  /** Whether setHeader ran on the raw response, so that Node's store, not the reply's object, was written. */
  readonly nodeHeaders: boolean;
  readonly publicHeaders: Record<string, unknown>;
  readonly route: string | undefined;
  readonly publicRoute: string | undefined;
}

async function observe(
  url: string,
  handler: (request: FastifyRequest, reply: FastifyReply) => unknown,
): Promise<Seen> {
  const app = Fastify({ logger: false });
  let seen: Seen | undefined;
  app.addHook('onResponse', (request, reply, done) => {
    seen = {
      headers: replyHeaderObject(reply),
      nodeHeaders: hasNodeHeaders(reply.raw),
      publicHeaders: reply.getHeaders(),
      route: routeTemplate(request),
      publicRoute: request.routeOptions.url,
    };
    done();
  });
  app.get('/orders/:id', handler);
  // Through a socket: light-my-request's response keeps writeHead's headers in Node's store, which takes
  // the public path.
  const base = await app.listen({ port: 0, host: '127.0.0.1' });
  await (await fetch(`${base}${url}`)).text();
  await app.close();
  if (seen === undefined) throw new Error('the onResponse hook did not run');
  return seen;
}

describe('reading Fastify without its copies', () => {
  it('reads the reply’s own header object and the route template', async () => {
    const seen = await observe('/orders/7', (_request, reply) => {
      void reply.header('access-control-allow-origin', 'https://a.example').header('vary', 'Origin');
      return { id: 7 };
    });
    expect(seen.nodeHeaders).toBe(false);
    expect(seen.headers).toEqual(seen.publicHeaders);
    expect(seen.headers?.['access-control-allow-origin']).toBe('https://a.example');
    expect(seen.route).toBe('/orders/:id');
    expect(seen.route).toBe(seen.publicRoute);
  });

  it('tells when headers also went through the raw response, so the reply’s object is not all', async () => {
    const seen = await observe('/orders/7', (_request, reply) => {
      reply.raw.setHeader('x-raw', '1');
      void reply.header('vary', 'Origin');
      return 'ok';
    });
    expect(seen.nodeHeaders).toBe(true);
    expect(seen.headers).toMatchObject({ vary: 'Origin' });
    expect(seen.publicHeaders).toMatchObject({ 'x-raw': '1', vary: 'Origin' });
  });

  it('has no route template for a request no route matched', async () => {
    const seen = await observe('/nowhere', () => 'never');
    expect(seen.route).toBeUndefined();
    expect(seen.publicRoute).toBeUndefined();
  });
});
