// The route template (`/orders/:id`) Express gives a request, read from the application's own router so that
// http.route never carries a raw path. Express is not a dependency: its objects are read structurally, and a
// shape this file does not recognise yields undefined, never an exception.
//
// Two ways in, both Express 5 (router 2.x):
// - a request that reached a route: `req.route` is the Route object; its full template (mount prefixes
//   included, as written, so `/tenants/:tenant/orders/:id` rather than `req.baseUrl`'s `/tenants/acme/...`)
//   comes from an index of every route object in the application, built once per application and rebuilt
//   when a new route object shows up. `req.baseUrl` alone is not enough: it holds raw parameter values, and
//   an error handler outside a nested router sees it already reset to the outer router's base.
// - a preflight, or a request answered before any route ran (auth middleware, `cors`, a 404): match the path
//   against the router stack for the method (for a preflight, the method it asks for), descending into
//   mounted routers the way the router itself does. This is the routing work Express already did once for
//   the request; it is only paid for requests that carry an Origin.
//
// Limits: sub-applications (`app.use('/admin', express())`) hide their router inside a closure, so their
// routes are not found by path (preflights to them are `(unmatched)`, without the `preflight_unmatched_route`
// warning, which needs a router that says no route matches; so are preflights to other middleware mounted at
// a path, `app.use('/graphql', handler)`); requests that reach one of their
// routes fall back to `req.baseUrl + req.route.path`. Express 4 layers change their own state when matched,
// so they are never matched here; Express 4 gets the index and the `req.baseUrl` fallback only.
import type { IncomingMessage } from 'node:http';
import { RememberedRoutes } from '../remembered-routes.js';
import { ROUTE_UNMATCHED } from '../schema.js';

interface ExpressRoute {
  readonly path?: unknown;
  readonly methods?: unknown;
}

interface LayerMatch {
  /** The part of the path the layer consumed. */
  readonly path: string;
  /** The path pattern that matched (one element of an array path). */
  readonly pattern: unknown;
}

interface ExpressLayer {
  readonly route?: ExpressRoute | null | undefined;
  readonly handle?: unknown;
  /** Router 2.x only: the compiled path matchers (Express 4 layers have `regexp` instead). */
  readonly matchers?: unknown;
  readonly rawPath?: unknown;
  match?(path: string): LayerMatch | false;
}

interface ExpressRouter {
  readonly stack: readonly ExpressLayer[];
}

interface ExpressApplication {
  readonly parent?: unknown;
  /** Express 4's router (its `router` getter throws); Express 5 has `router` only. */
  readonly _router?: unknown;
  readonly router?: unknown;
}

interface ExpressRequest {
  readonly app?: unknown;
  readonly route?: unknown;
  readonly baseUrl?: unknown;
}

// A router mounted inside itself would loop forever; no real application nests this deep.
const MAX_DEPTH = 32;

function isRouter(value: unknown): value is ExpressRouter {
  return typeof value === 'function' && Array.isArray((value as { stack?: unknown }).stack);
}

/** The router of the outermost application: sub-applications point to the application they are mounted in. */
function rootRouter(app: unknown): ExpressRouter | undefined {
  if (typeof app !== 'function') return undefined;
  let root = app as ExpressApplication;
  for (let depth = 0; typeof root.parent === 'function' && depth < MAX_DEPTH; depth++) {
    root = root.parent as ExpressApplication;
  }
  // Express 4 keeps its router in `_router` and throws from the `router` getter.
  const router = '_router' in root ? root._router : root.router;
  return isRouter(router) ? router : undefined;
}

function handlesMethod(route: ExpressRoute, method: string): boolean {
  const methods = route.methods;
  if (typeof methods !== 'object' || methods === null) return false;
  const handled = methods as Readonly<Record<string, unknown>>;
  const name = method.toLowerCase();
  // Route#_handlesMethod: `all` handles every method, and GET answers HEAD when no HEAD handler exists.
  return handled._all === true || handled[name] === true || (name === 'head' && handled.get === true);
}

function patternTemplate(pattern: unknown): string | undefined {
  if (typeof pattern === 'string') return pattern;
  if (pattern instanceof RegExp) return String(pattern);
  return undefined;
}

