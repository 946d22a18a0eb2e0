// The `corsight check` result for a person (the report) and for a program (--json), both from one digest so
// they never disagree. Every value that came from the network goes through displayText / safeJson.
import { STATUS_CODES } from 'node:http';
import {
  type CorsVerdict,
  MISMATCH_HINTS,
  type MismatchHint,
  type PreflightCacheSeconds,
  type ReasonCode,
  REASONS,
  type WarningCode,
  WARNINGS,
} from '@corsight/instrumentation';
import { requestOrigin } from './browser-request.js';
import { REDIRECT_FAILURES, type RedirectFailure } from './browser-redirect.js';
import {
  type CheckHop,
  type CheckResult,
  exitStatus,
  type JudgedExchange,
  type StopPoint,
} from './check-result.js';
import type { ResponseHeaderMap } from './http-exchange.js';
import { displayText, safeJson } from './terminal-text.js';

type ExchangeKind = 'preflight' | 'actual';

interface LabelledExchange {
  readonly label: string;
  readonly kind: ExchangeKind;
  readonly hopIndex: number;
  readonly exchange: JudgedExchange;
}

interface ReasonFinding {
  readonly code: ReasonCode;
  readonly summary: string;
  readonly fix: string;
  /** Chromium's failedParameter: the value this (first) reason failed on. */
  readonly failedValue?: string;
  readonly hints?: readonly { readonly code: MismatchHint; readonly summary: string }[];
}

interface WarningFinding {
  readonly code: WarningCode;
  readonly where: string;
  readonly summary: string;
  readonly fix: string;
}

interface RedirectFailureFinding {
  readonly code: RedirectFailure;
  readonly from: string;
  readonly location: string;
  readonly summary: string;
  readonly fix: string;
}

interface PreflightCacheFinding {
  readonly where: string;
  /** Each engine's lifetime of this preflight's cache entry; all 0 when it failed. */
  readonly seconds: PreflightCacheSeconds;
  readonly passed: boolean;
}

interface CheckDigest {
  readonly stopped?: LabelledExchange;
  readonly reasons: readonly ReasonFinding[];
  readonly redirectFailure?: RedirectFailureFinding;
  readonly warnings: readonly WarningFinding[];
  readonly preflightCache: readonly PreflightCacheFinding[];
}

function exchangeLabel(kind: ExchangeKind, hopIndex: number): string {
  const base = kind === 'preflight' ? 'preflight' : 'request';
  return hopIndex === 0 ? base : `${base} after redirect ${hopIndex}`;
}

function labelledExchanges(hop: CheckHop, hopIndex: number): LabelledExchange[] {
  const found: LabelledExchange[] = [];
  if (hop.preflight !== undefined) {
    found.push({
      label: exchangeLabel('preflight', hopIndex),
      kind: 'preflight',
      hopIndex,
      exchange: hop.preflight,
    });
  }
  if (hop.actual !== undefined) {
    found.push({ label: exchangeLabel('actual', hopIndex), kind: 'actual', hopIndex, exchange: hop.actual });
  }
  return found;
}

function reasonFindings(verdict: CorsVerdict): ReasonFinding[] {
  return verdict.reasons.map((code, index) => ({
    code,
    summary: REASONS[code].summary,
    fix: REASONS[code].fix,
    ...(index === 0 && verdict.failedValue !== undefined ? { failedValue: verdict.failedValue } : {}),
    ...(code === 'allow_origin_mismatch' && verdict.hints !== undefined
      ? { hints: verdict.hints.map((hint) => ({ code: hint, summary: MISMATCH_HINTS[hint].summary })) }
      : {}),
  }));
}

function stoppedExchange(
  hop: CheckHop,
  hopIndex: number,
  stoppedAt: StopPoint | undefined,
): LabelledExchange | undefined {
  switch (stoppedAt) {
    case undefined:
    case 'redirect':
      return undefined;
    case 'preflight':
    case 'actual': {
      const exchange = stoppedAt === 'preflight' ? hop.preflight : hop.actual;
      return exchange === undefined
        ? undefined
        : { label: exchangeLabel(stoppedAt, hopIndex), kind: stoppedAt, hopIndex, exchange };
    }
    default: {
      const unreachable: never = stoppedAt;
      throw new Error(`unknown stop point ${String(unreachable)}`);
    }
  }
}

