// Holds evaluateCors up against what Chromium did: every exchange the server recorded is judged twice, once
// with the page's real credentials mode (a) and once without it, as the server sees it (b); the browser's
// verdict comes from the page and Chromium's CorsError. Also checks Chromium against the reference's
// documented expectation.
import {
  type CorsVerdict,
  evaluateCors,
  REASON_CODES,
  REASONS,
  type ReasonCode,
  type ReasonInfo,
  type ResponseHeaders,
} from '@corsight/instrumentation';
import type { RecordedExchange } from './api-server.ts';
import type { RequestRun, ScenarioRun } from './browser-runner.ts';
import {
  type BlockedPhase,
  credentialsModeOf,
  expectedPreflights,
  type HeaderList,
} from './scenario-model.ts';

/** What Chromium decided about one page request. */
export interface BrowserVerdict {
  readonly outcome: 'allowed' | 'blocked';
  readonly phase?: BlockedPhase;
  /** The reason code Chromium's CorsError maps to; undefined when it reported none we know. */
  readonly reason?: ReasonCode;
  readonly corsError?: string;
  readonly failedParameter?: string;
  readonly errorText?: string;
}

/** What evaluateCors decided about one page request, from the exchanges it caused. */
export interface EngineVerdict {
  readonly outcome: CorsVerdict['outcome'];
  readonly phase?: BlockedPhase;
  readonly reason?: ReasonCode;
  readonly failedValue?: string;
  /** Index into the request's exchanges of the deciding exchange. */
  readonly exchange?: number;
  /** All the engine's reasons for that exchange. */
  readonly reasons?: readonly ReasonCode[];
}

export interface JudgedExchange {
  readonly exchange: RecordedExchange;
  /** (a): with the page's credentials mode. */
  readonly known: CorsVerdict;
  /** (b): without it. */
  readonly unknown: CorsVerdict;
  /** What Corsight's middleware in front of the API emitted for the exchange (absent: no span, not CORS). */
  readonly middleware: CorsVerdict | undefined;
  /** The collector's verdict on the exchange's plain OpenTelemetry HTTP server span (absent: no row). */
  readonly httpSpan: CorsVerdict | undefined;
}

export interface RequestReport {
  readonly run: RequestRun;
  readonly credentials: 'include' | 'omit';
  readonly browser: BrowserVerdict;
  readonly known: EngineVerdict;
  readonly unknown: EngineVerdict;
  /** The middleware's spans, judged like (b); undefined when the run had no middleware. */
  readonly middleware: EngineVerdict | undefined;
  /** The collector's verdicts on HTTP server spans, judged like (b); undefined when the run had none. */
  readonly httpSpan: EngineVerdict | undefined;
  readonly judged: readonly JudgedExchange[];
  /** A Cookie header reached the server on this request's actual exchange. */
  readonly cookieSent: boolean;
}

export interface ScenarioReport {
  readonly run: ScenarioRun;
  readonly requests: readonly RequestReport[];
  readonly preflights: number;
  /** What the reference expects of the Chromium release that ran it. */
  readonly expectedPreflights: number;
  /** Engine vs Chromium. Empty when they agree on every check. */
  readonly engineProblems: readonly string[];
  /** Chromium vs the documented expectation. */
  readonly referenceProblems: readonly string[];
  /** Informational: where the engine's failedValue is not Chromium's failedParameter (not part of agreement). */
  readonly notes: readonly FailedValueNote[];
}

export interface FailedValueNote {
  readonly request: number;
  readonly reason: ReasonCode;
  readonly failedValue: string;
  readonly failedParameter: string;
}

const CORS_ERRORS = new Map<string, { readonly phase: BlockedPhase; readonly reason: ReasonCode }>();
for (const reason of REASON_CODES) {
  const info: ReasonInfo = REASONS[reason];
  if (info.chromium.actual !== undefined) CORS_ERRORS.set(info.chromium.actual, { phase: 'actual', reason });
  if (info.chromium.preflight !== undefined)
    CORS_ERRORS.set(info.chromium.preflight, { phase: 'preflight', reason });
}

