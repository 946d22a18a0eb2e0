import { describe, expect, it } from 'vitest';
import { apiInstant, apiRange, readView, UNNARROWED, viewHref } from './view-params';

const NOW = Date.UTC(2026, 10, 26, 12, 0, 0);

describe('readView', () => {
  it.each([
    [{}, { range: '24h', refresh: false }],
    [
      { range: '7d', service: 'orders-api' },
      { range: '7d', service: 'orders-api' },
    ],
    [{ range: 'bogus' }, { range: '24h', unknownRange: 'bogus' }],
    [{ range: '1h' }, { range: '1h', unknownRange: undefined }],
    [
      { range: '7d', from: '2026-11-01T00:00' },
      { range: 'custom', from: '2026-11-01T00:00' },
    ],
    [
      { range: '7d', from: '', to: '  ' },
      { range: '7d', from: undefined, to: undefined },
    ],
    [
      { service: ['a', 'b'], refresh: '1' },
      { service: 'a', refresh: true },
    ],
    [
      { sort: 'origin', dir: 'up' },
      { sort: 'origin', dir: undefined },
    ],
    [
      { route: '/orders/:id', code: 'allow_origin_mismatch' },
      { route: '/orders/:id', code: 'allow_origin_mismatch' },
    ],
  ])('%j → %j', (params, expected) => {
    expect(readView(params)).toMatchObject(expected);
  });
});

describe('apiRange', () => {
  it('a preset ends now', () => {
    expect(apiRange(readView({ range: '1h' }), NOW)).toEqual({
      from: '2026-11-26T11:00:00.000Z',
      to: '2026-11-26T12:00:00.000Z',
    });
    expect(apiRange(readView({ range: '15m' }), NOW)).toEqual({
      from: '2026-11-26T11:45:00.000Z',
      to: '2026-11-26T12:00:00.000Z',
    });
  });

  it('custom bounds without a zone are UTC; others pass through', () => {
    expect(apiRange(readView({ from: '2026-11-01T08:30', to: '1764158400000' }), NOW)).toEqual({
      from: '2026-11-01T08:30Z',
      to: '1764158400000',
    });
    expect(apiInstant('2026-11-01T08:30:00+02:00')).toBe('2026-11-01T08:30:00+02:00');
  });
});

describe('viewHref', () => {
  const view = readView({ range: '7d', service: 'orders-api', origin: 'https://x.test"><b>' });

  it('keeps the view and encodes values', () => {
    expect(viewHref('/origins', view)).toBe(
      '/origins?range=7d&service=orders-api&origin=https%3A%2F%2Fx.test%22%3E%3Cb%3E',
    );
  });

  it('UNNARROWED leaves the origin, route, code and sort, keeping range and service', () => {
    const narrowed = readView({
      range: '7d',
      service: 'orders-api',
      origin: 'https://a.test',
      route: '/orders',
      code: 'x',
      sort: 'origin',
      dir: 'asc',
    });
    expect(viewHref('/routes', narrowed, UNNARROWED)).toBe('/routes?range=7d&service=orders-api');
    expect(viewHref('/mismatches', narrowed, { ...UNNARROWED, route: '/orders/:id' })).toBe(
      '/mismatches?range=7d&service=orders-api&route=%2Forders%2F%3Aid',
    );
  });

  it('a preset drops custom bounds and the default preset leaves the URL', () => {
    const custom = readView({ from: '2026-11-01T00:00', to: '2026-11-02T00:00' });
    expect(viewHref('/', custom, { range: '24h' })).toBe('/');
    expect(viewHref('/', view, { origin: undefined, service: undefined })).toBe('/?range=7d');
  });
});
