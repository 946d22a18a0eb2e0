import { describe, expect, it } from 'vitest';
import { describePolicy } from './policy.js';

describe('describePolicy', () => {
  it('fingerprints the policy, insensitive to list order and spacing', () => {
    const a = describePolicy({ origin: ['https://a.example', 'https://b.example'], methods: 'GET,PUT' });
    const b = describePolicy({
      origin: ['https://a.example', 'https://b.example'],
      methods: ['PUT', ' GET'],
    });
    expect(a.hash).toMatch(/^[0-9a-f]{16}$/);
    expect(b.hash).toBe(a.hash);
  });

  it('changes the fingerprint when the allowlist changes', () => {
    const before = describePolicy({ origin: ['https://a.example', 'https://b.example'] });
    const after = describePolicy({ origin: ['https://a.example'] });
    expect(after.hash).not.toBe(before.hash);
    expect(describePolicy({ origin: /\.example\.com$/ }).hash).not.toBe(
      describePolicy({ origin: /example\.com$/ }).hash,
    );
  });

  it('knows the exact allowlist only when the policy lists origins', () => {
    expect(describePolicy({ origin: ['https://a.example'] }).allowedOrigins).toEqual(
      new Set(['https://a.example']),
    );
    expect(describePolicy({ origin: 'https://a.example' }).allowedOrigins).toEqual(
      new Set(['https://a.example']),
    );
    expect(describePolicy({ origin: '*' }).allowedOrigins).toBeUndefined();
    expect(describePolicy({ origin: true }).allowedOrigins).toBeUndefined();
    expect(describePolicy({ origin: ['https://a.example', /b/] }).allowedOrigins).toBeUndefined();
  });
});
