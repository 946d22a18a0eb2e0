// The route a preflight belongs to: the route of the method it asks for (Access-Control-Request-Method) at
// the path it was sent to (DESIGN.md §3), whatever answered it (@fastify/cors's `OPTIONS *` route, an
// OPTIONS route of the app, or the 404 handler).
//
// Fastify 5's findRoute runs the real router (constraints aside) but answers with the params only: it drops
// find-my-way's store, which holds the template. So the templates come from the onRoute hook, grouped by
// method and parameter names; findRoute decides whether the path matches, its params' names pick the group,
// and a loose pattern per template chooses within a group (`/orders/:id` and `/users/:id` share `id`).

/** A route template as find-my-way reads it: its parameter names and a pattern for telling it apart. */
interface Template {
  readonly url: string;
  /** Parameter names sorted, joined by "/" (which no name contains): the group key. */
  readonly signature: string;
  /** Characters of the template outside parameters: the most specific template wins a tie, as in the router. */
  readonly staticLength: number;
  /**
   * Each segment's rank in the router's order (find-my-way tries static segments, then parameters with a
   * regexp, then plain parameters, then a wildcard): of two templates matching a path, the router takes the
   * one that ranks first at the first segment where they differ.
   */
  readonly ranks: readonly number[];
  /** Matches the paths the template can match, and some it cannot: it only has to tell a group apart. */
  readonly pattern: RegExp;
  /** Parameters with a regexp, tested as the router tests them: on the decoded value, case-sensitively. */
  readonly constraints: readonly { readonly name: string; readonly regexp: RegExp }[];
}

const SPECIAL = /[.*+?^${}()|[\]\\]/g;

function escaped(text: string): string {
  return text.replace(SPECIAL, '\\$&');
}

/** Closing parenthesis of the regexp that starts at `open`, skipping escaped characters (as find-my-way). */
function closingParenthesis(url: string, open: number): number {
  let depth = 0;
  for (let i = open; i < url.length; i++) {
    const char = url[i];
    if (char === '\\') i++;
    else if (char === '(') depth++;
    else if (char === ')' && --depth === 0) return i;
  }
  return url.length - 1;
}

/**
 * Reads a template with find-my-way's syntax: `:name`, `:name(regexp)`, several parameters in one segment
 * separated by `-` or `.`, a final `*`, and `::` for a literal colon.
 */
export function parseTemplate(url: string): Template {
  const names: string[] = [];
  const constraints: { name: string; regexp: RegExp }[] = [];
  let source = '';
  let staticLength = 0;
  for (let i = 0; i < url.length; i++) {
    const char = url[i] ?? '';
    if (char === ':' && url[i + 1] === ':') {
      source += ':';
      staticLength++;
      i++;
    } else if (char === ':') {
      let end = i + 1;
      while (end < url.length && !'(-./'.includes(url[end] ?? '')) end++;
      const name = url.slice(i + 1, end);
      names.push(name);
      if (url[end] === '(') {
        const close = closingParenthesis(url, end);
        const regexp = constraintOf(url.slice(end + 1, close));
        if (regexp !== undefined) constraints.push({ name, regexp });
        end = close + 1;
      }
      source += '[^/]*?';
      i = end - 1;
    } else if (char === '*') {
      names.push('*');
      source += '.*';
    } else {
      source += escaped(char);
      staticLength++;
    }
  }
  // Trailing slashes and letter case follow router options this table does not know: accept either.
  return {
    url,
    signature: names.sort().join('/'),
    staticLength,
    ranks: url.split('/').map(segmentRank),
    pattern: new RegExp(`^${source}/?$`, 'i'),
    constraints,
  };
}

/** A parameter's regexp as find-my-way applies it to the whole value; undefined when JavaScript cannot read it. */
function constraintOf(text: string): RegExp | undefined {
  try {
    return new RegExp(`^(?:${text.replace(/^\^/, '').replace(/\$$/, '')})$`);
  } catch {
    return undefined;
  }
}

