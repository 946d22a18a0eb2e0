// Route templates remembered by request path, then method, for the Fastify plugin and the Node middleware:
// clients ask for the same few paths again and again (browsers preflight each one whenever its cache entry
// expires), and finding a route (Fastify's router, a walk of Express's stack) costs a microsecond or more.
// Keyed by the path alone, a lookup hashes the string the HTTP parser made, where a `${method} ${path}` key
// cost a concatenation, its flattening and its hash (~0.35 µs more, measured in the Fastify app bench).
// Path and method are the client's, so both are bounded and the memory starts over when full.

/** At most this many paths; the memory starts over when a new one would exceed it. */
export const MAX_REMEMBERED_PATHS = 1024;
/** Longer paths are looked up every time, never remembered. */
export const MAX_REMEMBERED_PATH_LENGTH = 256;
/** Methods remembered per path; further ones are looked up every time. */
export const MAX_REMEMBERED_METHODS = 8;

/**
 * The route of one method asked for on a path, then those of the path's other methods: usually one or two, so
 * a lookup reads one small object after the map's entry (parallel arrays of methods and routes, with their
 * backing stores, were two more objects to fetch per request).
 */
interface MethodRoute {
  readonly method: string;
  readonly route: string | undefined;
  next: MethodRoute | undefined;
}

/** How a route is found when it is not remembered; `context` spares the caller a closure per lookup. */
export type FindRoute<C> = (path: string, method: string, context: C) => string | undefined;

export class RememberedRoutes<C> {
  readonly #byPath = new Map<string, MethodRoute>();
  readonly #find: FindRoute<C>;

  constructor(find: FindRoute<C>) {
    this.#find = find;
  }

  /** The route template of `method` on `path` (undefined: no route matches), remembered when bounds allow. */
  route(path: string, method: string, context: C): string | undefined {
    if (path.length > MAX_REMEMBERED_PATH_LENGTH) return this.#find(path, method, context);
    const first = this.#byPath.get(path);
    let last = first;
    let methods = 0;
    for (let known = first; known !== undefined; known = known.next) {
      if (known.method === method) return known.route;
      last = known;
      methods++;
    }
    const route = this.#find(path, method, context);
    if (last === undefined) {
      if (this.#byPath.size >= MAX_REMEMBERED_PATHS) this.#byPath.clear();
      this.#byPath.set(path, { method, route, next: undefined });
    } else if (methods < MAX_REMEMBERED_METHODS) {
      last.next = { method, route, next: undefined };
    }
    return route;
  }

  /** Forgets everything (routes changed). */
  clear(): void {
    this.#byPath.clear();
  }

  get size(): number {
    return this.#byPath.size;
  }
}