// Network errors Chromium fails the actual request with where Fetch makes the fault one (a redirect it will
// not follow), per REASONS[code].chromium.network.
const NETWORK_ERRORS = new Map<string, { readonly phase: BlockedPhase; readonly reason: ReasonCode }>();
for (const reason of REASON_CODES) {
  const info: ReasonInfo = REASONS[reason];
  for (const error of info.chromium.network ?? []) {
    NETWORK_ERRORS.set(`net::${error}`, { phase: 'actual', reason });
  }
}

/** Chromium's CorsError name as (phase, reason code), per REASONS[code].chromium. */
export function reasonOfCorsError(
  corsError: string,
): { readonly phase: BlockedPhase; readonly reason: ReasonCode } | undefined {
  return CORS_ERRORS.get(corsError);
}

/** The sent header list as a record, names lower-cased, repeated names as arrays (like Node's getHeaders()). */
export function headerRecord(list: HeaderList): ResponseHeaders {
  const record: Record<string, string | string[]> = {};
  for (const [rawName, value] of list) {
    const name = rawName.toLowerCase();
    const previous = record[name];
    if (previous === undefined) record[name] = value;
    else record[name] = Array.isArray(previous) ? [...previous, value] : [previous, value];
  }
  return record;
}

function browserVerdict(run: RequestRun): BrowserVerdict {
  if (run.page.resolved) return { outcome: 'allowed' };
  const failure = run.failure;
  const mapped =
    failure?.corsError === undefined
      ? NETWORK_ERRORS.get(failure?.errorText ?? '')
      : reasonOfCorsError(failure.corsError);
  return {
    outcome: 'blocked',
    ...(mapped ?? {}),
    ...(failure?.corsError === undefined ? {} : { corsError: failure.corsError }),
    ...(failure?.failedParameter === undefined ? {} : { failedParameter: failure.failedParameter }),
    errorText: failure?.errorText ?? run.page.error ?? 'no loadingFailed event',
  };
}

function phaseOf(verdict: CorsVerdict): BlockedPhase {
  return verdict.kind === 'preflight' ? 'preflight' : 'actual';
}

/** The first exchange whose verdict satisfies `decides` stands for the request. */
function engineVerdict(
  judged: readonly JudgedExchange[],
  pick: (j: JudgedExchange) => CorsVerdict,
  decides: (v: CorsVerdict) => boolean,
): EngineVerdict {
  const index = judged.findIndex((j) => decides(pick(j)));
  const entry = judged[index];
  if (entry === undefined) return { outcome: 'allowed' };
  const verdict = pick(entry);
  const reason = verdict.reasons[0];
  return {
    outcome: verdict.outcome,
    phase: phaseOf(verdict),
    ...(reason === undefined ? {} : { reason }),
    reasons: verdict.reasons,
    ...(verdict.failedValue === undefined ? {} : { failedValue: verdict.failedValue }),
    exchange: index,
  };
}

export function describeBrowser(v: BrowserVerdict): string {
  if (v.outcome === 'allowed') return 'allowed';
  const cause = v.corsError === undefined ? `no CorsError (${v.errorText ?? ''})` : v.corsError;
  const param =
    v.failedParameter === undefined ? '' : ` failedParameter=${JSON.stringify(v.failedParameter)}`;
  return `blocked at ${v.phase ?? '?'}: ${cause}${param} → ${v.reason ?? 'unmapped'}`;
}

export function describeEngine(v: EngineVerdict): string {
  if (v.outcome === 'allowed') return 'allowed';
  const value = v.failedValue === undefined ? '' : ` failedValue=${JSON.stringify(v.failedValue)}`;
  return `${v.outcome} at ${v.phase ?? '?'}: ${v.reason ?? '(no reason)'}${value} (exchange #${(v.exchange ?? 0) + 1})`;
}

function samePlace(browser: BrowserVerdict, engine: EngineVerdict): boolean {
  return browser.phase === engine.phase && browser.reason !== undefined && browser.reason === engine.reason;
}

/**
 * The server's view of a credentialed request: its reasons[0] is what a caller without credentials is told,
 * so Chromium's reason for the credentialed caller has to be among the reasons, at the same phase
 * (S70: PreflightInvalidStatus without credentials, PreflightWildcardOriginNotAllowed with them).
 */