/** A mount path as it prefixes the routes below it: `/` adds nothing, and trailing slashes never count. */
function mountTemplate(pattern: unknown): string | undefined {
  const template = patternTemplate(pattern);
  if (template === undefined) return undefined;
  let end = template.length;
  while (end > 0 && template.charCodeAt(end - 1) === 0x2f) end--;
  return template.slice(0, end);
}

/** A layer's match for a path: undefined when it does not match, null when it cannot be asked. */
function matchLayer(layer: ExpressLayer, path: string): LayerMatch | undefined | null {
  // Router 2.x's Layer#match is pure; Express 4's stores the match on the layer, which a request in flight
  // reads back, so only router 2.x layers are ever matched here.
  if (!Array.isArray(layer.matchers) || typeof layer.match !== 'function') return null;
  try {
    const match = layer.match(path);
    return match === false ? undefined : match;
  } catch {
    // A malformed percent-encoding in a parameter: Express answers 400 and no route matched.
    return undefined;
  }
}

/** Express wraps a mounted sub-application in a function of this name (application.js `use`, 4 and 5). */
function isMountedApp(handle: unknown): boolean {
  return typeof handle === 'function' && handle.name === 'mounted_app';
}

/**
 * The template of the route for `method` on `path`: undefined when no route of the stack matches, null when
 * that cannot be told (middleware mounted at a path, such as a sub-application, whose routes are out of
 * sight, matched the path, or a layer could not be asked).
 */
function findRoute(
  stack: readonly ExpressLayer[],
  path: string,
  method: string,
  prefix: string,
  depth: number,
): string | undefined | null {
  let undecided = false;
  for (const layer of stack) {
    const route = layer.route;
    if (typeof route === 'object' && route !== null) {
      if (!handlesMethod(route, method)) continue;
      const match = matchLayer(layer, path);
      if (match === null) undecided = true;
      if (match == null) continue;
      const template = patternTemplate(match.pattern);
      if (template !== undefined) return prefix + template;
      continue;
    }
    const router = layer.handle;
    if (!isRouter(router)) {
      // Middleware mounted at a path (`app.use('/graphql', handler)`, a proxy, a sub-application) may
      // answer it: whether a route matches cannot be told. Middleware at the root (parsers, auth, cors)
      // passes requests on.
      const match = matchLayer(layer, path);
      if (match === null || (match !== undefined && (match.path !== '' || isMountedApp(router))))
        undecided = true;
      continue;
    }
    if (depth >= MAX_DEPTH) {
      undecided = true;
      continue;
    }
    const match = matchLayer(layer, path);
    if (match === null) undecided = true;
    if (match == null) continue;
    const consumed = match.path;
    // The router enters a mounted router only at a segment boundary (router's trimPrefix).
    if (consumed.length > 0) {
      if (!path.startsWith(consumed)) continue;
      if (path.length > consumed.length && path.charCodeAt(consumed.length) !== 0x2f) continue;
    }
    const mount = mountTemplate(match.pattern);
    if (mount === undefined) continue;
    let rest = path.slice(consumed.length);
    if (rest.charCodeAt(0) !== 0x2f) rest = `/${rest}`;
    const found = findRoute(router.stack, rest, method, prefix + mount, depth + 1);
    if (found === null) undecided = true;
    else if (found !== undefined) return found;
  }
  return undecided ? null : undefined;
}

/** Route object → full template; null when it has none (array path, unknown mount, mounted twice). */
type RouteIndex = WeakMap<object, string | null>;

// Keyed by the root router, so one middleware serving two applications keeps their routes apart.
const indexes = new WeakMap<ExpressRouter, RouteIndex>();

function indexRoutes(
  stack: readonly ExpressLayer[],
  prefix: string | undefined,
  depth: number,
  index: RouteIndex,
): void {
  for (const layer of stack) {
    const route = layer.route;
    if (typeof route === 'object' && route !== null) {
      const template = prefix !== undefined && typeof route.path === 'string' ? prefix + route.path : null;
      // A router mounted at two paths puts its routes under both: which one served is the request's to say.
      index.set(route, index.has(route) ? null : template);
      continue;
    }
    const router = layer.handle;
    if (!isRouter(router) || depth >= MAX_DEPTH) continue;
    const mount = mountTemplate(layer.rawPath);
    const below = prefix === undefined || mount === undefined ? undefined : prefix + mount;
    indexRoutes(router.stack, below, depth + 1, index);
  }
}

