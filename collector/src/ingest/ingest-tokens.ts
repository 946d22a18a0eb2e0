// Who may send spans, and for which services (DESIGN §5: optional bearer tokens per service). A token of
// CORSIGHT_INGEST_TOKENS may send any service's spans; a token of CORSIGHT_INGEST_SERVICE_TOKENS only those
// of the services it is given for. Without any token configured, ingest is open. A team's token then cannot
// write another team's CORS data: its rows would show up in that team's charts and alerts, and a Corsight span
// naming another service would make the collector skip that service's HTTP server spans (issue 8).
import { createHash, timingSafeEqual } from 'node:crypto';
import { type AuthoriseIngest, IngestAuthError, type IngestAuth } from '../otlp/span-sink.js';

export interface IngestTokens {
  /** Tokens for any service. */
  readonly tokens: readonly string[];
  /** Tokens by the service they may send; a service may have several (rotation), a token several services. */
  readonly serviceTokens?: Readonly<Record<string, readonly string[]>>;
}

/** What a request's token allows: every service (undefined), or the services named. */
export type ServiceGrant = ReadonlySet<string> | undefined;

interface KnownToken {
  readonly digest: Buffer;
  /** undefined: any service. */
  readonly service: string | undefined;
}

// Tokens are compared as SHA-256 digests in constant time: neither the comparison nor a Set lookup on the
// raw text tells a caller how much of a guess was right. Every known token is compared, matched or not.
function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

function knownTokens(config: IngestTokens): KnownToken[] {
  const known: KnownToken[] = config.tokens.map((token) => ({ digest: digest(token), service: undefined }));
  for (const [service, tokens] of Object.entries(config.serviceTokens ?? {})) {
    for (const token of tokens) known.push({ digest: digest(token), service });
  }
  return known;
}

function refusal(token: string | undefined): IngestAuthError {
  return new IngestAuthError(
    token === undefined
      ? 'this collector requires a token: send "Authorization: Bearer <token>" (OTEL_EXPORTER_OTLP_HEADERS)'
      : 'the bearer token is not one this collector accepts (CORSIGHT_INGEST_TOKENS, CORSIGHT_INGEST_SERVICE_TOKENS)',
  );
}

/**
 * The services a request may send spans of, from its token; throws IngestAuthError for a missing or unknown
 * token when any token is configured.
 */
export function serviceGrants(config: IngestTokens): (auth: IngestAuth) => ServiceGrant {
  const known = knownTokens(config);
  if (known.length === 0) return () => undefined;
  return ({ token }) => {
    if (token === undefined) throw refusal(token);
    const candidate = digest(token);
    let matched = false;
    let anyService = false;
    let services: Set<string> | undefined;
    for (const entry of known) {
      if (!timingSafeEqual(entry.digest, candidate)) continue;
      matched = true;
      if (entry.service === undefined) anyService = true;
      else (services ??= new Set()).add(entry.service);
    }
    if (!matched) throw refusal(token);
    return anyService ? undefined : services;
  };
}

/** Throws IngestAuthError unless the request carries a token this collector accepts (none configured: any). */
export function ingestAuthoriser(config: IngestTokens): AuthoriseIngest {
  const grant = serviceGrants(config);
  return (auth) => {
    grant(auth);
  };
}

/** Whether a request with `grant` may send spans of `service`. */
export function mayIngest(grant: ServiceGrant, service: string): boolean {
  return grant === undefined || grant.has(service);
}