function admits(template: Template, path: string, params: Readonly<Record<string, unknown>>): boolean {
  if (!template.pattern.test(path)) return false;
  for (const { name, regexp } of template.constraints) {
    const value = params[name];
    if (typeof value !== 'string' || !regexp.test(value)) return false;
  }
  return true;
}

function segmentRank(segment: string): number {
  if (segment.includes('*')) return 3;
  const parameter = segment.replaceAll('::', '').indexOf(':');
  if (parameter === -1) return 0;
  return segment.includes('(') ? 1 : 2;
}

/** Negative when the router tries `a` before `b` (see Template.ranks), then the more static one first. */
function routerOrder(a: Template, b: Template): number {
  const length = Math.min(a.ranks.length, b.ranks.length);
  for (let i = 0; i < length; i++) {
    const difference = (a.ranks[i] ?? 0) - (b.ranks[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return b.staticLength - a.staticLength;
}

/** The path part of a request URL, as the router matched it. */
function pathOf(url: string): string {
  const query = url.indexOf('?');
  const path = query === -1 ? url : url.slice(0, query);
  return path.includes('//') ? path.replace(/\/{2,}/g, '/') : path;
}

// Static templates are looked up by their text without a trailing slash, then in lower case: whether case
// and trailing slashes matter is the router's option, and findRoute has already matched the path.
function withoutTrailingSlash(path: string): string {
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

interface MethodRoutes {
  /** Templates without parameters, looked up, not scanned: an app may have hundreds. */
  readonly statics: Map<string, string>;
  /** Templates with parameters by signature, in the order the router tries them. */
  readonly groups: Map<string, Template[]>;
}

function staticRoute(routes: MethodRoutes, path: string): string | undefined {
  const exact = withoutTrailingSlash(path);
  return routes.statics.get(exact) ?? routes.statics.get(exact.toLowerCase());
}

export class RouteTemplates {
  readonly #byMethod = new Map<string, MethodRoutes>();

  /** Records a route (from onRoute); `method` may be a list, as `app.route({ method: [...] })` allows. */
  add(method: string | readonly string[], url: string): void {
    const template = parseTemplate(url);
    for (const name of typeof method === 'string' ? [method] : method) {
      const upper = name.toUpperCase();
      let routes = this.#byMethod.get(upper);
      if (routes === undefined) {
        routes = { statics: new Map(), groups: new Map() };
        this.#byMethod.set(upper, routes);
      }
      if (template.signature === '') {
        const exact = withoutTrailingSlash(url);
        const lower = exact.toLowerCase();
        routes.statics.set(exact, url);
        if (!routes.statics.has(lower)) routes.statics.set(lower, url);
        continue;
      }
      const group = routes.groups.get(template.signature);
      if (group === undefined) routes.groups.set(template.signature, [template]);
      else if (!group.some((known) => known.url === url)) {
        group.push(template);
        group.sort(routerOrder);
      }
    }
  }

  /**
   * The template of the route the router matched for `method` at `url`, given the names of the params it
   * extracted (reordered here); undefined when this table never saw that route (it was added before the
   * onRoute hook that feeds the table). A lone candidate is checked too: it may not be the route matched.
   */
  resolve(method: string, url: string, params: Readonly<Record<string, unknown>>): string | undefined {
    const routes = this.#byMethod.get(method.toUpperCase());
    if (routes === undefined) return undefined;
    const paramNames = Object.keys(params);
    const signature = paramNames.length < 2 ? (paramNames[0] ?? '') : paramNames.sort().join('/');
    const path = pathOf(url);
    if (signature === '') {
      const found = staticRoute(routes, path);
      // A router with useSemicolonDelimiter matched the path before the `;`.
      const semicolon = path.indexOf(';');
      return found ?? (semicolon === -1 ? undefined : staticRoute(routes, path.slice(0, semicolon)));
    }
    const group = routes.groups.get(signature);
    if (group === undefined) return undefined;
    for (const template of group) if (admits(template, path, params)) return template.url;
    return undefined;
  }
}
