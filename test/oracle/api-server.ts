// The oracle's HTTP servers on 127.0.0.1: the page (served as http://localhost:<port>, so page and API are
// different sites), the API, and a second API origin for cross-origin redirect targets. The API answers each
// scenario URL with exactly the status and header list the scenario gives, duplicates included, and records
// every request as Node's HTTP server saw it together with what it sent back.
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { PAGE_HTML } from './page-script.ts';
import type { HeaderList, ResponseSpec, Route, Scenario, ServerName } from './scenario-model.ts';

export interface RecordedExchange {
  /** Arrival order over all servers. */
  readonly seq: number;
  /** performance.now() at arrival. */
  readonly at: number;
  readonly scenarioId: string;
  readonly server: ServerName;
  readonly serverOrigin: string;
  /** Route path after `/s/<id>` ('' for the scenario's main URL). */
  readonly routePath: string;
  /** OPTIONS with Access-Control-Request-Method. */
  readonly preflight: boolean;
  readonly request: { readonly method: string; readonly url: string; readonly headers: IncomingHttpHeaders };
  readonly response: { readonly status: number; readonly headers: HeaderList };
}

export interface OracleServers {
  /** http://localhost:<port>: the page's origin O. */
  readonly pageOrigin: string;
  readonly apiOrigin: string;
  readonly targetOrigin: string;
  /** An API URL that sets a SameSite=None cookie, visited first so credentialed requests can carry it. */
  readonly cookieUrl: string;
  readonly exchanges: readonly RecordedExchange[];
  scenarioUrl(id: string): string;
  close(): Promise<void>;
}

/** Wraps the API servers' request handler, e.g. with Corsight's middleware. */
export type HandlerWrapper = (
  handler: (req: IncomingMessage, res: ServerResponse) => void,
) => (req: IncomingMessage, res: ServerResponse) => void;

export interface OracleServerOptions {
  readonly wrapApi?: HandlerWrapper | undefined;
}

// Which recorded exchange a request became, for whoever observes the servers from outside (the middleware).
const exchangeSeqs = new WeakMap<IncomingMessage, number>();

/** The `seq` of the exchange recorded for this request, once the API has answered it. */
export function exchangeSeqOf(request: IncomingMessage): number | undefined {
  return exchangeSeqs.get(request);
}

const SCENARIO_PATH = /^\/s\/([^/?]+)([^?]*)/;
const PLACEHOLDER = /\{([A-Z_]+)\}/g;
/** 1×1 transparent GIF: a body every consumer accepts, including <img>. */
const BODY = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

interface RouteState {
  readonly route: Route;
  preflights: number;
  actuals: number;
}

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<Server> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve();
    });
  });
  return server;
}

function portOf(server: Server): number {
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}

function nth<T>(items: readonly T[] | undefined, index: number): T | undefined {
  if (items === undefined || items.length === 0) return undefined;
  return items[Math.min(index, items.length - 1)];
}

