import { MISMATCH_HINTS, REASONS, WARNINGS } from '@corsight/instrumentation';
import { describe, expect, it } from 'vitest';
import type { BrowserRequest, PageFetch } from './browser-request.js';
import { runCheck } from './check-command.js';
import { formatCheckJson, formatCheckReport } from './check-report.js';
import type { CheckResult } from './check-result.js';
import type { HttpResponse } from './http-exchange.js';
import { PAGE, pageFetchTo } from './page-fetch.fixture.js';

const API = 'http://127.0.0.1:4000/orders';
const OTHER = 'http://127.0.0.1:5000/orders';

/** A check against canned responses, keyed by "METHOD url"; unknown requests get a bare 404. */
function check(overrides: Partial<PageFetch>, responses: Record<string, HttpResponse>): Promise<CheckResult> {
  const fetch = pageFetchTo(API, overrides);
  const send = (request: BrowserRequest) =>
    Promise.resolve(responses[`${request.method} ${request.url}`] ?? { status: 404, headers: {} });
  return runCheck(fetch, send);
}

/** Characters a terminal would act on, other than the newlines between lines. */
function rawControls(text: string): string[] {
  return Array.from(text).filter((char) => {
    const code = char.charCodeAt(0);
    return (
      (code < 0x20 && char !== '\n') || (code >= 0x7f && code <= 0x9f) || (code >= 0x202a && code <= 0x202e)
    );
  });
}

const ALLOW_PAGE = { 'access-control-allow-origin': PAGE, vary: 'Origin' };

describe('formatCheckReport', () => {
  it('shows an allowed simple request without a preflight', async () => {
    const report = formatCheckReport(
      await check(
        {},
        { [`GET ${API}`]: { status: 200, headers: { ...ALLOW_PAGE, 'content-type': 'text/plain' } } },
      ),
    );
    expect(report).toBe(
      [
        `corsight check: GET ${API}`,
        `  from a page on ${PAGE}, credentials: 'omit'`,
        '',
        'No preflight: GET with CORS-safelisted headers only.',
        `[1] Request: GET ${API}`,
        `    > Origin: ${PAGE}`,
        '    > Accept: */*',
        '    > User-Agent: corsight-check',
        '    < 200 OK',
        `    < access-control-allow-origin: ${PAGE}`,
        '    < vary: Origin',
        '    = allowed',
        '',
        'ALLOWED: the page can read the response.',
        '',
      ].join('\n'),
    );
  });

  it('stops at a failed preflight, says the actual request was not sent, and gives reason, value and fix', async () => {
    const report = formatCheckReport(
      await check(
        { method: 'PUT' },
        {
          [`OPTIONS ${API}`]: {
            status: 204,
            headers: { ...ALLOW_PAGE, 'access-control-allow-methods': 'GET, POST' },
          },
        },
      ),
    );
    expect(report).toContain('Preflight needed: PUT is not a CORS-safelisted method.');
    expect(report).toContain(
      `[1] Preflight: OPTIONS ${API}\n    > Origin: ${PAGE}\n    > Access-Control-Request-Method: PUT\n`,
    );
    expect(report).toContain('    = blocked (method_not_allowed)');
    expect(report).toContain(
      `[2] Request: PUT ${API}\n    not sent: the browser stops at a failed preflight`,
    );
    expect(report).toContain('BLOCKED at the preflight: the browser never sends the actual request');
    expect(report).toContain(
      `Reason\n  method_not_allowed: ${REASONS.method_not_allowed.summary}\n    value: PUT\n    fix: ${REASONS.method_not_allowed.fix}\n`,
    );
    expect(report).toContain(
      'Preflight cache\n  preflight: not cached (no browser caches a failed preflight)',
    );
  });

  it('lists every reason in order and explains an origin mismatch with hints', async () => {
    const report = formatCheckReport(
      await check(
        { credentials: 'include' },
        { [`GET ${API}`]: { status: 200, headers: { 'access-control-allow-origin': `${PAGE}/` } } },
      ),
    );
    expect(report).toContain(
      [
        "Reasons (the first is the one Chromium's console reports)",
        `  allow_origin_mismatch: ${REASONS.allow_origin_mismatch.summary}`,
        `    value: ${PAGE}/`,
        `    hint (trailing_slash): ${MISMATCH_HINTS.trailing_slash.summary}`,
        `    fix: ${REASONS.allow_origin_mismatch.fix}`,
        `  allow_credentials_not_true: ${REASONS.allow_credentials_not_true.summary}`,
        `    fix: ${REASONS.allow_credentials_not_true.fix}`,
      ].join('\n'),
    );
    expect(report).toContain('BLOCKED at the actual response: the server received and handled the request');
  });

  it('gives warnings with their fix and the preflight cache per engine', async () => {
    const report = formatCheckReport(
      await check(
        { method: 'DELETE' },
        {
          [`OPTIONS ${API}`]: {
            status: 204,
            headers: {
              ...ALLOW_PAGE,
              'access-control-allow-methods': 'DELETE',
              'access-control-max-age': '86400',
            },
          },
          [`DELETE ${API}`]: { status: 200, headers: { 'access-control-allow-origin': PAGE } },
        },
      ),
    );
    expect(report).toContain('ALLOWED: the page can read the response.');
    expect(report).toContain(
      `  max_age_capped (preflight): ${WARNINGS.max_age_capped.summary}\n    fix: ${WARNINGS.max_age_capped.fix}`,
    );
    expect(report).toContain(`  missing_vary_origin (request): ${WARNINGS.missing_vary_origin.summary}`);
    expect(report).toContain('Preflight cache\n  preflight: Chromium 7200 s, Firefox 86400 s, WebKit 600 s');
  });

  it('prints each redirect hop, the tainted Origin and the re-preflight', async () => {
    const report = formatCheckReport(
      await check(
        { method: 'PUT' },
        {
          [`OPTIONS ${API}`]: {
            status: 204,
            headers: { ...ALLOW_PAGE, 'access-control-allow-methods': 'PUT' },
          },
          [`PUT ${API}`]: { status: 307, headers: { ...ALLOW_PAGE, location: OTHER } },
          [`OPTIONS ${OTHER}`]: {
            status: 204,
            headers: { 'access-control-allow-origin': 'null', 'access-control-allow-methods': 'PUT' },
          },
          [`PUT ${OTHER}`]: { status: 200, headers: { 'access-control-allow-origin': PAGE } },
        },
      ),
    );
    expect(report).toContain(
      `    -> the browser follows the redirect to ${OTHER} (cross-origin hop: Origin is null from here on)`,
    );
    expect(report).toContain(`[3] Preflight after redirect 1: OPTIONS ${OTHER}\n    > Origin: null\n`);
    expect(report).toContain(`[4] Request after redirect 1: PUT ${OTHER}\n    > Origin: null\n`);
    expect(report).toContain('BLOCKED at the actual response after redirect 1:');
    expect(report).toContain(`    hint (null_vs_origin): ${MISMATCH_HINTS.null_vs_origin.summary}`);
  });

  it('explains a redirect the browser refuses', async () => {
    const report = formatCheckReport(
      await check(
        {},
        { [`GET ${API}`]: { status: 302, headers: { ...ALLOW_PAGE, location: ['/a', '/b'] } } },
      ),
    );
    // The engine judges the 3xx itself: a redirect the browser will not follow leaves nothing to read.
    expect(report).toContain('    = blocked (redirect_invalid_location)');
    expect(report).toContain('BLOCKED at the actual response');
    expect(report).toContain(
      `  redirect_invalid_location: ${REASONS.redirect_invalid_location.summary}\n    value: /a, /b\n    fix: ${REASONS.redirect_invalid_location.fix}`,
    );
  });

  it('says when a request is same-origin', async () => {
    const report = formatCheckReport(
      await check(
        { origin: 'http://127.0.0.1:4000', method: 'PUT' },
        { [`PUT ${API}`]: { status: 200, headers: {} } },
      ),
    );
    expect(report).toContain(
      'Same origin as the page (http://127.0.0.1:4000): the browser applies no CORS check.',
    );
    expect(report).toContain(
      '    < (no Access-Control-*, Vary or Location headers)\n    = no CORS check (same-origin)',
    );
    expect(report).toContain('ALLOWED: a same-origin request; no CORS check applies.');
  });

  it('shows hostile header values as inert text, cut to length', async () => {
    const hostile = `\u001b]0;pwned\u0007\u009b2J\u202e${'x'.repeat(400)}`;
    const report = formatCheckReport(
      await check(
        {},
        { [`GET ${API}`]: { status: 200, headers: { 'access-control-allow-origin': hostile } } },
      ),
    );
    expect(rawControls(report)).toEqual([]);
    expect(report).toContain('< access-control-allow-origin: \\x1b]0;pwned\\x07\\x9b2J\\u202exxx');
    expect(report).toMatch(/x… \(\d+ more characters\)\n/);
  });
});

