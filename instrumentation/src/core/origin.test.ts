import { describe, expect, it } from 'vitest';
import { explainOriginMismatch, isLoopbackOrigin, isSerialisedOrigin, serialiseOrigin } from './origin.js';

describe('isSerialisedOrigin', () => {
  it.each([
    ['https://app.example.com', true],
    ['http://localhost:8001', true],
    ['http://[::1]:3000', true],
    ['chrome-extension://abcdef', true],
    ['null', true],
    ['https://app.example.com/', false],
    ['https://app.example.com/path', false],
    ['app.example.com', false],
    ['https://user@app.example.com', false],
    ['', false],
    [`https://${'a'.repeat(600)}.com`, false],
    ['https://a.com, https://b.com', false],
    // Written otherwise than a browser writes it: never sent by one, and each would count apart.
    ['https://App.Example.com', false],
    ['HTTPS://app.example.com', false],
    ['https://app.example.com:443', false],
    ['http://app.example.com:80', false],
    ['https://app.example.com:0443', false],
    ['https://ünïcode.example', false],
    ['https://xn--ncode-cta3g.example', true],
    ['https://ctl\u0001\u007f.example', false],
    ['https://app.example.com:8443', true],
    ['http://127.0.0.1:8080', true],
    ['safari-web-extension://5C2A1E0B-8B7B-4C55-9C1B-1D3D8E2B6F00', true],
    // An opaque host serialises in printable ASCII: a bidi override would show `gnp.exe` as `exe.png`.
    ['chrome-extension://\u202egnp.exe', false],
    ['x-esc://\u001bcred', false],
    ['moz-extension://ünïcode', false],
  ])('%s → %s', (value, expected) => {
    expect(isSerialisedOrigin(value)).toBe(expected);
  });
});

describe('serialiseOrigin', () => {
  it('drops path, default port and case', () => {
    expect(serialiseOrigin('HTTPS://API.Example.com:443/v1?x')).toBe('https://api.example.com');
    expect(serialiseOrigin('http://127.0.0.1:8080/')).toBe('http://127.0.0.1:8080');
    expect(serialiseOrigin('not a url')).toBeUndefined();
    expect(serialiseOrigin('data:text/plain,x')).toBeUndefined();
  });
});

describe('explainOriginMismatch', () => {
  const O = 'http://localhost:8001';
  it.each([
    [`${O}/`, ['trailing_slash']],
    [`${O}/path`, ['path_or_query']],
    [`${O}?x=1`, ['path_or_query']],
    ['HTTP://LOCALHOST:8001', ['case']],
    ['https://localhost:8001', ['scheme']],
    ['http://127.0.0.1:8001', ['loopback_alias']],
    ['http://localhost:8002', ['port']],
    ['null', ['null_vs_origin']],
    ['https://*.example.com', ['wildcard_pattern']],
    ['http://evil.example', ['other_host', 'port']],
  ])('%s → %j', (allowed, hints) => {
    expect(explainOriginMismatch(allowed, O)).toEqual(hints);
  });
  it('sees www and explicit default ports', () => {
    expect(explainOriginMismatch('https://www.example.com', 'https://example.com')).toEqual(['www']);
    expect(explainOriginMismatch('https://example.com:443', 'https://example.com')).toEqual(['port']);
    // Only the scheme differs: the ports 80 and 443 it implies are no second difference.
    expect(explainOriginMismatch('http://app.example.com', 'https://app.example.com')).toEqual(['scheme']);
    expect(explainOriginMismatch('http://app.example.com:8443', 'https://app.example.com')).toEqual([
      'scheme',
      'port',
    ]);
    expect(explainOriginMismatch('https://example.com', 'null')).toEqual(['null_vs_origin']);
  });
  it('knows loopback origins', () => {
    expect(isLoopbackOrigin('http://127.0.0.2:1')).toBe(true);
    expect(isLoopbackOrigin('http://app.localhost')).toBe(true);
    expect(isLoopbackOrigin('http://example.com')).toBe(false);
  });
});
