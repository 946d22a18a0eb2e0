// Sends one request and returns the status and headers, nothing else: no redirect following (the browser
// logic decides about redirects), a deadline per request, repeated response headers kept as arrays so a
// doubled Access-Control-Allow-Origin is seen as the browser sees it.
import { Agent, errors, request } from 'undici';
import type { BrowserRequest } from './browser-request.js';
import { NetworkError, type NetworkErrorCode } from './cli-errors.js';

export type ResponseHeaderMap = Readonly<Record<string, string | readonly string[]>>;

export interface HttpResponse {
  readonly status: number;
  /** Lower-cased names in arrival order; a repeated field as an array of its values. */
  readonly headers: ResponseHeaderMap;
}

export interface HttpExchange {
  send(request: BrowserRequest): Promise<HttpResponse>;
  /** Closes the connections; the process can exit afterwards. */
  close(): Promise<void>;
}

export interface HttpExchangeOptions {
  /** From connecting to receiving the response headers. */
  readonly timeoutMs: number;
}

export function openHttpExchange(options: HttpExchangeOptions): HttpExchange {
  // An agent of its own, so closing it leaves no keep-alive socket holding the process open.
  const agent = new Agent();
  return {
    async send(outgoing) {
      const headers: string[] = [];
      for (const [name, value] of outgoing.headers) headers.push(name, value);
      let response;
      try {
        response = await request(outgoing.url, {
          method: outgoing.method,
          headers,
          dispatcher: agent,
          signal: AbortSignal.timeout(options.timeoutMs),
        });
      } catch (error) {
        throw toNetworkError(error, outgoing, options.timeoutMs);
      }
      // fetch() resolves once the headers are in and CORS is decided on them; the body is never needed, and
      // waiting for it would hang on streaming endpoints.
      // Destroying the body makes it emit the abort it was asked for; nothing else can arrive on it.
      response.body.on('error', ignoreAbort);
      response.body.destroy();
      const received: Record<string, string | readonly string[]> = {};
      for (const [name, value] of Object.entries(response.headers)) {
        if (value !== undefined) received[name] = value;
      }
      return { status: response.statusCode, headers: received };
    },
    close: () => agent.close(),
  };
}

function ignoreAbort(): void {
  // Intentionally empty: see send().
}

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  return typeof error.code === 'string' ? error.code : undefined;
}

const TLS_CODE = /^(?:CERT_|ERR_TLS_|ERR_SSL_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_|HOSTNAME_)/;

function toNetworkError(error: unknown, outgoing: BrowserRequest, timeoutMs: number): NetworkError {
  const code = errorCode(error);
  const detail = error instanceof Error ? error.message : String(error);
  const what = `${outgoing.method} ${outgoing.url}`;
  let kind: NetworkErrorCode;
  let message: string;
  if ((error instanceof Error && error.name === 'TimeoutError') || code === 'UND_ERR_CONNECT_TIMEOUT') {
    kind = 'timeout';
    message = `${what}: no response within ${timeoutMs} ms (raise it with --timeout <ms>)`;
  } else if (code === 'ECONNREFUSED') {
    kind = 'connection_refused';
    message = `${what}: connection refused; is the server running and listening on that port?`;
  } else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NONAME') {
    kind = 'host_not_found';
    message = `${what}: host ${new URL(outgoing.url).hostname} not found (DNS ${code})`;
  } else if (code !== undefined && TLS_CODE.test(code)) {
    kind = 'tls';
    message = `${what}: TLS failed (${code}): ${detail}`;
  } else if (error instanceof errors.HTTPParserError || code === 'UND_ERR_HEADERS_OVERFLOW') {
    kind = 'malformed_response';
    message = `${what}: the server's response is not valid HTTP/1.1 (${detail})`;
  } else if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') {
    kind = 'connection_reset';
    message = `${what}: the server closed the connection without a response`;
  } else {
    kind = 'network';
    message = `${what}: ${detail}${code === undefined ? '' : ` (${code})`}`;
  }
  return new NetworkError(kind, outgoing.url, message, { cause: error });
}
