import { describe, expect, it } from 'vitest';
import { headerText, isParseableUrl, resolveLocation } from './gurl-validity.js';

/** A header written as UTF-8 bytes, as node:http hands it over: one character per byte. */
const bytes = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

describe('headerText', () => {
  it.each([
    ['https://a.example', 'https://a.example'],
    [bytes('https://bücher.example'), 'https://bücher.example'],
    [bytes('https://💩.example'), 'https://💩.example'],
    // Not UTF-8: each broken sequence is one U+FFFD.
    ['https://b\u00fccher.example', 'https://b\ufffdcher.example'],
    ['https://a\u00c0\u0080.example', 'https://a\ufffd\ufffd.example'],
    // A BOM is kept: GURL sees it as a character.
    [bytes('\ufeffhttps://a.example'), '\ufeffhttps://a.example'],
    // Beyond U+00FF: decoded already by whoever recorded it.
    ['https://💩.example/ü', 'https://💩.example/ü'],
  ])('%j → %j', (value, expected) => {
    expect(headerText(value)).toBe(expected);
  });
});

// Each row as Chromium 150 classified the value as an Access-Control-Allow-Origin (true: AllowOriginMismatch,
// a URL; false: InvalidAllowOriginValue), in the oracle scenario named or a scratch run of 2026-11-28.
describe('isParseableUrl agrees with GURL', () => {
  it.each([
    ['http://evil.example', true],
    ['http://', false],
    ['example.com', false],
    ['', false],
    ['https://*.example.com', true],
    // ASCII hosts: `xn--` labels taken as written [E36, E37].
    ['https://xn--a.example', true],
    ['HTTPS://XN--A.EXAMPLE', true],
    ['https://xn--', true],
    ['https://xn--.example', true],
    ['https://xn--a-.example', true],
    ['https://xn--zz.example', true],
    ['https://example.xn--a', true],
    ['https://xn--ls8h.xn--a.example', true],
    ['https://xn--a.example:8080', true],
    ['https://u:p@xn--a.example:1', true],
    ['https://%78n--a.example', true],
    ['ws://xn--a.example', true],
    ['file://xn--a/', true],
    ['http:xn--a.example', true],
    ['ht\ttps://xn--a.example', true],
    // … still checked for what else they hold.
    ['https://xn--a<.example', false],
    ['https://xn--a.example:99999', false],
    ['https://xn--a.1', false],
    ['https://xn--a%2Fb.example', false],
    // A host beyond ASCII goes through IDNA, which checks its `xn--` labels [E38].
    [bytes('https://bücher.xn--a.example'), false],
    ['https://xn--a%C3%BC.example', false],
    [bytes('https://xn--a.ü.example'), false],
    [bytes('https://xn--bcher-kva.ü.example'), true],
    // Non-ASCII outside the host leaves the host ASCII.
    [bytes('https://ü@xn--a.example'), true],
    [bytes('https://xn--a.example/ü?ü'), true],
    // Header bytes are UTF-8 [E39, E40, E41].
    [bytes('https://💩.example'), true],
    [bytes('https://bücher.example'), true],
    [bytes('https://Ü.example'), true],
    [bytes('https://ß.example'), true],
    [bytes('https://a．example'), true],
    ['https://b\u00fccher.example', false],
    [bytes('https://a\ufffd.example'), false],
    ['https://a\u00c0\u0080.example', false],
    ['https://a.example/\u00fc', true],
    ['https://\u00fc@a.example', true],
    ['https://a.example:8\u00fc', false],
    ['\u00fchttps://a.example', false],
    [bytes('\ufeffhttps://a.example'), false],
    // A space in the host: GURL escapes it [E42, E43].
    ['https://a%20b.example', true],
    ['https://%20', true],
    ['https://1.2.3.%204', true],
    ['https://xn--a%20b.example', true],
    ['https://a b.example', true],
    ['https://xn--a b.example:8080 ', true],
    [bytes('https://app.example\u00a0'), true],
    [bytes('https://a\u3000b.example'), true],
    [bytes('https://a\u00a8b.example'), true],
    ['https://a%C2%A0b.example', true],
    [bytes('https://a.example\u00a0/'), true],
    [bytes('https://xn--a\u00a0b.example'), false],
    [bytes('https://a.example:443\u00a0'), false],
    ['https://a.example\u00a0', false],
    [bytes('https://a\ufdfab.example'), false],
    // What neither accepts in a host.
    ['https://a%09b.example', false],
    ['https://a%00.example', false],
    ['https://a^b.example', false],
    [bytes('https://a\uff3eb.example'), false],
    [bytes('https://a\u2028.example'), false],
    [bytes('https://a\u200cb.example'), false],
    ['https://a%zz.example', false],
    ['https://1.2.3.256', false],
    ['foo://a<b', false],
    ['foo://a%20b', true],
  ])('%j → %s', (value, expected) => {
    expect(isParseableUrl(value)).toBe(expected);
  });
});