function digest(result: CheckResult): CheckDigest {
  const warnings: WarningFinding[] = [];
  const preflightCache: PreflightCacheFinding[] = [];
  result.hops.forEach((hop, hopIndex) => {
    for (const { label, kind, exchange } of labelledExchanges(hop, hopIndex)) {
      for (const code of exchange.verdict.warnings) {
        warnings.push({ code, where: label, summary: WARNINGS[code].summary, fix: WARNINGS[code].fix });
      }
      const seconds = exchange.verdict.preflightCacheSeconds;
      if (kind === 'preflight' && seconds !== undefined) {
        preflightCache.push({ where: label, seconds, passed: exchange.verdict.outcome !== 'blocked' });
      }
    }
  });
  const lastIndex = result.hops.length - 1;
  const last = result.hops[lastIndex];
  const stopped = last === undefined ? undefined : stoppedExchange(last, lastIndex, result.stoppedAt);
  const redirect = last?.redirect;
  return {
    ...(stopped === undefined ? {} : { stopped }),
    reasons: stopped === undefined ? [] : reasonFindings(stopped.exchange.verdict),
    ...(result.stoppedAt === 'redirect' && last !== undefined && redirect?.kind === 'failed'
      ? {
          redirectFailure: {
            code: redirect.failure,
            from: last.fetch.url,
            location: redirect.location,
            ...REDIRECT_FAILURES[redirect.failure],
          },
        }
      : {}),
    warnings,
    preflightCache,
  };
}

// The response headers a person needs to see to follow the verdict.
function isShownResponseHeader(name: string): boolean {
  return name.startsWith('access-control-') || name === 'vary' || name === 'location';
}

function shownResponseHeaders(headers: ResponseHeaderMap): [string, string][] {
  const shown: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!isShownResponseHeader(name)) continue;
    for (const item of typeof value === 'string' ? [value] : value) shown.push([name, item]);
  }
  return shown;
}

function statusLine(status: number): string {
  const text = STATUS_CODES[status];
  return text === undefined ? String(status) : `${status} ${text}`;
}

function preflightNeedLine(hop: CheckHop): string {
  const need = hop.need;
  if (!need.cors) {
    return `Same origin as the page (${displayText(requestOrigin(hop.fetch))}): the browser applies no CORS check.`;
  }
  if (!need.needed) {
    return `No preflight: ${displayText(hop.fetch.method)} with CORS-safelisted headers only.`;
  }
  const why: string[] = [];
  if (need.unsafeMethod) why.push(`${displayText(hop.fetch.method)} is not a CORS-safelisted method`);
  if (need.unsafeHeaders.length > 0) {
    const names = need.unsafeHeaders.map((name) => displayText(name)).join(', ');
    why.push(
      need.unsafeHeaders.length === 1
        ? `header ${names} is not CORS-safelisted`
        : `headers ${names} are not CORS-safelisted`,
    );
  }
  return `Preflight needed: ${why.join('; ')}.`;
}

function verdictLine(verdict: CorsVerdict): string {
  if (verdict.kind === 'not-cors') return 'no CORS check (same-origin)';
  return verdict.reasons.length === 0
    ? verdict.outcome
    : `${verdict.outcome} (${verdict.reasons.join(', ')})`;
}

