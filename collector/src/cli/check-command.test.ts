// `corsight check` against real node:http servers with good and broken CORS set-ups: in-process through
// runCli for most behaviours, and the real executable (a child process) for the exit statuses end to end.
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { REASONS } from '@corsight/instrumentation';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from './program.js';

const PAGE = 'http://localhost:3000';

interface Seen {
  readonly method: string;
  readonly path: string;
  readonly origin: string | undefined;
  readonly requestHeaders: string | undefined;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

function startServer(routes: Record<string, Handler>): { server: Server; seen: Seen[] } {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://server').pathname;
    seen.push({
      method: req.method ?? '',
      path,
      origin: req.headers.origin,
      requestHeaders: req.headers['access-control-request-headers'],
    });
    const route = routes[path];
    if (route === undefined) res.writeHead(404).end();
    else route(req, res);
  });
  return { server, seen };
}

// Writes bytes Node's own server refuses to send: a latin-1 C1 CSI (U+009B) and the UTF-8 bytes of a bidi
// override, as a hostile server would.
const hostile = createTcpServer((socket) => {
  socket.once('data', () => {
    const head =
      'HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: \x9b2J\xe2\x80\xaeevil\r\nContent-Length: 0\r\n\r\n';
    socket.end(Buffer.from(head, 'latin1'));
  });
});

function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<string> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    });
  });
}

function stop(server: Server | ReturnType<typeof createTcpServer>): Promise<void> {
  if ('closeAllConnections' in server) server.closeAllConnections();
  return new Promise((resolve) => {
    server.close(() => {
      resolve();
    });
  });
}

function reflect(req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('Access-Control-Allow-Origin', req.headers.origin ?? '*');
  res.setHeader('Vary', 'Origin');
}

const ALLOWLIST = new Set([PAGE]);
let otherBase = '';

const api = startServer({
  // The textbook set-up: allowlisted origins reflected with credentials, a complete preflight answer.
  '/allowlisted': (req, res) => {
    res.setHeader('Vary', 'Origin');
    const origin = req.headers.origin;
    if (origin !== undefined && ALLOWLIST.has(origin)) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
    }
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, PUT, DELETE');
      res.setHeader('Access-Control-Allow-Headers', 'content-type, x-api-key');
      res.setHeader('Access-Control-Max-Age', '7200');
      res.writeHead(204).end();
      return;
    }
    res.setHeader('Content-Type', 'application/json');
    res.end('{"orders":[]}');
  },
  '/no-cors': (_req, res) => res.end('ok'),
  '/wildcard': (req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', '*');
      res.setHeader('Access-Control-Allow-Headers', '*');
      res.setHeader('Access-Control-Max-Age', '600');
      res.writeHead(204).end();
      return;
    }
    res.end('ok');
  },
  // A router that knows no OPTIONS route answers the preflight with a bare 404.
  '/preflight-404': (req, res) => {
    if (req.method === 'OPTIONS') {
      res.writeHead(404).end();
      return;
    }
    reflect(req, res);
    res.end('ok');
  },
  '/get-post-only': (req, res) => {
    reflect(req, res);
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
      res.setHeader('Access-Control-Max-Age', '600');
      res.writeHead(204).end();
      return;
    }
    res.end('changed');
  },
  '/content-type-only': (req, res) => {
    reflect(req, res);
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST, PUT');
      res.setHeader('Access-Control-Allow-Headers', 'content-type');
      res.writeHead(204).end();
      return;
    }
    res.end('ok');
  },
  '/duplicate-acao': (req, res) => {
    // A proxy and the app both add the header.
    res.setHeader('Access-Control-Allow-Origin', [req.headers.origin ?? '*', req.headers.origin ?? '*']);
    res.end('ok');
  },
  '/redirect-to-strict': (req, res) => {
    reflect(req, res);
    res.writeHead(302, { Location: `${otherBase}/strict` }).end();
  },
  '/redirect-to-wildcard': (req, res) => {
    reflect(req, res);
    res.writeHead(302, { Location: `${otherBase}/wildcard` }).end();
  },
  '/redirect-put': (req, res) => {
    reflect(req, res);
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'PUT');
      res.writeHead(204).end();
      return;
    }
    res.writeHead(307, { Location: `${otherBase}/put` }).end();
  },
  '/loop': (req, res) => {
    reflect(req, res);
    res.writeHead(302, { Location: '/loop' }).end();
  },
  '/silent': () => {
    // Never answers.
  },
});