// Each row as Chromium 150 followed (the URL it requested next) or refused (undefined: ERR_INVALID_REDIRECT) a
// 302 from http://127.0.0.1:48301/r/1 with that Location, in the oracle scenario named or a scratch run of
// 2026-11-28. Where GURL keeps a host the WHATWG parser refuses, the row holds the stand-in host.
describe('resolveLocation resolves like GURL', () => {
  const base = new URL('http://127.0.0.1:48301/r/1');
  it.each([
    ['/same/x', 'http://127.0.0.1:48301/same/x'],
    ['../../dotdot', 'http://127.0.0.1:48301/dotdot'],
    ['http:127.0.0.1:48302/x', 'http://127.0.0.1:48301/r/127.0.0.1:48302/x'],
    ['\\\\127.0.0.1:48302/x', 'http://127.0.0.1:48302/x'],
    ['///127.0.0.1:48302/x', 'http://127.0.0.1:48302/x'],
    ['\thttp://0x7f.1:48302/\t', 'http://127.0.0.1:48302/'],
    ['http://1.2.3.4.5:48302/', undefined],
    ['http://%zz.example/', undefined],
    // Header bytes are UTF-8 [E44, E45].
    [bytes('http://１２７.０.０.１:48302/'), 'http://127.0.0.1:48302/'],
    [bytes('http://127。0。0。1:48302/'), 'http://127.0.0.1:48302/'],
    [bytes('http://BÜCHER.example/'), 'http://xn--bcher-kva.example/'],
    [bytes('http://💩.example/'), 'http://xn--ls8h.example/'],
    [bytes('http://ß.example/'), 'http://xn--zca.example/'],
    [bytes('http://bücher.xn--a.example/'), undefined],
    ['http://b\u00fccher.example/', undefined],
    ['http://127.0.0.1:48302\u00fc/', undefined],
    // A space or an `xn--` label in an ASCII host: a stand-in host [E46, E47, E48].
    ['http://xn--a.example:48302/', 'http://xx--a.example:48302/'],
    ['HTTP://XN--.EXAMPLE/', 'http://xx--.example/'],
    ['//xn--a.example/', 'http://xx--a.example/'],
    ['\\\\u@xn--a.example/', 'http://u@xx--a.example/'],
    ['http://a b.example/', 'http://axb.example/'],
    ['http://127.0.0.1 :48302/', 'http://127.0.0.1x:48302/'],
    [bytes('http://127.0.0.1\u00a0:48302/'), 'http://127.0.0.1x:48302/'],
    ['http://a%20b.example/', 'http://axb.example/'],
    ['ftp://a b/', 'ftp://axb/'],
    ['ws://xn--a.example/', 'ws://xx--a.example/'],
    ['file://a b/x', 'file://axb/x'],
    ['foo://a b/', undefined],
  ])('%j → %j', (value, expected) => {
    expect(resolveLocation(value, base)?.href).toBe(expected);
  });
});
