// The configured CORS policy, when the application tells it: a fingerprint that changes when the allowlist
// changes (the dashboard marks the moment), and the allowlist itself for the engine's
// origin_reflected_with_credentials warning. Takes the options object @fastify/cors and the cors package
// share, so users can pass the same object to both.
import { createHash } from 'node:crypto';

type OriginRule = string | RegExp;

export interface CorsPolicy {
  readonly origin?:
    boolean | OriginRule | readonly (boolean | OriginRule)[] | ((...args: never[]) => unknown) | undefined;
  readonly methods?: string | readonly string[] | undefined;
  readonly allowedHeaders?: string | readonly string[] | undefined;
  readonly exposedHeaders?: string | readonly string[] | undefined;
  readonly credentials?: boolean | undefined;
  readonly maxAge?: number | undefined;
}

export interface PolicyFacts {
  /** 16 hex digits of SHA-256 over the policy's canonical form. */
  readonly hash: string;
  /** The exact origins allowed, when the policy lists them (no patterns, no function). */
  readonly allowedOrigins: ReadonlySet<string> | undefined;
}

function canonical(value: unknown): unknown {
  if (value instanceof RegExp) return { regexp: value.source, flags: value.flags };
  if (typeof value === 'function') return { function: value.toString() };
  if (Array.isArray(value)) return value.map(canonical);
  if (typeof value === 'string') return value;
  return value ?? null;
}

function listOf(value: string | readonly string[] | undefined): string[] | null {
  if (value === undefined) return null;
  const items = typeof value === 'string' ? value.split(',') : [...value];
  return items.map((item) => item.trim()).sort();
}

export function describePolicy(policy: CorsPolicy): PolicyFacts {
  const form = {
    origin: canonical(policy.origin),
    methods: listOf(policy.methods),
    allowedHeaders: listOf(policy.allowedHeaders),
    exposedHeaders: listOf(policy.exposedHeaders),
    credentials: policy.credentials ?? null,
    maxAge: policy.maxAge ?? null,
  };
  const hash = createHash('sha256').update(JSON.stringify(form)).digest('hex').slice(0, 16);
  const origin = policy.origin;
  let allowedOrigins: ReadonlySet<string> | undefined;
  if (typeof origin === 'string' && origin !== '*') allowedOrigins = new Set([origin]);
  else if (Array.isArray(origin) && origin.every((o): o is string => typeof o === 'string')) {
    allowedOrigins = new Set(origin);
  }
  return { hash, allowedOrigins };
}
