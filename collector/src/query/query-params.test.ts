import { describe, expect, it } from 'vitest';
import { QueryParameterError } from './query-errors.js';
import { readParameters, readSimulationRequest } from './query-params.js';

function refusedParameter(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof QueryParameterError) return error.parameter;
    throw error;
  }
  return undefined;
}

describe('readParameters', () => {
  it('reads what is there, leaves out what is not, ignores other keys', () => {
    expect(
      readParameters({ service: 'orders', limit: '25', _: '123', groupBy: 'origin' }, [
        'service',
        'limit',
        'groupBy',
        'route',
      ]),
    ).toEqual({ service: 'orders', limit: 25, groupBy: 'origin' });
  });

  it('keeps hostile text as it is when it fits', () => {
    const origin = 'https://x.test"><img src=x onerror=alert(1)>';
    expect(readParameters({ origin, route: "'; DROP TABLE x; --" }, ['origin', 'route'])).toEqual({
      origin,
      route: "'; DROP TABLE x; --",
    });
  });

  it.each([
    ['limit', { limit: '0' }],
    ['limit', { limit: '1001' }],
    ['limit', { limit: '1.5' }],
    ['limit', { limit: '-1' }],
    ['examples', { examples: '21' }],
    ['top', { top: '51' }],
    ['method', { method: 'GET\r\nX: y' }],
    ['method', { method: '' }],
    ['outcome', { outcome: 'ALLOWED' }],
    ['kind', { kind: 'summary' }],
    ['finding', { finding: 'hint' }],
    ['code', { code: 'Allow-Origin' }],
    ['origin', { origin: 'o'.repeat(513) }],
    ['route', { route: 'r'.repeat(1025) }],
    ['service', { service: ['a', 'b'] }],
    ['groupBy', { groupBy: 'origin, trace_id' }],
  ])('refuses a bad %s', (parameter, query) => {
    const names = [
      'limit',
      'examples',
      'top',
      'method',
      'outcome',
      'kind',
      'finding',
      'code',
      'origin',
      'route',
      'service',
      'groupBy',
    ] as const;
    expect(refusedParameter(() => readParameters(query, names))).toBe(parameter);
  });

  it('says what it expected and shortens what it got', () => {
    try {
      readParameters({ origin: 'x'.repeat(65_536) }, ['origin']);
    } catch (error) {
      expect(error).toBeInstanceOf(QueryParameterError);
      const body = (error as QueryParameterError).toBody();
      expect(body).toMatchObject({ error: 'bad_parameter', parameter: 'origin' });
      expect(body.message).toContain('an origin of 1–512 characters');
      expect(body.message).toContain('65536 characters');
      expect(body.message.length).toBeLessThan(300);
      return;
    }
    expect.unreachable('a 64 KiB origin was accepted');
  });
});

describe('readSimulationRequest', () => {
  it('lower-cases and trims the allowlist and keeps the rest', () => {
    expect(
      readSimulationRequest({
        allowlist: [' https://App.Example.com ', 'https://*.example.com:8443', 'null', 'http://[::1]:3000'],
        service: 'orders',
        from: 1_764_000_000_000,
        to: '2026-11-26T00:00:00Z',
      }),
    ).toEqual({
      allowlist: ['https://app.example.com', 'https://*.example.com:8443', 'null', 'http://[::1]:3000'],
      service: 'orders',
      from: '1764000000000',
      to: '2026-11-26T00:00:00Z',
      limit: undefined,
    });
  });

  it.each([
    ['body', null],
    ['body', ['https://a.example.com']],
    ['allowlist', {}],
    ['allowlist[0]', { allowlist: [1] }],
    ['allowlist[1]', { allowlist: ['https://a.example.com', `https://${'a'.repeat(300)}.example`] }],
    ['allowlist[0]', { allowlist: ['https://a.example.com/'] }],
    ['allowlist[0]', { allowlist: ['https://*example.com'] }],
    ['allowlist[0]', { allowlist: ['https://a.*.example.com'] }],
    ['allowlist[0]', { allowlist: ['ftp://a.example.com'] }],
    ['allowlist[0]', { allowlist: ['https://a.example.com"><b>'] }],
    ['service', { allowlist: [], service: '' }],
    ['limit', { allowlist: [], limit: 0 }],
  ])('refuses a bad %s', (parameter, body) => {
    expect(refusedParameter(() => readSimulationRequest(body))).toBe(parameter);
  });
});
