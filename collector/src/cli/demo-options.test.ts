import { describe, expect, it } from 'vitest';
import { DEMO_DEFAULTS, DemoUsageError, parseDemoOptions, type RawDemoOptions } from './demo-options.js';

describe('parseDemoOptions', () => {
  it('defaults to the local collector, fixed ports, real time, until stopped', () => {
    expect(parseDemoOptions({})).toEqual({
      collectorUrl: DEMO_DEFAULTS.collector,
      shopPort: 4400,
      catalogPort: 4401,
      inventoryPort: 4402,
      durationSeconds: undefined,
      speed: 1,
      seed: 1,
    });
  });

  it('reads every option', () => {
    expect(
      parseDemoOptions({
        collector: 'http://127.0.0.1:9999/',
        shopPort: '0',
        catalogPort: '5000',
        inventoryPort: '5001',
        duration: '12.5',
        speed: '4',
        seed: '-3',
      }),
    ).toEqual({
      collectorUrl: 'http://127.0.0.1:9999',
      shopPort: 0,
      catalogPort: 5000,
      inventoryPort: 5001,
      durationSeconds: 12.5,
      speed: 4,
      seed: -3,
    });
  });

  it.each<[RawDemoOptions, string, RegExp]>([
    [{ collector: 'localhost:4318' }, 'invalid_url', /--collector must be .* got "localhost:4318"/],
    [{ collector: 'ftp://x' }, 'invalid_url', /--collector/],
    [{ shopPort: '70000' }, 'invalid_port', /--shop-port must be a port number/],
    [{ catalogPort: 'abc' }, 'invalid_port', /--catalog-port/],
    [{ duration: '0' }, 'invalid_duration', /--duration must be a number of seconds above 0/],
    [{ duration: 'soon' }, 'invalid_duration', /got "soon"/],
    [{ speed: '0' }, 'invalid_speed', /--speed must be/],
    [{ speed: '100' }, 'invalid_speed', /at most 20/],
    [{ seed: '1.5' }, 'invalid_seed', /--seed must be an integer/],
    [
      { shopPort: '5000', inventoryPort: '5000' },
      'invalid_port',
      /--shop-port and --inventory-port must differ/,
    ],
    [{ inventoryPort: '-1' }, 'invalid_port', /--inventory-port must be a port number/],
  ])('refuses %j with %s', (raw, code, message) => {
    let caught: unknown;
    try {
      parseDemoOptions(raw);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(DemoUsageError);
    expect((caught as DemoUsageError).code).toBe(code);
    expect((caught as DemoUsageError).message).toMatch(message);
  });
});
