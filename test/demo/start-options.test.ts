import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DASHBOARD_BUILD_ID, DASHBOARD_SOURCES, dashboardBuildState } from '../../scripts/start-build.ts';
import { parseStartOptions, StartUsageError } from '../../scripts/start-options.ts';
import { prefixLine } from '../../scripts/start-output.ts';

describe('parseStartOptions', () => {
  it('defaults: collector 4318/4317, dashboard 3000, no demo', () => {
    expect(parseStartOptions([], {})).toEqual({
      demo: false,
      dashboard: true,
      port: 4318,
      grpcPort: 4317,
      dashboardPort: 3000,
      dataDir: undefined,
      demoSpeed: undefined,
      shopPort: 4400,
      catalogPort: 4401,
      inventoryPort: 4402,
      help: false,
    });
  });

  it('reads flags, and the collector ports from CORSIGHT_* when no flag says otherwise', () => {
    const env = { CORSIGHT_OTLP_PORT: '5318', CORSIGHT_OTLP_GRPC_PORT: 'off' };
    expect(parseStartOptions(['--demo', '--no-dashboard', '--dashboard-port', '3100'], env)).toMatchObject({
      demo: true,
      dashboard: false,
      port: 5318,
      grpcPort: 'off',
      dashboardPort: 3100,
    });
    expect(
      parseStartOptions(
        [
          '--demo',
          '--port',
          '6000',
          '--grpc-port',
          '6001',
          '--shop-port',
          '7000',
          '--catalog-port',
          '7001',
          '--inventory-port',
          '7002',
        ],
        env,
      ),
    ).toMatchObject({ port: 6000, grpcPort: 6001, shopPort: 7000, catalogPort: 7001, inventoryPort: 7002 });
  });

  it.each([
    [['--port', '0'], /--port must be a port number 1–65535, got "0"/],
    [['--dashboard-port', '99999'], /--dashboard-port/],
    [['--demo=yes'], /demo/],
    [['--colour'], /Unknown option '--colour'/],
    // The demo's options are checked before anything starts, and only taken with --demo.
    [['--demo', '--demo-speed', 'fast'], /--demo-speed must be a number above 0/],
    [
      ['--demo', '--shop-port', '7003', '--catalog-port', '7003'],
      /--shop-port and --catalog-port must differ/,
    ],
    [['--shop-port', '7000'], /--shop-port is an option of the demo: add --demo/],
  ])('refuses %j', (args, message) => {
    expect(() => parseStartOptions(args, {})).toThrow(StartUsageError);
    expect(() => parseStartOptions(args, {})).toThrow(message);
  });
});

describe('dashboardBuildState', () => {
  const root = mkdtempSync(join(tmpdir(), 'corsight-build-state-'));
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });
  const write = (path: string, secondsAgo: number) => {
    const full = join(root, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, 'x');
    const at = Date.now() / 1000 - secondsAgo;
    utimesSync(full, at, at);
    // Directory times count too (a deleted source changes its directory): age the ones just created.
    for (let dir = dirname(full); dir.length > root.length; dir = dirname(dir)) utimesSync(dir, 0, 0);
  };

  it('is missing without a BUILD_ID, fresh when it is newer than every source, stale otherwise', () => {
    write('dashboard/src/app/page.tsx', 100);
    write('dashboard/package.json', 100);
    expect(dashboardBuildState(root)).toBe('missing');
    write(DASHBOARD_BUILD_ID, 50);
    expect(dashboardBuildState(root)).toBe('fresh');
    write('dashboard/src/app/page.tsx', 10);
    expect(dashboardBuildState(root)).toBe('stale');
    expect(DASHBOARD_SOURCES).toContain('dashboard/src');
  });
});

describe('prefixLine', () => {
  it('puts the part name in a fixed-width column, coloured only when asked', () => {
    expect(prefixLine('demo', 'hello', false)).toBe('demo      │ hello');
    expect(prefixLine('collector', 'x', true)).toBe('\x1b[36mcollector\x1b[0m │ x');
  });
});