const other = startServer({
  // Allows the page's origin only, so the `null` Origin after a cross-origin redirect fails.
  '/strict': (_req, res) => {
    res.setHeader('Access-Control-Allow-Origin', PAGE);
    res.end('ok');
  },
  '/wildcard': (_req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.end('ok');
  },
  '/put': (req, res) => {
    reflect(req, res);
    if (req.method === 'OPTIONS') res.setHeader('Access-Control-Allow-Methods', 'PUT');
    res.writeHead(req.method === 'OPTIONS' ? 204 : 200).end();
  },
});

let apiBase = '';
let hostileBase = '';
let closedPortUrl = '';

beforeAll(async () => {
  apiBase = await listen(api.server);
  otherBase = await listen(other.server);
  hostileBase = await listen(hostile);
  const closed = createServer();
  closedPortUrl = `${await listen(closed)}/orders`;
  await stop(closed);
});

afterAll(async () => {
  await Promise.all([stop(api.server), stop(other.server), stop(hostile)]);
});

beforeEach(() => {
  api.seen.length = 0;
  other.seen.length = 0;
});

interface Run {
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function corsight(...args: string[]): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const status = await runCli(args, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
  });
  return { status, stdout, stderr };
}

const MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('../..', import.meta.url));

/** The real executable, as `pnpm corsight` runs it (tsx on the sources). */
function corsightProcess(...args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@corsight/source', MAIN, ...args],
      {
        cwd: PACKAGE_DIR,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => {
      resolve({ status: status ?? -1, stdout, stderr });
    });
  });
}

