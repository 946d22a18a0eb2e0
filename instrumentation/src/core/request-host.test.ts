import { describe, expect, it } from 'vitest';
import type { RequestHeaders } from './request-facts.js';
import { requestHost } from './request-host.js';

describe('requestHost', () => {
  it.each<[string, RequestHeaders, string | undefined]>([
    ['HTTP/1.1 Host', { host: 'api.example:8080' }, 'api.example:8080'],
    ['HTTP/2 :authority with no Host', { ':authority': 'api.example' }, 'api.example'],
    [
      'Host beside :authority (Fastify reads Host first)',
      { host: 'a.example', ':authority': 'b.example' },
      'a.example',
    ],
    ['neither', {}, undefined],
    ['an empty Host', { host: '' }, undefined],
    [
      'a repeated :authority, as no valid request has one',
      { ':authority': ['a.example', 'b.example'] },
      undefined,
    ],
  ])('%s', (_, headers, expected) => {
    expect(requestHost(headers)).toBe(expected);
  });
});
