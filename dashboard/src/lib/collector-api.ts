// The one place the dashboard talks to the collector: GET /api/v1/<path> on CORSIGHT_API_URL with the
// optional read token, from server components only (the token never reaches a browser). Failures become a
// CollectorApiError whose message says what to do, shown in the page instead of a blank screen. Changes to
// alert rules and silences (server actions only) go through `changeApi` with CORSIGHT_ADMIN_TOKEN and come
// back as a result, so a refusal is shown beside the form that caused it.
import type { AlertApiRefusal } from '@corsight/collector/api-types';
import { refusalText } from './alert-format';
export const DEFAULT_API_URL = 'http://127.0.0.1:4318';

export class CollectorApiError extends Error {
  override readonly name = 'CollectorApiError';
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
}

export type ApiParams = Readonly<Record<string, string | undefined>>;

function apiBase(): string {
  const base = process.env.CORSIGHT_API_URL ?? DEFAULT_API_URL;
  if (!/^https?:\/\//.test(base)) {
    throw new CollectorApiError(`CORSIGHT_API_URL must be an http(s) URL, got "${base}"`, undefined);
  }
  return base.replace(/\/+$/, '');
}

/**
 * The collector's base URL as a service should be told it (scheme, host and port only: no credentials or
 * path from CORSIGHT_API_URL). The query API and OTLP/HTTP share that port.
 */
export function collectorOrigin(): string {
  return new URL(apiBase()).origin;
}

async function errorText(response: Response): Promise<string> {
  const text = await response.text().catch(() => '');
  try {
    const body = JSON.parse(text) as { message?: unknown };
    if (typeof body.message === 'string') return body.message;
  } catch {
    // Not JSON: show the start of whatever came back.
  }
  return text.slice(0, 300);
}

/** GET /api/v1/<path>?<params>; parameters left undefined are not sent. */
export async function getApi<T>(path: string, params: ApiParams = {}): Promise<T> {
  const url = new URL(`${apiBase()}/api/v1${path}`);
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') url.searchParams.set(name, value);
  }
  return request<T>(url, path, { method: 'GET' });
}

/** POST /api/v1/<path> with a JSON body (the allowlist simulator). */
export async function postApi<T>(path: string, body: unknown): Promise<T> {
  const url = new URL(`${apiBase()}/api/v1${path}`);
  return request<T>(url, path, {
    method: 'POST',
    body: JSON.stringify(body),
    contentType: 'application/json',
  });
}

/**
 * How long a page waits for the collector (CORSIGHT_API_TIMEOUT_MS, default 30 s). Without a limit undici
 * waits 300 s for an answer's headers, and a collector that takes the connection but never answers (hung, or
 * a wrong port) left pages on "Loading…" for five minutes, then blamed an unreachable collector.
 */
export const DEFAULT_COLLECTOR_TIMEOUT_MS = 30_000;

function collectorTimeoutMs(): number {
  const configured = Number(process.env.CORSIGHT_API_TIMEOUT_MS);
  return Number.isSafeInteger(configured) && configured > 0 ? configured : DEFAULT_COLLECTOR_TIMEOUT_MS;
}

/** Why a fetch to the collector failed, in words that say what to do. */
function unreachable(error: unknown, base: string, timeoutMs: number): string {
  if (error instanceof Error && error.name === 'TimeoutError') {
    return (
      `The collector at ${base} did not answer within ${String(timeoutMs / 1000)} s. Check that ` +
      'CORSIGHT_API_URL points at its HTTP port and that it is not overloaded (its /metrics and log say).'
    );
  }
  const cause = error instanceof Error ? error.message : String(error);
  return `Cannot reach the collector's query API at ${base} (${cause}). Start the collector (corsight start) or point CORSIGHT_API_URL at it.`;
}

async function request<T>(
  url: URL,
  path: string,
  init: { method: 'GET' | 'POST'; body?: string; contentType?: string },
): Promise<T> {
  const base = url.origin;
  const headers: Record<string, string> = { accept: 'application/json' };
  if (init.contentType !== undefined) headers['content-type'] = init.contentType;
  const token = process.env.CORSIGHT_READ_TOKEN;
  if (token !== undefined && token !== '') headers.authorization = `Bearer ${token}`;
  const timeoutMs = collectorTimeoutMs();
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method,
      headers,
      cache: 'no-store',
      signal: AbortSignal.timeout(timeoutMs),
      ...(init.body === undefined ? {} : { body: init.body }),
    });
  } catch (error) {
    throw new CollectorApiError(unreachable(error, base, timeoutMs), undefined);
  }
  if (response.status === 401) {
    throw new CollectorApiError(
      'The collector refused the read token: set CORSIGHT_READ_TOKEN to one of its CORSIGHT_READ_TOKENS.',
      401,
    );
  }
  if (!response.ok) {
    throw new CollectorApiError(
      `The query API answered ${response.status} to ${path}: ${await errorText(response)}`,
      response.status,
    );
  }
  return (await response.json()) as T;
}

export type ChangeResult<T> =
  | { readonly ok: true; readonly data: T }
  | {
      readonly ok: false;
      readonly status: number | undefined;
      readonly message: string;
      /** The refusal's parsed JSON body, when there was one. */
      readonly body?: unknown;
    };

/**
 * A change to the alerting API (`POST`/`PUT`/`DELETE /api/v1/<path>`) with the admin token
 * (CORSIGHT_ADMIN_TOKEN; the read token when none is set, for a collector without admin tokens). Never
 * throws for a refusal or an unreachable collector: the result says what went wrong and what to do.
 */
export async function changeApi<T>(
  method: 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<ChangeResult<T>> {
  let url: URL;
  try {
    url = new URL(`${apiBase()}/api/v1${path}`);
  } catch (error) {
    return { ok: false, status: undefined, message: (error as Error).message };
  }
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const admin = process.env.CORSIGHT_ADMIN_TOKEN;
  const read = process.env.CORSIGHT_READ_TOKEN;
  const token = admin !== undefined && admin !== '' ? admin : read;
  if (token !== undefined && token !== '') headers.authorization = `Bearer ${token}`;
  const timeoutMs = collectorTimeoutMs();
  let response: Response;
  try {
    response = await fetch(url, {
      method,
      headers,
      cache: 'no-store',
      signal: AbortSignal.timeout(timeoutMs),
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
  } catch (error) {
    return { ok: false, status: undefined, message: unreachable(error, url.origin, timeoutMs) };
  }
  const text = await response.text().catch(() => '');
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (!response.ok) {
    const refusal =
      typeof parsed === 'object' && parsed !== null
        ? (parsed as Partial<AlertApiRefusal>)
        : { message: text.slice(0, 300) };
    return {
      ok: false,
      status: response.status,
      message: refusalText(response.status, refusal),
      body: parsed,
    };
  }
  return { ok: true, data: parsed as T };
}
