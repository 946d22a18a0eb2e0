import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { DASHBOARD_NODE_FLAGS, readAllowlist } from './allowlist-param';

describe('readAllowlist', () => {
  it.each([
    [undefined, undefined],
    ['', []],
    ['https://a.test\r\nhttps://b.test, https://a.test', ['https://a.test', 'https://b.test']],
    [
      ['https://a.test', 'https://*.b.test'],
      ['https://a.test', 'https://*.b.test'],
    ],
  ])('%j → %j', (value, expected) => {
    expect(readAllowlist(value)).toEqual(expected);
  });
});

it('is started with the header size a long simulation needs by the package script too', () => {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    scripts: Record<string, string>;
  };
  for (const flag of DASHBOARD_NODE_FLAGS) expect(manifest.scripts.start).toContain(flag);
});
