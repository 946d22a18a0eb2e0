import type { Server } from 'node:http';
import Fastify, { type FastifyHttpOptions, type FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { parseTemplate, RouteTemplates } from './fastify-route.js';

describe('parseTemplate', () => {
  it.each([
    ['/orders/:id', 'id', '/orders/'],
    ['/files/*', '*', '/files/'],
    ['/range/:from-:to', 'from/to', '/range/-'],
    ['/img/:name.:ext', 'ext/name', '/img/.'],
    ['/num/:id(^\\d+)/x', 'id', '/num//x'],
    ['/time/10::30', '', '/time/10:30'],
  ])('reads %s: params %s, static text %s', (url, signature, text) => {
    const template = parseTemplate(url);
    expect(template.signature).toBe(signature);
    expect(template.staticLength).toBe(text.length);
  });
});

describe('RouteTemplates with the router of a real app', () => {
  // The plugin feeds the table from onRoute and asks findRoute; so does this test.
  async function table(
    register: (app: FastifyInstance) => void | Promise<void>,
    options: FastifyHttpOptions<Server> = {},
  ) {
    const app: FastifyInstance = Fastify(options);
    const templates = new RouteTemplates();
    app.addHook('onRoute', (route) => {
      templates.add(route.method, route.url);
    });
    await register(app);
    await app.ready();
    return (method: string, url: string): string | undefined => {
      const found = app.findRoute({ method, url }) as { params: Record<string, unknown> } | null;
      return found === null ? undefined : templates.resolve(method, url, found.params);
    };
  }

  it('finds the template of the route the router matches', async () => {
    const resolve = await table(async (app) => {
      app.get('/orders/:id', () => '');
      app.put('/orders/:id', () => '');
      app.get('/users/:id', () => '');
      app.get('/orders/:id/items/:item', () => '');
      app.get('/orders/:id/notes/:item', () => '');
      app.get('/orders/special', () => '');
      app.get('/files/*', () => '');
      app.get('/files/public/*', () => '');
      app.get('/range/:from-:to', () => '');
      app.get('/img/:name.:ext', () => '');
      app.get('/num/:id(^\\d+)', () => '');
      app.get('/health', () => '');
      app.get('/matrix;v=1', () => '');
      app.route({ method: ['POST', 'PATCH'], url: '/bulk/:kind', handler: () => '' });
      await app.register(
        (child, _options, done) => {
          child.get('/orders/:id', () => '');
          done();
        },
        { prefix: '/v2' },
      );
    });
    expect(
      [
        ['GET', '/orders/1'],
        ['put', '/orders/1?x=1'],
        ['GET', '/users/1'],
        ['GET', '/orders/1/items/2'],
        ['GET', '/orders/1/notes/2'],
        ['GET', '/orders/special'],
        ['GET', '/files/a/b.txt'],
        ['GET', '/files/public/a.txt'],
        ['GET', '/range/1-9'],
        ['GET', '/img/cat.png'],
        ['GET', '/num/42'],
        ['HEAD', '/health'],
        ['GET', '/matrix;v=1'],
        ['PATCH', '/bulk/a'],
        ['GET', '/v2/orders/1'],
        ['GET', '/num/abc'],
        ['DELETE', '/orders/1'],
        ['BREW', '/orders/1'],
        ['GET', '/nowhere'],
      ].map(([method = '', url = '']) => resolve(method, url)),
    ).toEqual([
      '/orders/:id',
      '/orders/:id',
      '/users/:id',
      '/orders/:id/items/:item',
      '/orders/:id/notes/:item',
      '/orders/special',
      '/files/*',
      '/files/public/*',
      '/range/:from-:to',
      '/img/:name.:ext',
      '/num/:id(^\\d+)',
      '/health',
      '/matrix;v=1',
      '/bulk/:kind',
      '/v2/orders/:id',
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });

  it('picks, of templates with the same parameters, the one the router takes', async () => {
    const resolve = await table((app) => {
      // Registered in the order the router does not take them.
      app.get('/:a/x', () => '');
      app.get('/x/:a', () => '');
      app.get('/n/:id(^\\d+$)', () => '');
      app.get('/n/:id', () => '');
      app.get('/w/*', () => '');
      app.get('/w/:id/z', () => '');
      // The router tests a parameter's regexp on the decoded value, case-sensitively.
      app.get('/c/:id(^[a-z]+$)', () => '');
      app.get('/c/:id', () => '');
      app.get('/m/:id(^\\d+$)', () => '');
      app.get('/m/:id', () => '');
    });
    expect(
      [
        ['GET', '/x/x'],
        ['GET', '/y/x'],
        ['GET', '/x/x?q=1'],
        ['GET', '/n/42'],
        ['GET', '/n/abc'],
        ['GET', '/c/abc'],
        ['GET', '/c/ABC'],
        ['GET', '/m/%34%32'],
      ].map(([method = '', url = '']) => resolve(method, url)),
    ).toEqual([
      '/x/:a',
      '/:a/x',
      '/x/:a',
      '/n/:id(^\\d+$)',
      '/n/:id',
      '/c/:id(^[a-z]+$)',
      '/c/:id',
      '/m/:id(^\\d+$)',
    ]);
  });

  it('follows the router’s trailing-slash, letter-case and semicolon options', async () => {
    // Not a literal: Fastify 5.12 reads useSemicolonDelimiter here but types it only at the top level, where
    // it is deprecated.
    const routerOptions = {
      ignoreTrailingSlash: true,
      caseSensitive: false,
      ignoreDuplicateSlashes: true,
      useSemicolonDelimiter: true,
    };
    const resolve = await table(
      (app) => {
        app.get('/Orders/:id', () => '');
        app.get('/users/:id', () => '');
        app.get('/About', () => '');
      },
      { routerOptions },
    );
    expect(resolve('GET', '/orders/1/')).toBe('/Orders/:id');
    expect(resolve('GET', '//users//1')).toBe('/users/:id');
    expect(resolve('GET', '/about/')).toBe('/About');
    expect(resolve('GET', '/about;session=1')).toBe('/About');
    expect(resolve('GET', '/users/1;session=1')).toBe('/users/:id');
  });

  it('knows nothing of routes added before it', async () => {
    const app = Fastify();
    app.get('/early/:id', () => '');
    const templates = new RouteTemplates();
    app.addHook('onRoute', (route) => {
      templates.add(route.method, route.url);
    });
    app.get('/late/:id', () => '');
    await app.ready();
    expect(templates.resolve('GET', '/early/1', { id: '1' })).toBeUndefined();
    expect(templates.resolve('GET', '/late/1', { id: '1' })).toBe('/late/:id');
  });
});