function sameCause(browser: BrowserVerdict, engine: EngineVerdict, credentials: 'include' | 'omit'): boolean {
  if (credentials === 'omit') return samePlace(browser, engine);
  return (
    browser.phase === engine.phase &&
    browser.reason !== undefined &&
    (engine.reasons ?? []).includes(browser.reason)
  );
}

const NO_SPAN: CorsVerdict = {
  kind: 'not-cors',
  outcome: 'allowed',
  reasons: [],
  warnings: [],
  credentials: 'unknown',
};

function judgeRequest(
  run: RequestRun,
  middleware: ReadonlyMap<number, CorsVerdict> | undefined,
  httpSpans: ReadonlyMap<number, CorsVerdict> | undefined,
): RequestReport {
  const credentials = credentialsModeOf(run.request);
  const judged = run.exchanges.map((exchange): JudgedExchange => {
    const request = {
      method: exchange.request.method,
      url: exchange.request.url,
      headers: exchange.request.headers,
    };
    const response = { status: exchange.response.status, headers: headerRecord(exchange.response.headers) };
    return {
      exchange,
      known: evaluateCors(request, response, { credentials, serverOrigin: exchange.serverOrigin }),
      unknown: evaluateCors(request, response, { serverOrigin: exchange.serverOrigin }),
      middleware: middleware?.get(exchange.seq),
      httpSpan: httpSpans?.get(exchange.seq),
    };
  });
  const unknownDecides =
    credentials === 'include'
      ? (v: CorsVerdict) => v.outcome !== 'allowed'
      : (v: CorsVerdict) => v.outcome === 'blocked';
  return {
    run,
    credentials,
    browser: browserVerdict(run),
    known: engineVerdict(
      judged,
      (j) => j.known,
      (v) => v.outcome === 'blocked',
    ),
    unknown: engineVerdict(judged, (j) => j.unknown, unknownDecides),
    middleware:
      middleware === undefined
        ? undefined
        : engineVerdict(judged, (j) => j.middleware ?? NO_SPAN, unknownDecides),
    httpSpan:
      httpSpans === undefined
        ? undefined
        : engineVerdict(judged, (j) => j.httpSpan ?? NO_SPAN, unknownDecides),
    judged,
    cookieSent: run.exchanges.some((e) => !e.preflight && e.request.headers.cookie !== undefined),
  };
}

function engineProblemsOf(label: string, r: RequestReport): string[] {
  const problems: string[] = [];
  const { browser, known, unknown } = r;
  // (a) with the page's credentials mode: the same outcome, phase and reason.
  if (browser.outcome !== known.outcome || (browser.outcome === 'blocked' && !samePlace(browser, known))) {
    problems.push(
      `${label}: Chromium ${describeBrowser(browser)}; engine (a, credentials ${r.credentials}) ${describeEngine(known)}`,
    );
  }
  // (b) without the credentials option, as a server sees it: the engine, and the middleware's spans.
  problems.push(...serverViewProblems(label, r, unknown, 'engine (b, credentials not given)', true));
  if (r.middleware !== undefined) {
    problems.push(...serverViewProblems(label, r, r.middleware, "Corsight's middleware span", true));
  }
  // An HTTP span holds no Cookie (the setup guide does not capture it), so its credentials mode is unknown.
  if (r.httpSpan !== undefined) {
    problems.push(
      ...serverViewProblems(label, r, r.httpSpan, "the collector's verdict on the HTTP span", false),
    );
  }
  return problems;
}

/**
 * A verdict made without knowing the credentials mode. A request the browser allowed without credentials may
 * still be `blocked_if_credentialed` (CORS.md §2: unknown mode means both modes are judged).
 */
