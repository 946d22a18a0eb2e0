// Route templates read from a real Express 5 application's router, for requests as they look once Express
// has handled them (req.app set, req.route set when a route ran). No HTTP: node.test.ts covers the wire.
import { IncomingMessage } from 'node:http';
import { Socket } from 'node:net';
import express, { type Express, type Request, type Response } from 'express';
import { describe, expect, it, vi } from 'vitest';
import { ROUTE_UNMATCHED } from '../schema.js';
import { expressRoute, targetPath } from './express-route.js';

function ok(_req: Request, res: Response): void {
  res.end();
}

// Route objects are opaque here: expressRoute only ever compares them by identity.
interface Application {
  readonly app: Express;
  readonly sharedRoute: object;
  readonly nestedRoute: object;
  readonly subApp: Express;
  readonly subRoute: object;
}

function application(): Application {
  const app = express();
  app.use((_req, _res, next) => {
    next();
  });
  app.get('/orders/:id', ok);
  app.put('/orders/:id', ok);
  app.all('/any/:x', ok);
  app.get(['/a/:id', '/b/:id'], ok);
  app.get(/^\/re\/(\d+)$/, ok);
  const api = express.Router();
  const v1 = express.Router({ caseSensitive: true });
  const nestedRoute = v1.route('/Items/:item').delete(ok);
  api.use('/v1/', v1);
  api.get('/', ok);
  app.use('/api', api);
  const tenant = express.Router({ mergeParams: true });
  tenant.get('/orders/:id', ok);
  app.use('/tenants/:tenant', tenant);
  const shared = express.Router();
  const sharedRoute = shared.route('/x/:id').get(ok);
  app.use('/one', shared);
  app.use('/two', shared);
  const subApp = express();
  const subRoute = subApp.route('/panel').get(ok);
  app.use('/admin', subApp);
  app.use('/graphql', (_req: Request, res: Response) => {
    res.end();
  });
  return { app, sharedRoute, nestedRoute, subApp, subRoute };
}

interface Handled {
  readonly method: string;
  readonly app?: Express;
  readonly route?: object;
  readonly baseUrl?: string;
}

function handled({ method, ...express }: Handled): IncomingMessage {
  const request = Object.assign(new IncomingMessage(new Socket()), express);
  request.method = method;
  return request;
}

describe('expressRoute by path and method', () => {
  const { app } = application();
  const cases: [string, string, string | undefined, string | undefined][] = [
    // method, target, asked method (preflight), template
    ['GET', '/orders/1', undefined, '/orders/:id'],
    ['HEAD', '/orders/1', undefined, '/orders/:id'],
    ['PATCH', '/orders/1', undefined, ROUTE_UNMATCHED],
    ['OPTIONS', '/orders/1', 'PUT', '/orders/:id'],
    ['OPTIONS', '/orders/1', 'put', '/orders/:id'],
    ['OPTIONS', '/orders/1', 'DELETE', ROUTE_UNMATCHED],
    ['DELETE', '/any/1', undefined, '/any/:x'],
    ['GET', '/b/2', undefined, '/b/:id'],
    ['GET', '/re/12', undefined, String(/^\/re\/(\d+)$/)],
    ['OPTIONS', '/api/v1/Items/3', 'DELETE', '/api/v1/Items/:item'],
    ['DELETE', '/api/v1/items/3', undefined, ROUTE_UNMATCHED],
    ['GET', '/api', undefined, '/api/'],
    ['GET', '/apix', undefined, ROUTE_UNMATCHED],
    ['GET', '/tenants/acme/orders/9', undefined, '/tenants/:tenant/orders/:id'],
    ['GET', '/orders/1?expand=items', undefined, '/orders/:id'],
    ['GET', 'http://api.example.com/orders/1?x', undefined, '/orders/:id'],
    ['GET', '/orders/%E0%A4%A', undefined, ROUTE_UNMATCHED],
    ['GET', '/two/x/5', undefined, '/two/x/:id'],
    // Sub-applications keep their router in a closure: not found by path, and whether one of their routes
    // matches cannot be told.
    ['GET', '/admin/panel', undefined, undefined],
    ['OPTIONS', '/admin/elsewhere', 'GET', undefined],
    // Neither for middleware mounted at a path, which may answer it.
    ['OPTIONS', '/graphql', 'POST', undefined],
    ['GET', '/nowhere', undefined, ROUTE_UNMATCHED],
    ['OPTIONS', '/nowhere', 'GET', ROUTE_UNMATCHED],
  ];
  it.each(cases)('%s %s (asking %s) → %s', (method, target, asked, template) => {
    expect(expressRoute(handled({ method, app }), target, asked)).toBe(template);
  });

  it('gives the same answers again, remembered by path and method', () => {
    const answers = cases.map(([method, target, asked]) =>
      expressRoute(handled({ method, app }), target, asked),
    );
    expect(answers).toEqual(cases.map(([, , , template]) => template));
  });

  it('finds nothing without an Express application', () => {
    expect(expressRoute(handled({ method: 'GET' }), '/orders/1', undefined)).toBeUndefined();
  });
});