function redirectLine(hop: CheckHop): string | undefined {
  const redirect = hop.redirect;
  if (redirect === undefined) return undefined;
  if (redirect.kind === 'failed') {
    return `the browser refuses this redirect to ${displayText(redirect.location)} (${redirect.failure})`;
  }
  const notes: string[] = [];
  if (redirect.taintsOrigin) notes.push('cross-origin hop: Origin is null from here on');
  else if (redirect.crossOrigin) notes.push('cross-origin hop');
  if (redirect.methodChangedFrom !== undefined) {
    notes.push(`${displayText(redirect.methodChangedFrom)} becomes GET`);
  }
  if (redirect.removedHeaders.length > 0) notes.push(`drops ${redirect.removedHeaders.join(', ')}`);
  const suffix = notes.length === 0 ? '' : ` (${notes.join('; ')})`;
  return `the browser follows the redirect to ${displayText(redirect.next.url)}${suffix}`;
}

function exchangeLines(number: number, label: string, exchange: JudgedExchange): string[] {
  const { request, response, verdict } = exchange;
  const lines = [
    `[${number}] ${capitalise(label)}: ${displayText(request.method)} ${displayText(request.url)}`,
  ];
  for (const [name, value] of request.headers) {
    lines.push(`    > ${displayText(name)}: ${displayText(value)}`);
  }
  lines.push(`    < ${statusLine(response.status)}`);
  const shown = shownResponseHeaders(response.headers);
  for (const [name, value] of shown) lines.push(`    < ${displayText(name)}: ${displayText(value)}`);
  if (shown.length === 0) lines.push('    < (no Access-Control-*, Vary or Location headers)');
  lines.push(`    = ${verdictLine(verdict)}`);
  return lines;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function afterRedirect(stopped: LabelledExchange | undefined): string {
  return stopped === undefined || stopped.hopIndex === 0 ? '' : ` after redirect ${stopped.hopIndex}`;
}

function conclusionLine(result: CheckResult, found: CheckDigest): string {
  switch (result.stoppedAt) {
    case undefined: {
      const sameOrigin = result.hops.every((hop) => !hop.need.cors);
      return sameOrigin
        ? 'ALLOWED: a same-origin request; no CORS check applies.'
        : 'ALLOWED: the page can read the response.';
    }
    case 'preflight':
      return `BLOCKED at the preflight${afterRedirect(found.stopped)}: the browser never sends the actual request, and fetch() rejects with a TypeError.`;
    case 'actual':
      return `BLOCKED at the actual response${afterRedirect(found.stopped)}: the server received and handled the request, but the page cannot read the response (fetch() rejects with a TypeError).`;
    case 'redirect':
      return 'BLOCKED at a redirect: the browser fails the request with a network error (fetch() rejects with a TypeError).';
    default: {
      const unreachable: never = result.stoppedAt;
      throw new Error(`unknown stop point ${String(unreachable)}`);
    }
  }
}

function formatSeconds(seconds: PreflightCacheSeconds): string {
  const each = (name: string, value: number) => `${name} ${value} s`;
  const text = [
    each('Chromium', seconds.chromium),
    each('Firefox', seconds.firefox),
    each('WebKit', seconds.webkit),
  ];
  return text.join(', ');
}

/** The human-readable report, ending in a newline. */
export function formatCheckReport(result: CheckResult): string {
  const found = digest(result);
  const { fetch } = result;
  const lines: string[] = [
    `corsight check: ${displayText(fetch.method)} ${displayText(fetch.url)}`,
    `  from a page on ${displayText(fetch.origin)}, credentials: '${fetch.credentials}'`,
  ];
  let number = 0;
  result.hops.forEach((hop, hopIndex) => {
    lines.push('', preflightNeedLine(hop));
    for (const { label, exchange } of labelledExchanges(hop, hopIndex)) {
      lines.push(...exchangeLines(++number, label, exchange));
    }
    if (hop.preflight !== undefined && hop.actual === undefined) {
      lines.push(
        `[${++number}] ${capitalise(exchangeLabel('actual', hopIndex))}: ${displayText(hop.fetch.method)} ${displayText(hop.fetch.url)}`,
        '    not sent: the browser stops at a failed preflight',
      );
    }
    const redirect = redirectLine(hop);
    if (redirect !== undefined) lines.push(`    -> ${redirect}`);
  });

  lines.push('', conclusionLine(result, found));
  if (found.reasons.length > 0) {
    lines.push(
      '',
      found.reasons.length === 1 ? 'Reason' : "Reasons (the first is the one Chromium's console reports)",
    );
    for (const reason of found.reasons) {
      lines.push(`  ${reason.code}: ${reason.summary}`);
      if (reason.failedValue !== undefined) {
        // Chromium's failedParameter is empty when the header was not sent at all.
        lines.push(
          `    value: ${reason.failedValue === '' ? '(none sent)' : displayText(reason.failedValue)}`,
        );
      }
      for (const hint of reason.hints ?? []) lines.push(`    hint (${hint.code}): ${hint.summary}`);
      lines.push(`    fix: ${reason.fix}`);
    }
  }
  const failure = found.redirectFailure;
  if (failure !== undefined) {
    lines.push('', 'Reason', `  ${failure.code}: ${failure.summary}`);
    lines.push(`    from: ${displayText(failure.from)}`, `    location: ${displayText(failure.location)}`);
    lines.push(`    fix: ${failure.fix}`);
  }
  if (found.warnings.length > 0) {
    lines.push('', 'Warnings');
    for (const warning of found.warnings) {
      lines.push(`  ${warning.code} (${warning.where}): ${warning.summary}`, `    fix: ${warning.fix}`);
    }
  }
  if (found.preflightCache.length > 0) {
    lines.push('', 'Preflight cache');
    for (const { where, seconds, passed } of found.preflightCache) {
      const cached = seconds.chromium + seconds.firefox + seconds.webkit > 0;
      const text = passed ? formatSeconds(seconds) : 'not cached (no browser caches a failed preflight)';
      lines.push(`  ${where}: ${cached || !passed ? text : 'not cached by any engine'}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

function jsonExchange(exchange: JudgedExchange | undefined) {
  if (exchange === undefined) return undefined;
  return {
    request: {
      method: exchange.request.method,
      url: exchange.request.url,
      headers: exchange.request.headers,
    },
    response: {
      status: exchange.response.status,
      headers: Object.fromEntries(
        Object.entries(exchange.response.headers).filter(([name]) => isShownResponseHeader(name)),
      ),
    },
    verdict: exchange.verdict,
  };
}

/** The machine-readable result: the same findings as the report, with codes, plus every exchange. */
export function formatCheckJson(result: CheckResult): string {
  const found = digest(result);
  const { fetch } = result;
  return `${safeJson({
    outcome: result.outcome,
    exitStatus: exitStatus(result.outcome),
    stoppedAt: result.stoppedAt ?? null,
    request: {
      url: fetch.url,
      origin: fetch.origin,
      method: fetch.method,
      headers: fetch.headers,
      credentials: fetch.credentials,
    },
    hops: result.hops.map((hop) => ({
      url: hop.fetch.url,
      method: hop.fetch.method,
      origin: requestOrigin(hop.fetch),
      cors: hop.need.cors,
      preflightNeeded: hop.need.needed,
      unsafeMethod: hop.need.unsafeMethod,
      unsafeHeaders: hop.need.unsafeHeaders,
      preflight: jsonExchange(hop.preflight),
      actual: jsonExchange(hop.actual),
      redirect:
        hop.redirect === undefined
          ? undefined
          : hop.redirect.kind === 'failed'
            ? { followed: false, failure: hop.redirect.failure, location: hop.redirect.location }
            : {
                followed: true,
                location: hop.redirect.location,
                url: hop.redirect.next.url,
                crossOrigin: hop.redirect.crossOrigin,
                taintsOrigin: hop.redirect.taintsOrigin,
                methodChangedFrom: hop.redirect.methodChangedFrom,
                removedHeaders: hop.redirect.removedHeaders,
              },
    })),
    stoppedBy: found.stopped?.label ?? null,
    reasons: found.reasons,
    redirectFailure: found.redirectFailure ?? null,
    warnings: found.warnings,
    preflightCache: found.preflightCache,
  })}\n`;
}
