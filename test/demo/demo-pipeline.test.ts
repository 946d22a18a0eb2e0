// `corsight demo` end to end: a real collector (embedded chDB in a temp directory) and the demo as its own
// process, its scenario sped up 6×, so the policy change comes after 6 s. Afterwards the query API shows
// what a new user should see: every outcome, preflights, two services, the rejected origins with their
// reasons, the policy change and the origin it cut off.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCollectorConfig, type RunningCollector, startCollector } from '@corsight/collector';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runScript, type ScriptRun } from './run-script.ts';

const SPEED = 6;
const DURATION_S = 9;
const LEGACY = 'https://legacy.example.com';

let dataDir: string;
let collector: RunningCollector;
let demo: ScriptRun;
let fromMs: number;

async function api<T>(path: string): Promise<T> {
  const separator = path.includes('?') ? '&' : '?';
  const response = await fetch(
    `${collector.httpUrl}/api/v1/${path}${separator}from=${fromMs}&to=${Date.now() + 60_000}`,
  );
  if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

interface Summary {
  readonly preflights: number;
  readonly actual: number;
  readonly allowed: number;
  readonly blocked: number;
  readonly blocked_if_credentialed: number;
}
interface PolicyChanges {
  readonly changes: readonly {
    readonly service: string;
    readonly before: string;
    readonly after: string;
    readonly originsBlockedAfter: readonly { readonly origin: string; readonly blockedAfter: number }[];
  }[];
}

beforeAll(async () => {
  fromMs = Date.now() - 60_000;
  dataDir = mkdtempSync(join(tmpdir(), 'corsight-demo-'));
  collector = await startCollector(
    readCollectorConfig({
      CORSIGHT_DATA_DIR: dataDir,
      CORSIGHT_OTLP_PORT: '0',
      CORSIGHT_OTLP_GRPC_PORT: 'off',
      CORSIGHT_BATCH_AGE_MS: '100',
      CORSIGHT_LOG_LEVEL: 'silent',
    }),
  );
  demo = runScript('collector/src/cli/main.ts', [
    'demo',
    '--collector',
    collector.httpUrl,
    '--shop-port',
    '0',
    '--catalog-port',
    '0',
    '--speed',
    String(SPEED),
    '--duration',
    String(DURATION_S),
    '--seed',
    '5',
  ]);
  const { code } = await demo.exited;
  if (code !== 0) throw new Error(`corsight demo exited with ${String(code)}:\n${demo.output()}`);
  // The demo has exported everything before exiting; wait until the collector has stored the policy change.
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const { changes } = await api<PolicyChanges>('policy-changes');
    if (changes.some((change) => change.originsBlockedAfter.length > 0)) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
});

afterAll(async () => {
  if (demo.child.exitCode === null) demo.child.kill('SIGKILL');
  await collector.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('corsight demo', () => {
  it('says what it runs, announces the policy change, and stops by itself after --duration', () => {
    const output = demo.output();
    expect(output).toMatch(/demo services: shop-api http:\/\/127\.0\.0\.1:\d+ \(Fastify\), catalog-api/);
    expect(output).toContain(
      `policy change: shop-api redeployed with a new CORS allowlist; dropped ${LEGACY}`,
    );
    expect(output).toMatch(
      /demo finished: \d+ page requests \(\d+ allowed, \d+ blocked\), \d+ preflights sent/,
    );
    expect(output).not.toMatch(/failed/);
  });

  it('fills the summary: preflights, actual requests, allowed, blocked and blocked-if-credentialed', async () => {
    const summary = await api<Summary>('summary');
    expect(summary.preflights).toBeGreaterThan(20);
    expect(summary.actual).toBeGreaterThan(200);
    expect(summary.allowed).toBeGreaterThan(100);
    expect(summary.blocked).toBeGreaterThan(20);
    expect(summary.blocked_if_credentialed).toBeGreaterThan(20);
  });

  it('reports two services', async () => {
    const { services } = await api<{ services: readonly { service: string }[] }>('services');
    expect(services.map((row) => row.service).sort()).toEqual(['catalog-api', 'shop-api']);
  });

  it('lists the rejected origins with the reasons their misconfiguration causes', async () => {
    const { origins } = await api<{
      origins: readonly { origin: string; blocked: number; reasons: readonly { code: string }[] }[];
    }>('origins/rejected?limit=500');
    const byOrigin = new Map(origins.map((row) => [row.origin, row]));
    const reasons = (origin: string) => byOrigin.get(origin)?.reasons.map((reason) => reason.code) ?? [];
    expect(reasons('https://shop-example.copycat.test')).toContain('missing_allow_origin');
    expect(reasons('https://partner.example.net')).toEqual(
      expect.arrayContaining(['header_not_allowed', 'wildcard_origin_with_credentials']),
    );
    expect(reasons(LEGACY)).toContain('missing_allow_origin');
    // Scanner noise: the hostile origin (not a serialised origin, so counted as `invalid`), `null`, made-up hosts.
    expect(byOrigin.get('invalid')?.blocked).toBeGreaterThan(0);
    expect(origins.filter((row) => /^https:\/\/[0-9a-z]{8}\./.test(row.origin)).length).toBeGreaterThan(3);
    expect(byOrigin.has('https://shop.example.com')).toBe(false);
  });

  it('shows the policy change of the shop API and the origin it cut off', async () => {
    const { changes } = await api<PolicyChanges>('policy-changes');
    expect(changes).toHaveLength(1);
    const [change] = changes;
    expect(change?.service).toBe('shop-api');
    expect(change?.before).not.toBe(change?.after);
    expect(change?.originsBlockedAfter.map((row) => row.origin)).toEqual([LEGACY]);
    expect(change?.originsBlockedAfter[0]?.blockedAfter).toBeGreaterThan(5);
  });

  it('shows the mismatch codes behind the blocked requests and the missing Max-Age', async () => {
    const { codes } = await api<{ codes: readonly { code: string }[] }>('mismatches');
    expect(codes.map((row) => row.code)).toEqual(
      expect.arrayContaining([
        'missing_allow_origin',
        'header_not_allowed',
        'wildcard_origin_with_credentials',
        'max_age_missing',
      ]),
    );
  });
});
