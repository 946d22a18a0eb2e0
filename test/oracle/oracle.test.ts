// The real-browser oracle: every scenario runs in headless Chromium against real node:http servers, and
// evaluateCors must reach Chromium's verdict, for Chromium's reason, from what the server recorded.
import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OracleServers, startOracleServers } from './api-server.ts';
import { type OracleBrowser, openOracleBrowser, runScenarios } from './browser-runner.ts';
import { compareScenario, describeBrowser, formatReport, type ScenarioReport } from './compare.ts';
import { type HttpSpanProbe, startHttpSpanProbe } from './http-span-probe.ts';
import { startMiddlewareProbe } from './middleware-probe.ts';
import { REASON_COVERAGE, SCENARIOS } from './scenarios.ts';

let servers: OracleServers | undefined;
let browser: OracleBrowser | undefined;
let httpSpanProbe: HttpSpanProbe | undefined;
/** Exchanges (by seq) Corsight's middleware and the collector (from HTTP spans) each judged as CORS. */
let judgedByMiddleware: readonly number[] = [];
let judgedByCollector: readonly number[] = [];
const reports = new Map<string, ScenarioReport>();
/** Why the oracle could not run; every test fails with it rather than being skipped. */
let setupError: Error | undefined;

beforeAll(async () => {
  try {
    // Corsight's node:http middleware runs in front of the API too: its spans must carry the browser's
    // verdict and cause as well.
    const probe = startMiddlewareProbe();
    // And OpenTelemetry's own HTTP instrumentation, whose spans the collector judges (issue 8).
    const httpSpans = await startHttpSpanProbe();
    httpSpanProbe = httpSpans;
    servers = await startOracleServers(SCENARIOS, {
      wrapApi: (handler) => httpSpans.wrap(probe.wrap(handler)),
    });
    await httpSpans.warmUp(servers.apiOrigin);
    browser = await openOracleBrowser(servers);
    const runs = await runScenarios(browser, SCENARIOS);
    const middleware = await probe.finish();
    const collectorVerdicts = await httpSpans.finish();
    judgedByMiddleware = [...middleware.keys()].sort((a, b) => a - b);
    judgedByCollector = [...collectorVerdicts.keys()].sort((a, b) => a - b);
    for (const run of runs) {
      reports.set(run.scenario.id, compareScenario(run, middleware, collectorVerdicts));
    }
  } catch (error) {
    setupError = error instanceof Error ? error : new Error(String(error));
  }
});

afterAll(async () => {
  if (reports.size > 0) {
    const all = [...reports.values()];
    // Credentialed requests that reached the server past any preflight: did the third-party cookie arrive?
    const credentialed = all
      .flatMap((r) => r.requests)
      .filter((r) => r.credentials === 'include' && r.run.exchanges.some((e) => !e.preflight));
    const withCookie = credentialed.filter((r) => r.cookieSent).length;
    const agree = all.filter((r) => r.engineProblems.length === 0).length;
    const file = process.env.CORSIGHT_ORACLE_REPORT;
    if (file !== undefined && file !== '') await writeFile(file, all.map(formatReport).join('\n\n') + '\n');
    const notes = new Set(all.flatMap((r) => r.notes.map((n) => n.reason)));
    if (notes.size > 0) {
      console.log(
        `failedValue is not Chromium's failedParameter (informational) for: ${[...notes].join(', ')}`,
      );
    }
    console.log(
      `Chromium ${browser?.version ?? '?'}: ${withCookie} of ${credentialed.length} credentialed actual requests carried a Cookie`,
    );
    console.log(`${all.length} scenarios, ${agree} agree`);
  }
  await browser?.close();
  await servers?.close();
  await httpSpanProbe?.close();
});

function reportOf(id: string): ScenarioReport {
  if (setupError !== undefined)
    throw new Error(`the oracle did not run: ${setupError.message}`, { cause: setupError });
  const report = reports.get(id);
  if (report === undefined) throw new Error(`scenario ${id} has no result (did the browser run fail?)`);
  return report;
}

describe('evaluateCors, the middleware’s spans and the collector’s verdicts on plain HTTP spans reach Chromium’s verdict for Chromium’s reason', () => {
  for (const s of SCENARIOS) {
    it(`${s.id}: ${s.title}`, () => {
      const report = reportOf(s.id);
      expect(report.engineProblems, formatReport(report)).toEqual([]);
    });
  }
});

describe('Chromium does what the scenario table documents (CORS-REFERENCE.md §6, and additions)', () => {
  for (const s of SCENARIOS) {
    it(`${s.id}: ${s.title}`, () => {
      const report = reportOf(s.id);
      expect(report.referenceProblems, formatReport(report)).toEqual([]);
    });
  }
});

describe('coverage', () => {
  it('the collector judged, from HTTP spans, every exchange Corsight’s middleware judged', () => {
    if (setupError !== undefined) throw setupError;
    expect(judgedByMiddleware.length).toBeGreaterThan(200);
    expect(judgedByCollector).toEqual(judgedByMiddleware);
  });

  for (const [reason, { blocked, allowed }] of Object.entries(REASON_COVERAGE)) {
    it(`${reason}: ${blocked} is blocked for it, ${allowed} is allowed`, () => {
      const blockedVerdict = reportOf(blocked).requests[0]?.browser;
      const allowedVerdict = reportOf(allowed).requests[0]?.browser;
      expect(blockedVerdict?.reason, describeBrowser(blockedVerdict ?? { outcome: 'allowed' })).toBe(reason);
      expect(allowedVerdict?.outcome).toBe('allowed');
    });
  }
});