function serverViewProblems(
  label: string,
  r: RequestReport,
  verdict: EngineVerdict,
  name: string,
  seesCookies: boolean,
): string[] {
  const { browser } = r;
  const described = `${name} ${describeEngine(verdict)}`;
  if (browser.outcome === 'allowed') {
    return verdict.outcome === 'allowed'
      ? []
      : [`${label}: Chromium allowed (credentials ${r.credentials}); ${described}`];
  }
  if (verdict.outcome === 'allowed' || !sameCause(browser, verdict, r.credentials)) {
    return [`${label}: Chromium ${describeBrowser(browser)}; ${described}`];
  }
  if (r.credentials === 'omit' && verdict.outcome !== 'blocked') {
    return [`${label}: Chromium blocked a request without credentials; ${described}`];
  }
  const decisive = verdict.exchange === undefined ? undefined : r.judged[verdict.exchange];
  if (
    seesCookies &&
    decisive?.exchange.request.headers.cookie !== undefined &&
    verdict.outcome !== 'blocked'
  ) {
    return [`${label}: the deciding request carried a Cookie, so the mode is known; ${described}`];
  }
  return [];
}

/** Whether the server saw a preflight for the same URL earlier in the scenario (a cache hit counts). */
function preflightedBefore(all: readonly RecordedExchange[], exchange: RecordedExchange): boolean {
  return all.some(
    (e) =>
      e.seq < exchange.seq &&
      e.preflight &&
      e.server === exchange.server &&
      e.routePath === exchange.routePath,
  );
}

/**
 * Preflights Chromium should send for identical requests given the engine's cache lifetime for each
 * preflight: a request within the lifetime of the last preflight is served from the cache.
 */
function predictedPreflights(requests: readonly RequestReport[]): number | undefined {
  let count = 0;
  let validUntil = -Infinity;
  let lifetimeMs = 0;
  for (const r of requests) {
    const startedAt = r.judged[0]?.exchange.at;
    if (startedAt === undefined) return undefined;
    if (startedAt < validUntil) continue;
    count++;
    const preflight = r.judged.find((j) => j.known.kind === 'preflight');
    if (preflight !== undefined) lifetimeMs = (preflight.known.preflightCacheSeconds?.chromium ?? 0) * 1000;
    validUntil = (preflight?.exchange.at ?? startedAt) + lifetimeMs;
  }
  return count;
}

/** Compares one scenario's run with the engine and with the documented expectation. */
export function compareScenario(
  run: ScenarioRun,
  middleware?: ReadonlyMap<number, CorsVerdict>,
  httpSpans?: ReadonlyMap<number, CorsVerdict>,
): ScenarioReport {
  const scenario = run.scenario;
  const requests = run.requests.map((request) => judgeRequest(request, middleware, httpSpans));
  const all = run.requests.flatMap((r) => r.exchanges);
  const preflights = all.filter((e) => e.preflight).length;
  const engineProblems: string[] = [];
  const referenceProblems: string[] = [];
  const notes: FailedValueNote[] = [];

  requests.forEach((r, i) => {
    const label = requests.length > 1 ? `request ${i + 1}` : 'request';
    if (r.browser.outcome === 'blocked' && r.browser.reason === undefined) {
      engineProblems.push(`${label}: Chromium blocked it without a CorsError that maps to a reason code`);
    }
    engineProblems.push(...engineProblemsOf(label, r));
    const failedParameter = r.browser.failedParameter ?? '';
    const failedValue = r.known.failedValue ?? '';
    if (samePlace(r.browser, r.known) && r.known.reason !== undefined && failedValue !== failedParameter) {
      notes.push({ request: i + 1, reason: r.known.reason, failedValue, failedParameter });
    }
    // The upload-listener preflight (Fetch "use-CORS-preflight flag") and the other causes a scenario names
    // are invisible on the wire: the engine cannot and should not predict them from the request.
    const forced = r.run.request.uploadListener === true || r.run.request.unseenPreflightCause !== undefined;
    for (const j of r.judged) {
      if (j.known.kind !== 'actual') continue;
      const sent = preflightedBefore(all, j.exchange) && !forced;
      if (j.known.needsPreflight !== sent) {
        engineProblems.push(
          `${label}: ${j.exchange.request.method} ${j.exchange.request.url}: engine needsPreflight=${String(j.known.needsPreflight)}, ` +
            `Chromium ${sent ? 'sent' : 'did not send'} a preflight before it`,
        );
      }
    }

    const expected = scenario.expect.results[i];
    const b = r.browser;
    if (expected !== undefined) {
      const matches =
        expected.outcome === b.outcome &&
        (expected.outcome === 'allowed' || (expected.phase === b.phase && expected.reason === b.reason));
      if (!matches) {
        const documented =
          expected.outcome === 'allowed' ? 'allowed' : `blocked at ${expected.phase}: ${expected.reason}`;
        referenceProblems.push(`${label}: reference says ${documented}; Chromium ${describeBrowser(b)}`);
      }
    }
  });

  const expected = expectedPreflights(scenario.expect, run.chromiumVersion);
  if (preflights !== expected) {
    referenceProblems.push(
      `reference says ${String(expected)} preflight(s) for Chromium ${run.chromiumVersion}; the server saw ${preflights}`,
    );
  }
  if (scenario.cacheCheck === true) {
    const predicted = predictedPreflights(requests);
    if (predicted !== preflights) {
      engineProblems.push(
        `preflight cache: the engine's preflightCacheSeconds.chromium predicts ${String(predicted)} preflight(s); Chromium sent ${preflights}`,
      );
    }
  }
  return {
    run,
    requests,
    preflights,
    expectedPreflights: expected,
    engineProblems,
    referenceProblems,
    notes,
  };
}

