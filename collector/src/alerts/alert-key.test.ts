// Instance ids are stored in alert_events and sent to Alertmanager: their text must never change.
import { describe, expect, it } from 'vitest';
import { keyId } from './alert-key.js';

describe('keyId', () => {
  it('is the JSON array [service, route, origin] with null for absent fields, whatever the order', () => {
    expect(keyId({ service: 'shop', origin: 'https://a.test' })).toBe('["shop",null,"https://a.test"]');
    expect(keyId({ origin: 'https://a.test', service: 'shop' })).toBe('["shop",null,"https://a.test"]');
    expect(keyId({})).toBe('[null,null,null]');
  });

  it('escapes what JSON escapes (quotes, backslashes, control characters, lone surrogates)', () => {
    for (const origin of [
      'https://x.test"><img src=x>',
      'a\\b',
      'line\nbreak',
      '\u2028',
      '\ud800',
      '<!channel>',
    ]) {
      const key = { service: 's"', route: '/r', origin };
      expect(keyId(key)).toBe(JSON.stringify([key.service, key.route, key.origin]));
    }
  });
});