describe('corsight check, in process', () => {
  it('allows an allowlisted origin with credentials after a preflight', async () => {
    const run = await corsight(
      'check',
      `${apiBase}/allowlisted`,
      '--origin',
      PAGE,
      '--method',
      'put',
      '--header',
      'Content-Type: application/json',
      '--credentials',
    );
    expect(run).toMatchObject({ status: 0, stderr: '' });
    expect(run.stdout).toContain('    > Access-Control-Request-Headers: content-type\n');
    expect(run.stdout).toContain('ALLOWED: the page can read the response.');
    expect(run.stdout).toContain('preflight: Chromium 7200 s, Firefox 7200 s, WebKit 600 s');
    expect(api.seen.map(({ method }) => method)).toEqual(['OPTIONS', 'PUT']);
  });

  it('blocks an origin that is not allowlisted', async () => {
    const run = await corsight('check', `${apiBase}/allowlisted`, '--origin', 'https://evil.example');
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('  missing_allow_origin: ');
  });

  it('blocks a server that sends no CORS headers at all', async () => {
    const run = await corsight('check', `${apiBase}/no-cors`, '--origin', PAGE);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('    < (no Access-Control-*, Vary or Location headers)');
    expect(run.stdout).toContain(`  missing_allow_origin: ${REASONS.missing_allow_origin.summary}`);
  });

  it('allows the wildcard without credentials and blocks it with --credentials', async () => {
    const anonymous = await corsight('check', `${apiBase}/wildcard`, '--origin', PAGE);
    expect(anonymous.status).toBe(0);
    const credentialed = await corsight('check', `${apiBase}/wildcard`, '--origin', PAGE, '--credentials');
    expect(credentialed.status).toBe(1);
    expect(credentialed.stdout).toContain(
      `  wildcard_origin_with_credentials: ${REASONS.wildcard_origin_with_credentials.summary}\n    value: *\n`,
    );
  });

  it('reports a preflight answered with 404 as Chromium does, and never sends the actual request', async () => {
    const run = await corsight('check', `${apiBase}/preflight-404`, '--origin', PAGE, '-X', 'DELETE');
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('    < 404 Not Found\n');
    expect(run.stdout).toContain(
      '= blocked (missing_allow_origin, preflight_status_not_ok, method_not_allowed)',
    );
    expect(run.stdout).toContain('BLOCKED at the preflight');
    expect(api.seen.map(({ method }) => method)).toEqual(['OPTIONS']);
  });

  it('blocks PUT when Access-Control-Allow-Methods does not list it', async () => {
    const run = await corsight('check', `${apiBase}/get-post-only`, '--origin', PAGE, '-X', 'PUT');
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('  method_not_allowed: ');
    expect(run.stdout).toContain('    value: PUT\n');
    expect(api.seen.map(({ method }) => method)).toEqual(['OPTIONS']);
  });

  it('sends lower-case patch as patch and names the case mismatch', async () => {
    const run = await corsight('check', `${apiBase}/get-post-only`, '--origin', PAGE, '-X', 'patch');
    expect(run.stdout).toContain('    > Access-Control-Request-Method: patch\n');
    expect(run.status).toBe(1);
  });

  it('blocks a custom header that Access-Control-Allow-Headers does not list', async () => {
    const run = await corsight(
      'check',
      `${apiBase}/content-type-only`,
      '--origin',
      PAGE,
      '-H',
      'X-Api-Key: secret',
      '-H',
      'Content-Type: application/json',
    );
    expect(run.status).toBe(1);
    expect(api.seen[0]).toMatchObject({ method: 'OPTIONS', requestHeaders: 'content-type,x-api-key' });
    expect(run.stdout).toContain('  header_not_allowed: ');
    expect(run.stdout).toContain('    value: x-api-key\n');
  });

  it('follows a cross-origin redirect with Origin: null and blocks where only the page origin is allowed', async () => {
    const run = await corsight('check', `${apiBase}/redirect-to-strict`, '--origin', PAGE);
    expect(run.status).toBe(1);
    expect(other.seen).toEqual([expect.objectContaining({ method: 'GET', path: '/strict', origin: 'null' })]);
    expect(run.stdout).toContain(
      `-> the browser follows the redirect to ${otherBase}/strict (cross-origin hop: Origin is null`,
    );
    expect(run.stdout).toContain('BLOCKED at the actual response after redirect 1');
    expect(run.stdout).toContain('  allow_origin_mismatch: ');
    expect(run.stdout).toContain('    hint (null_vs_origin): ');
  });

  it('allows a cross-origin redirect to a wildcard', async () => {
    const run = await corsight('check', `${apiBase}/redirect-to-wildcard`, '--origin', PAGE);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('redirect_taints_origin (request): ');
  });

  it('preflights again after a cross-origin redirect, with Origin: null', async () => {
    const run = await corsight('check', `${apiBase}/redirect-put`, '--origin', PAGE, '-X', 'PUT');
    expect(run.status).toBe(0);
    expect(api.seen.map(({ method }) => method)).toEqual(['OPTIONS', 'PUT']);
    expect(other.seen.map(({ method, origin }) => [method, origin])).toEqual([
      ['OPTIONS', 'null'],
      ['PUT', 'null'],
    ]);
  });

  it('gives up after 20 redirects', async () => {
    const run = await corsight('check', `${apiBase}/loop`, '--origin', PAGE);
    expect(run.status).toBe(1);
    expect(api.seen).toHaveLength(21);
    expect(run.stdout).toContain('  too_many_redirects: ');
  });

  it('fails a doubled Access-Control-Allow-Origin even when both values match', async () => {
    const run = await corsight('check', `${apiBase}/duplicate-acao`, '--origin', PAGE);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      `    < access-control-allow-origin: ${PAGE}\n    < access-control-allow-origin: ${PAGE}\n`,
    );
    expect(run.stdout).toContain(
      `  multiple_allow_origin: ${REASONS.multiple_allow_origin.summary}\n    value: ${PAGE}, ${PAGE}\n`,
    );
  });

  it('treats the API origin itself as same-origin', async () => {
    const run = await corsight('check', `${apiBase}/no-cors`, '--origin', apiBase, '-X', 'PUT');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('ALLOWED: a same-origin request; no CORS check applies.');
  });

  it('prints control characters from a hostile server as inert text', async () => {
    const run = await corsight('check', `${hostileBase}/`, '--origin', PAGE);
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('    < access-control-allow-origin: \\x9b2J\u00e2\\x80\u00aeevil\n');
    expect(run.stdout).not.toMatch(/\u009b|\u0080/);
  });

  it('times out on a server that never answers, naming the URL', async () => {
    const run = await corsight('check', `${apiBase}/silent`, '--origin', PAGE, '--timeout', '200');
    expect(run).toMatchObject({ status: 2, stdout: '' });
    expect(run.stderr).toBe(
      `corsight check: GET ${apiBase}/silent: no response within 200 ms (raise it with --timeout <ms>)\n`,
    );
  });

  it('answers a usage error with JSON too when --json is given', async () => {
    const run = await corsight('check', `${apiBase}/no-cors`, '--origin', 'localhost:3000', '--json');
    expect(run.status).toBe(2);
    expect(JSON.parse(run.stdout)).toMatchObject({ error: { kind: 'usage', code: 'invalid_origin' } });
  });

  it.each([
    [['check', 'not a url', '--origin', PAGE], /<url> must be an absolute http\(s\) URL/],
    [['check', 'http://127.0.0.1:1/', '--origin', PAGE, '-H', 'X-A'], /--header takes "Name: value"/],
    [['check', 'http://127.0.0.1:1/', '--origin', PAGE, '--bogus'], /unknown option '--bogus'/],
    [['check'], /missing required argument 'url'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ])('exits 2 on the usage error in %j', async (args, message) => {
    const run = await corsight(...args);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    // The hint names the command that was run.
    expect(run.stderr).not.toContain('<command>');
  });

  it('answers a parser-level usage error with JSON too when --json is given', async () => {
    const run = await corsight('check', 'http://127.0.0.1:1/', '--origin', PAGE, '--json', '--bogus');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("run 'corsight check --help'");
    expect(JSON.parse(run.stdout)).toMatchObject({
      error: { kind: 'usage', message: "unknown option '--bogus'" },
    });
  });

  it('exits 0 for --help', async () => {
    const run = await corsight('check', '--help');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Usage: corsight check [options] <url>');
  });
});

