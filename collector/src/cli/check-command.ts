// `corsight check`: walk a page's fetch() the way a browser does — preflight when needed, the actual request,
// each redirect hop with its own preflight — judging every response with the verdict engine, and stop where
// the browser would stop.
import { type CorsOptions, evaluateCors } from '@corsight/instrumentation';
import {
  type BrowserRequest,
  buildActualRequest,
  buildPreflight,
  decidePreflight,
  type PageFetch,
  toCorsRequest,
  urlOrigin,
} from './browser-request.js';
import { decideRedirect } from './browser-redirect.js';
import { formatCheckJson, formatCheckReport } from './check-report.js';
import type { CheckOptions } from './check-options.js';
import {
  type CheckHop,
  type CheckResult,
  exitStatus,
  type JudgedExchange,
  knownOutcome,
} from './check-result.js';
import { type HttpResponse, openHttpExchange } from './http-exchange.js';

export type SendRequest = (request: BrowserRequest) => Promise<HttpResponse>;

async function judge(
  request: BrowserRequest,
  send: SendRequest,
  options: CorsOptions,
): Promise<JudgedExchange> {
  const response = await send(request);
  const verdict = evaluateCors(toCorsRequest(request), response, options);
  return { request, response, verdict };
}

/** Follows the fetch through its redirects; rejects with a NetworkError when a server does not answer. */
export async function runCheck(fetch: PageFetch, send: SendRequest): Promise<CheckResult> {
  const hops: CheckHop[] = [];
  let current = fetch;
  for (let redirects = 0; ; redirects++) {
    const actualRequest = buildActualRequest(current);
    const need = decidePreflight(current, actualRequest);
    // The server's own origin makes a request same-origin; at every hop that is the current URL's origin.
    const options: CorsOptions = { credentials: current.credentials, serverOrigin: urlOrigin(current.url) };

    let preflight: JudgedExchange | undefined;
    if (need.needed) {
      preflight = await judge(buildPreflight(current, need), send, options);
      if (knownOutcome(preflight.verdict.outcome) === 'blocked') {
        hops.push({ fetch: current, need, preflight });
        return { fetch, hops, outcome: 'blocked', stoppedAt: 'preflight' };
      }
    }
    const actual = await judge(actualRequest, send, options);
    const hop: CheckHop = { fetch: current, need, ...(preflight === undefined ? {} : { preflight }), actual };
    if (knownOutcome(actual.verdict.outcome) === 'blocked') {
      hops.push(hop);
      return { fetch, hops, outcome: 'blocked', stoppedAt: 'actual' };
    }

    const redirect = decideRedirect(
      current,
      actual.response.status,
      actual.response.headers['location'],
      redirects,
    );
    switch (redirect.kind) {
      case 'final':
        hops.push(hop);
        return { fetch, hops, outcome: 'allowed' };
      case 'failed':
        hops.push({ ...hop, redirect });
        return { fetch, hops, outcome: 'blocked', stoppedAt: 'redirect' };
      case 'follow':
        hops.push({ ...hop, redirect });
        current = redirect.next;
        break;
    }
  }
}

/** Runs the check over the network and prints the result; resolves to the exit status. */
export async function checkCommand(options: CheckOptions, write: (text: string) => void): Promise<number> {
  const exchange = openHttpExchange({ timeoutMs: options.timeoutMs });
  try {
    const result = await runCheck(options.fetch, (request) => exchange.send(request));
    write(options.json ? formatCheckJson(result) : formatCheckReport(result));
    return exitStatus(result.outcome);
  } finally {
    await exchange.close();
  }
}