const NOISE = new Set([
  'host',
  'connection',
  'user-agent',
  'accept-encoding',
  'referer',
  'sec-ch-ua',
  'sec-ch-ua-mobile',
  'sec-ch-ua-platform',
  'sec-fetch-dest',
  'content-length',
]);

function describeVerdict(v: CorsVerdict): string {
  const reasons = v.reasons.length === 0 ? '' : ` [${v.reasons.join(', ')}]`;
  const value = v.failedValue === undefined ? '' : ` failedValue=${JSON.stringify(v.failedValue)}`;
  const np = v.needsPreflight === undefined ? '' : ` needsPreflight=${String(v.needsPreflight)}`;
  const cache =
    v.preflightCacheSeconds === undefined ? '' : ` cache.chromium=${v.preflightCacheSeconds.chromium}s`;
  return `${v.kind} ${v.outcome}${reasons}${value}${np}${cache}`;
}

/** A readable account of one scenario: the requests, what Chromium and the engine said, and the exchanges. */
export function formatReport(report: ScenarioReport): string {
  const s = report.run.scenario;
  const lines = [`${s.id} — ${s.title}`];
  report.requests.forEach((r, i) => {
    lines.push(`  request ${i + 1}: ${JSON.stringify(r.run.request)} (credentials ${r.credentials})`);
    lines.push(`    Chromium:   ${describeBrowser(r.browser)}`);
    lines.push(`    engine (a): ${describeEngine(r.known)}`);
    lines.push(`    engine (b): ${describeEngine(r.unknown)}`);
    if (r.middleware !== undefined) lines.push(`    middleware: ${describeEngine(r.middleware)}`);
    if (r.httpSpan !== undefined) lines.push(`    HTTP span:  ${describeEngine(r.httpSpan)}`);
    r.judged.forEach((j, k) => {
      const e = j.exchange;
      const headers = Object.entries(e.request.headers)
        .filter(([name]) => !NOISE.has(name))
        .map(([name, value]) => `${name}: ${Array.isArray(value) ? value.join(' | ') : (value ?? '')}`);
      const sent = e.response.headers.map(([name, value]) => `${name}: ${JSON.stringify(value)}`);
      lines.push(`    #${k + 1} ${e.server} ${e.request.method} ${e.request.url}  {${headers.join('; ')}}`);
      lines.push(`       → ${e.response.status} {${sent.join('; ')}}`);
      lines.push(`       (a) ${describeVerdict(j.known)}`);
      lines.push(`       (b) ${describeVerdict(j.unknown)}`);
    });
  });
  lines.push(`  preflights seen: ${report.preflights} (reference: ${report.expectedPreflights})`);
  for (const p of report.engineProblems) lines.push(`  ENGINE ≠ CHROMIUM: ${p}`);
  for (const p of report.referenceProblems) lines.push(`  CHROMIUM ≠ REFERENCE: ${p}`);
  for (const n of report.notes) {
    lines.push(
      `  note: request ${n.request}: ${n.reason} failedValue=${JSON.stringify(n.failedValue)}, Chromium failedParameter=${JSON.stringify(n.failedParameter)}`,
    );
  }
  return lines.join('\n');
}