describe('formatCheckJson', () => {
  it('carries the outcome, exit status, reasons with their texts and each exchange', async () => {
    const result = await check(
      { method: 'PUT', headers: [['X-Api-Key', 'k']] },
      {
        [`OPTIONS ${API}`]: {
          status: 204,
          headers: { ...ALLOW_PAGE, 'access-control-allow-methods': 'PUT', 'x-powered-by': 'Express' },
        },
      },
    );
    const json = JSON.parse(formatCheckJson(result)) as Record<string, unknown>;
    expect(json).toMatchObject({
      outcome: 'blocked',
      exitStatus: 1,
      stoppedAt: 'preflight',
      stoppedBy: 'preflight',
      request: { url: API, origin: PAGE, method: 'PUT', headers: [['X-Api-Key', 'k']], credentials: 'omit' },
      hops: [
        {
          url: API,
          origin: PAGE,
          preflightNeeded: true,
          unsafeMethod: true,
          unsafeHeaders: ['x-api-key'],
          preflight: {
            request: { method: 'OPTIONS', url: API },
            // Only the headers the verdict reads; X-Powered-By stays out.
            response: { status: 204, headers: { ...ALLOW_PAGE, 'access-control-allow-methods': 'PUT' } },
            verdict: {
              kind: 'preflight',
              outcome: 'blocked',
              reasons: ['header_not_allowed'],
              failedValue: 'x-api-key',
            },
          },
        },
      ],
      reasons: [
        {
          code: 'header_not_allowed',
          summary: REASONS.header_not_allowed.summary,
          fix: REASONS.header_not_allowed.fix,
          failedValue: 'x-api-key',
        },
      ],
      redirectFailure: null,
    });
    expect((json['hops'] as Record<string, unknown>[])[0]).not.toHaveProperty('actual');
  });

  it('escapes control characters a server sent', async () => {
    const result = await check(
      {},
      { [`GET ${API}`]: { status: 200, headers: { 'access-control-allow-origin': 'a\u009b\u202e' } } },
    );
    const text = formatCheckJson(result);
    expect(rawControls(text)).toEqual([]);
    expect(text).toContain('a\\u009b\\u202e');
  });
});
