import { describe, expect, it } from 'vitest';
import {
  MAX_REMEMBERED_METHODS,
  MAX_REMEMBERED_PATH_LENGTH,
  MAX_REMEMBERED_PATHS,
  RememberedRoutes,
} from './remembered-routes.js';

/** A memory whose lookups are counted, each answering `${method} ${path}` (none for /missing). */
function counted(): { routes: RememberedRoutes<string>; lookups: string[] } {
  const lookups: string[] = [];
  const routes = new RememberedRoutes<string>((path, method, context) => {
    lookups.push(`${context}:${method} ${path}`);
    return path === '/missing' ? undefined : `${method} ${path}`;
  });
  return { routes, lookups };
}

describe('RememberedRoutes', () => {
  it('looks a path and method up once, an unmatched one too', () => {
    const { routes, lookups } = counted();
    expect(routes.route('/orders/1', 'PUT', 'a')).toBe('PUT /orders/1');
    expect(routes.route('/orders/1', 'PUT', 'b')).toBe('PUT /orders/1');
    expect(routes.route('/orders/1', 'DELETE', 'c')).toBe('DELETE /orders/1');
    expect(routes.route('/missing', 'GET', 'd')).toBeUndefined();
    expect(routes.route('/missing', 'GET', 'e')).toBeUndefined();
    expect(lookups).toEqual(['a:PUT /orders/1', 'c:DELETE /orders/1', 'd:GET /missing']);
  });

  it('never remembers an over-long path, nor more methods per path than its bound', () => {
    const { routes, lookups } = counted();
    const long = `/${'x'.repeat(MAX_REMEMBERED_PATH_LENGTH)}`;
    routes.route(long, 'GET', '');
    routes.route(long, 'GET', '');
    expect(lookups).toHaveLength(2);
    expect(routes.size).toBe(0);
    const methods = Array.from({ length: MAX_REMEMBERED_METHODS + 1 }, (_, i) => `M${String(i)}`);
    for (const method of [...methods, ...methods]) routes.route('/p', method, '');
    // The first MAX_REMEMBERED_METHODS are found again; the last one is looked up both times.
    expect(lookups).toHaveLength(2 + MAX_REMEMBERED_METHODS + 2);
  });

  it('starts over when a new path would pass its bound, and on clear()', () => {
    const { routes, lookups } = counted();
    for (let i = 0; i < MAX_REMEMBERED_PATHS; i++) routes.route(`/p${String(i)}`, 'GET', '');
    expect(routes.size).toBe(MAX_REMEMBERED_PATHS);
    routes.route('/one-more', 'GET', '');
    expect(routes.size).toBe(1);
    routes.route('/p0', 'GET', '');
    expect(lookups.at(-1)).toBe(':GET /p0');
    routes.clear();
    expect(routes.size).toBe(0);
  });
});