// Each test starts `corsight` as its own process through tsx: seconds each on a loaded 2-core machine.
describe('corsight check, the real executable', { timeout: 30_000 }, () => {
  it('exits 0 and prints the exchange for an allowed request', async () => {
    const run = await corsightProcess('check', `${apiBase}/allowlisted`, '--origin', PAGE);
    expect(run).toMatchObject({ status: 0, stderr: '' });
    expect(run.stdout).toContain(`[1] Request: GET ${apiBase}/allowlisted\n    > Origin: ${PAGE}\n`);
    expect(run.stdout).toContain(`    < access-control-allow-origin: ${PAGE}\n`);
    expect(run.stdout).toContain('ALLOWED: the page can read the response.');
  });

  it('exits 1 when the preflight fails', async () => {
    const run = await corsightProcess(
      'check',
      `${apiBase}/get-post-only`,
      '--origin',
      PAGE,
      '--method',
      'PUT',
    );
    expect(run.status).toBe(1);
    expect(run.stdout).toContain('BLOCKED at the preflight');
    expect(run.stdout).toContain(`[2] Request: PUT ${apiBase}/get-post-only\n    not sent: `);
  });

  it('prints JSON with --json', async () => {
    const run = await corsightProcess('check', `${apiBase}/duplicate-acao`, '--origin', PAGE, '--json');
    expect(run.status).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      outcome: 'blocked',
      exitStatus: 1,
      stoppedAt: 'actual',
      reasons: [{ code: 'multiple_allow_origin', failedValue: `${PAGE}, ${PAGE}` }],
    });
  });

  it('exits 2 with the expected form when --origin is missing', async () => {
    const run = await corsightProcess('check', `${apiBase}/allowlisted`);
    expect(run).toMatchObject({ status: 2, stdout: '' });
    expect(run.stderr).toContain(
      '--origin is required: the page origin as a browser sends it, e.g. --origin https://app.example.com',
    );
  });

  it('exits 2 naming the URL when the connection is refused', async () => {
    const run = await corsightProcess('check', closedPortUrl, '--origin', PAGE);
    expect(run).toMatchObject({ status: 2, stdout: '' });
    expect(run.stderr).toBe(
      `corsight check: GET ${closedPortUrl}: connection refused; is the server running and listening on that port?\n`,
    );
  });
});