/** Starts the three servers; each scenario's routes are answered from its own URLs. */
export async function startOracleServers(
  scenarios: readonly Scenario[],
  options: OracleServerOptions = {},
): Promise<OracleServers> {
  const wrap: HandlerWrapper = options.wrapApi ?? ((handler) => handler);
  const exchanges: RecordedExchange[] = [];
  const routes = new Map<string, RouteState>();
  for (const s of scenarios) {
    for (const route of s.routes) {
      routes.set(`${route.server} /s/${s.id}${route.path}`, { route, preflights: 0, actuals: 0 });
    }
  }

  const page = await listen((_req, res) => {
    res.writeHead(200, ['Content-Type', 'text/html; charset=utf-8', 'Cache-Control', 'no-store']);
    res.end(PAGE_HTML);
  });
  const pageOrigin = `http://localhost:${portOf(page)}`;
  const api = await listen(
    wrap((req, res) => {
      answer('api', req, res);
    }),
  );
  const apiOrigin = `http://127.0.0.1:${portOf(api)}`;
  const target = await listen(
    wrap((req, res) => {
      answer('target', req, res);
    }),
  );
  const targetOrigin = `http://127.0.0.1:${portOf(target)}`;
  const origins: Record<ServerName, string> = { api: apiOrigin, target: targetOrigin };

  function fill(value: string, scenarioId: string, headers: IncomingHttpHeaders): string | undefined {
    const missing: string[] = [];
    const filled = value.replace(PLACEHOLDER, (whole, key: string) => {
      let replacement: string | undefined;
      switch (key) {
        case 'O':
          replacement = pageOrigin;
          break;
        case 'PAGE_PORT':
          replacement = new URL(pageOrigin).port;
          break;
        case 'API':
          replacement = apiOrigin;
          break;
        case 'TARGET':
          replacement = targetOrigin;
          break;
        case 'TARGET_HOST':
          replacement = new URL(targetOrigin).host;
          break;
        case 'TARGET_PORT':
          replacement = new URL(targetOrigin).port;
          break;
        case 'ID':
          replacement = scenarioId;
          break;
        case 'ORIGIN':
          replacement = headerValue(headers, 'origin');
          break;
        case 'ACRM':
          replacement = headerValue(headers, 'access-control-request-method');
          break;
        case 'ACRH':
          replacement = headerValue(headers, 'access-control-request-headers');
          break;
        default:
          throw new Error(`unknown placeholder ${whole} in a scenario header value`);
      }
      if (replacement === undefined) missing.push(key);
      return replacement ?? '';
    });
    return missing.length > 0 ? undefined : filled;
  }

  function answer(server: ServerName, req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    const headers = req.headers;
    const at = performance.now();
    if (url === '/set-cookie') {
      res.writeHead(200, [
        'Set-Cookie',
        'c=1; SameSite=None; Secure; Path=/',
        'Content-Type',
        'text/html; charset=utf-8',
        'Cache-Control',
        'no-store',
      ]);
      res.end('<!doctype html><title>cookie set</title>');
      return;
    }
    const match = SCENARIO_PATH.exec(url);
    if (match === null) {
      res.writeHead(404, []);
      res.end();
      return;
    }
    const scenarioId = match[1] ?? '';
    const routePath = match[2] ?? '';
    const preflight = method === 'OPTIONS' && headers['access-control-request-method'] !== undefined;
    const state = routes.get(`${server} /s/${scenarioId}${routePath}`);
    let spec: ResponseSpec | undefined;
    if (state !== undefined) {
      spec = preflight
        ? nth(state.route.preflight, state.preflights++)
        : nth(state.route.actual, state.actuals++);
    }
    const status = spec?.status ?? 404;
    const sent: (readonly [string, string])[] = [];
    for (const [name, value] of spec?.headers ?? []) {
      const filled = fill(value, scenarioId, headers);
      if (filled !== undefined) sent.push([name, filled]);
    }
    exchangeSeqs.set(req, exchanges.length);
    exchanges.push({
      seq: exchanges.length,
      at,
      scenarioId,
      server,
      serverOrigin: origins[server],
      routePath,
      preflight,
      request: { method, url, headers },
      response: { status, headers: sent },
    });
    const hasBody = !preflight && method !== 'HEAD' && status !== 204 && status !== 304;
    const body = hasBody ? BODY : Buffer.alloc(0);
    // 204 and 304 carry no Content-Length (RFC 9110 §8.6).
    const length = status === 204 || status === 304 ? [] : ['Content-Length', String(body.length)];
    // Read the request body before answering so keep-alive connections stay usable.
    req.resume();
    req.on('end', () => {
      // Through setHeader (repeated names as one array: one header line per value), not writeHead's list:
      // OpenTelemetry's HTTP instrumentation, which the collector's HTTP-span path is tested with, reads the
      // response headers back with getHeader(), which does not see headers passed only to writeHead().
      const byName = new Map<string, { name: string; values: string[] }>();
      for (const [name, value] of [...sent, ...(length.length === 0 ? [] : [length as [string, string]])]) {
        const key = name.toLowerCase();
        const entry = byName.get(key);
        if (entry === undefined) byName.set(key, { name, values: [value] });
        else entry.values.push(value);
      }
      for (const { name, values } of byName.values()) {
        res.setHeader(name, values.length === 1 ? (values[0] as string) : values);
      }
      // Not recorded as sent: the head carries no line for them.
      for (const name of spec?.emptyArrays ?? []) res.setHeader(name, []);
      res.writeHead(status);
      res.end(body);
    });
  }

  return {
    pageOrigin,
    apiOrigin,
    targetOrigin,
    cookieUrl: `${apiOrigin}/set-cookie`,
    exchanges,
    scenarioUrl: (id) => `${apiOrigin}/s/${id}`,
    close: async () => {
      await Promise.all([closeServer(page), closeServer(api), closeServer(target)]);
    },
  };
}