function indexedTemplate(root: ExpressRouter, route: object): string | null {
  let index = indexes.get(root);
  let template = index?.get(route);
  if (template !== undefined) return template;
  // Routes added after the last index (or living in a sub-application): index again, once per route object.
  index = new WeakMap();
  indexRoutes(root.stack, '', 0, index);
  indexes.set(root, index);
  template = index.get(route);
  if (template !== undefined) return template;
  index.set(route, null);
  return null;
}

/** The path of a request target, without the query (origin-form or absolute-form). */
export function targetPath(target: string): string | undefined {
  let start = 0;
  if (target.charCodeAt(0) !== 0x2f) {
    const scheme = target.indexOf('://');
    if (scheme === -1) return undefined;
    start = target.indexOf('/', scheme + 3);
    if (start === -1) return '/';
  }
  const query = target.indexOf('?', start);
  return query === -1 ? (start === 0 ? target : target.slice(start)) : target.slice(start, query);
}

/**
 * Routes found by path and method, per root router (remembered-routes.ts): matching a path against the
 * router stack runs every layer's matcher until one fits (a few µs in a small app). The memory also starts
 * over when the root stack changes length and every MEMO_LIFETIME_MS, so a route added while the
 * application runs is found within that time.
 */
interface RouteMemo {
  readonly routes: RememberedRoutes<ExpressRouter>;
  stackLength: number;
  since: number;
}

const MEMO_LIFETIME_MS = 10_000;

const memos = new WeakMap<ExpressRouter, RouteMemo>();

/** The route from the root: ROUTE_UNMATCHED when no route matches, undefined when that cannot be told. */
function findFromRoot(path: string, method: string, root: ExpressRouter): string | undefined {
  const found = findRoute(root.stack, path, method, '', 0);
  return found === null ? undefined : (found ?? ROUTE_UNMATCHED);
}

function memoOf(root: ExpressRouter): RouteMemo {
  const now = Date.now();
  let memo = memos.get(root);
  if (memo === undefined) {
    memo = { routes: new RememberedRoutes(findFromRoot), stackLength: root.stack.length, since: now };
    memos.set(root, memo);
  } else if (memo.stackLength !== root.stack.length || now - memo.since >= MEMO_LIFETIME_MS) {
    memo.routes.clear();
    memo.stackLength = root.stack.length;
    memo.since = now;
  }
  return memo;
}

/** findRoute from the root, remembered by path and method. */
function rememberedRoute(root: ExpressRouter, path: string, method: string): string | undefined {
  return memoOf(root).routes.route(path, method, root);
}

/**
 * The Express route template for a request whose response is complete: for a preflight (`askedMethod` set)
 * the route of the method it asks for, otherwise the route that served it or would have served it.
 * ROUTE_UNMATCHED when no Express route matches, undefined when that cannot be told (not Express, Express 4's
 * preflights, the path of a sub-application or other middleware mounted at a path).
 */
export function expressRoute(
  request: IncomingMessage,
  target: string,
  askedMethod: string | undefined,
): string | undefined {
  const req = request as IncomingMessage & ExpressRequest;
  const root = rootRouter(req.app);
  const path = targetPath(target);
  if (askedMethod === undefined) {
    const route = req.route;
    if (typeof route === 'object' && route !== null) {
      const template = root === undefined ? null : indexedTemplate(root, route);
      if (template !== null) return template;
      const found =
        root === undefined || path === undefined
          ? undefined
          : rememberedRoute(root, path, request.method ?? 'GET');
      if (found !== undefined && found !== ROUTE_UNMATCHED) return found;
      const base = typeof req.baseUrl === 'string' ? req.baseUrl : '';
      const routePath = (route as ExpressRoute).path;
      return typeof routePath === 'string' ? base + routePath : undefined;
    }
  }
  if (root === undefined || path === undefined) return undefined;
  return rememberedRoute(root, path, askedMethod ?? request.method ?? 'GET');
}
