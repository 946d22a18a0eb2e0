import { describe, expect, it } from 'vitest';
import { checkAccess } from './access-check.js';
import type { ReasonCode } from './codes.js';
import { newFindings } from './findings.js';
import { readResponse } from './response-facts.js';

const ORIGIN = 'http://localhost:8001';
/** A header written as UTF-8 bytes, as node:http hands it over: one character per byte. */
const bytes = (text: string) => Buffer.from(text, 'utf8').toString('latin1');

function reasonFor(allowOrigin: string): ReasonCode | undefined {
  const findings = newFindings();
  const response = readResponse({ status: 200, headers: { 'access-control-allow-origin': allowOrigin } });
  checkAccess(ORIGIN, response, false, findings, undefined);
  return findings.reasons?.[0];
}

// Chromium's classification of an Access-Control-Allow-Origin that is not the origin (cors.cc CheckAccess),
// as Chromium 150 made it in the oracle scenarios named.
describe('checkAccess classifies a value that is not the origin like Chromium', () => {
  it.each<[string, string, ReasonCode | undefined]>([
    ['S01', ORIGIN, undefined],
    ['S06', `${ORIGIN}, http://other.example`, 'multiple_allow_origin'],
    ['S10', 'null', 'allow_origin_mismatch'],
    ['S09', 'http://', 'invalid_allow_origin'],
    ['A02', 'example.com', 'invalid_allow_origin'],
    ['S04', 'http://evil.example', 'allow_origin_mismatch'],
    ['E36', 'https://xn--a.example', 'allow_origin_mismatch'],
    ['E37', 'HTTPS://XN--.EXAMPLE', 'allow_origin_mismatch'],
    ['E38', bytes('https://bücher.xn--a.example'), 'invalid_allow_origin'],
    ['E39', bytes('https://💩.example'), 'allow_origin_mismatch'],
    ['E40', 'https://b\u00fccher.example', 'invalid_allow_origin'],
    ['E41', 'https://app.example/\u00fc', 'allow_origin_mismatch'],
    ['E42', bytes('https://app.example\u00a0'), 'allow_origin_mismatch'],
    ['E43', 'https://app%20.example', 'allow_origin_mismatch'],
  ])('%s: %j → %s', (_id, allowOrigin, reason) => {
    expect(reasonFor(allowOrigin)).toBe(reason);
  });
});