describe('expressRoute for a request a route served', () => {
  it('gives the full template even after an outer error handler reset req.baseUrl', () => {
    const { app, nestedRoute } = application();
    const request = handled({ method: 'DELETE', app, route: nestedRoute, baseUrl: '' });
    expect(expressRoute(request, '/api/v1/Items/3', undefined)).toBe('/api/v1/Items/:item');
  });

  it('tells apart the mounts of a router mounted twice by the path', () => {
    const { app, sharedRoute } = application();
    expect(expressRoute(handled({ method: 'GET', app, route: sharedRoute }), '/one/x/1', undefined)).toBe(
      '/one/x/:id',
    );
    expect(expressRoute(handled({ method: 'GET', app, route: sharedRoute }), '/two/x/1', undefined)).toBe(
      '/two/x/:id',
    );
  });

  it('finds a route added after the first lookup', () => {
    const { app } = application();
    expect(expressRoute(handled({ method: 'GET', app }), '/orders/1', undefined)).toBe('/orders/:id');
    const late = app.route('/late/:id').get(ok);
    expect(expressRoute(handled({ method: 'GET', app, route: late }), '/late/1', undefined)).toBe(
      '/late/:id',
    );
  });

  it('finds a route added at the root after its path was remembered without one', () => {
    const { app } = application();
    expect(expressRoute(handled({ method: 'OPTIONS', app }), '/later/1', 'GET')).toBe(ROUTE_UNMATCHED);
    app.get('/later/:id', ok);
    expect(expressRoute(handled({ method: 'OPTIONS', app }), '/later/1', 'GET')).toBe('/later/:id');
  });

  it('finds a route added inside a mounted router once the remembered routes have expired', () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const app = express();
      const api = express.Router();
      app.use('/api', api);
      expect(expressRoute(handled({ method: 'OPTIONS', app }), '/api/later/1', 'GET')).toBe(ROUTE_UNMATCHED);
      api.get('/later/:id', ok);
      expect(expressRoute(handled({ method: 'OPTIONS', app }), '/api/later/1', 'GET')).toBe(ROUTE_UNMATCHED);
      vi.advanceTimersByTime(10_000);
      expect(expressRoute(handled({ method: 'OPTIONS', app }), '/api/later/1', 'GET')).toBe('/api/later/:id');
    } finally {
      vi.useRealTimers();
    }
  });

  it("falls back to req.baseUrl + the route's path inside a sub-application", () => {
    const { subApp, subRoute } = application();
    const request = handled({ method: 'GET', app: subApp, route: subRoute, baseUrl: '/admin' });
    expect(expressRoute(request, '/admin/panel', undefined)).toBe('/admin/panel');
  });

  it('ignores req.route for a preflight and routes by the method asked for', () => {
    const { app, sharedRoute } = application();
    const request = handled({ method: 'OPTIONS', app, route: sharedRoute });
    expect(expressRoute(request, '/orders/1', 'PUT')).toBe('/orders/:id');
  });
});

describe('targetPath', () => {
  it.each([
    ['/orders/1', '/orders/1'],
    ['/orders/1?x=1', '/orders/1'],
    ['http://api.example.com', '/'],
    ['https://api.example.com/a/b?c', '/a/b'],
    ['*', undefined],
  ])('%s → %s', (target, path) => {
    expect(targetPath(target)).toBe(path);
  });
});
