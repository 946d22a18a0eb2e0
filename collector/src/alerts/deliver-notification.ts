// Delivery: the one adapter here that does I/O. Each channel request is POSTed with a timeout and retried
// with backoff; every attempt is recorded (for `alert_events` and the dashboard's deliveries list) and the
// function never throws: a dead or slow endpoint costs at most `maxAttempts × timeout + backoff` of this
// promise's time and nothing else. The evaluator does not await deliveries it does not need. A stopping
// collector interrupts them through `signal` rather than wait minutes for a dead receiver (alert-loop.ts).
//
// Retried: connection errors, timeouts, 408, 425, 429 and 5xx (honouring Retry-After up to the backoff cap).
// Not retried: other 4xx (a wrong URL or a revoked Slack webhook will not heal by itself) and redirects
// (not followed: a webhook that redirects is misconfigured, and following it would send the body elsewhere).
import { fetch } from 'undici';
import { backoffDelayMs, type BackoffPolicy } from '../ingest/backoff.js';
import type { AlertNotification } from './alert-evaluator.js';
import type { AlertChannel } from './alert-rule.js';
import { buildAlertmanagerRequest } from './alertmanager-payload.js';
import type { ChannelRequest } from './channel-request.js';
import { capText } from './notification-text.js';
import { buildSlackRequest } from './slack-payload.js';
import { buildWebhookRequest, type NotificationRenderOptions } from './webhook-payload.js';

export interface DeliveryAttempt {
  readonly attempt: number;
  readonly startedAtMs: number;
  readonly durationMs: number;
  /** HTTP status, when a response arrived. */
  readonly status?: number;
  /** What went wrong (`timeout after 2000 ms`, `ECONNREFUSED`, `HTTP 500: …`), when something did. */
  readonly error?: string;
}

export interface DeliveryRecord {
  readonly channelId: string;
  readonly channelType: AlertChannel['type'] | 'unknown';
  readonly ok: boolean;
  readonly attempts: readonly DeliveryAttempt[];
}

export interface DeliveryOptions {
  /** Per attempt, connection to end of the response body. */
  readonly timeoutMs: number;
  readonly maxAttempts: number;
  readonly backoff: BackoffPolicy;
  /** Injected for tests; real time by default. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  readonly random?: () => number;
  /**
   * Interrupts the delivery (the collector is stopping): the attempt in flight is abandoned, the wait before
   * the next one ends, and no other starts. The result then is not ok; whether the receiver got the attempt
   * in flight is unknown.
   */
  readonly signal?: AbortSignal;
}

/**
 * Eight attempts over two to four minutes (waits of up to 2, 4, 8, 16, 32, 60 and 60 s, at least half of
 * each; up to 5 s per attempt): a receiver that is down for a few minutes (a Slack incident, an Alertmanager
 * being redeployed) still gets the page. Four attempts within ~15 s lost it, and the next word was the
 * reminder hours later.
 */
export const DEFAULT_DELIVERY: DeliveryOptions = {
  timeoutMs: 5000,
  maxAttempts: 8,
  backoff: { initialDelayMs: 2000, maxDelayMs: 60_000, factor: 2 },
};

const RETRIABLE_STATUS = new Set([408, 425, 429]);
const ERROR_BODY_MAX = 200;

function describeError(error: unknown, timeoutMs: number): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return `timeout after ${timeoutMs} ms`;
    const cause = (error as Error & { cause?: unknown }).cause;
    if (cause instanceof Error) {
      const code = (cause as NodeJS.ErrnoException).code;
      return capText(code === undefined ? cause.message : `${code}: ${cause.message}`, ERROR_BODY_MAX);
    }
    return capText(error.message, ERROR_BODY_MAX);
  }
  return capText(String(error), ERROR_BODY_MAX);
}

/** Retry-After in seconds or as an HTTP date, in ms from now; undefined when absent or unreadable. */
function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (header === null) return undefined;
  if (/^\d{1,6}$/.test(header.trim())) return Number(header.trim()) * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

const realSleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref();
  });

// The two helpers below listen on the stop signal and remove their listener when done, rather than use
// AbortSignal.any: the stop signal lives as long as the collector, and on Node 20 each AbortSignal.any over it
// stays attached to it (nodejs/node#55351), one per attempt for the life of the process.

/** A signal for one attempt: aborts after `timeoutMs`, or when `stop` does. `release` when the attempt ends. */
function attemptSignal(
  timeoutMs: number,
  stop: AbortSignal | undefined,
): { signal: AbortSignal; release: () => void } {
  const timeout = AbortSignal.timeout(timeoutMs);
  if (stop === undefined) return { signal: timeout, release: () => undefined };
  const controller = new AbortController();
  const abort = (): void => {
    controller.abort(timeout.aborted ? timeout.reason : stop.reason);
  };
  timeout.addEventListener('abort', abort, { once: true });
  stop.addEventListener('abort', abort, { once: true });
  if (stop.aborted) abort();
  return {
    signal: controller.signal,
    release: () => {
      timeout.removeEventListener('abort', abort);
      stop.removeEventListener('abort', abort);
    },
  };
}

/** Waits `ms`, or until `stop` aborts. */
async function pause(
  sleep: (ms: number) => Promise<void>,
  ms: number,
  stop: AbortSignal | undefined,
): Promise<void> {
  if (stop === undefined) return sleep(ms);
  if (stop.aborted) return;
  let wake = (): void => undefined;
  const stopped = new Promise<void>((resolve) => {
    wake = () => {
      resolve();
    };
  });
  stop.addEventListener('abort', wake, { once: true });
  try {
    await Promise.race([sleep(ms), stopped]);
  } finally {
    stop.removeEventListener('abort', wake);
  }
}

/** POSTs `request`, retrying as described above. Never throws. */
export async function deliverRequest(
  request: ChannelRequest,
  options: DeliveryOptions = DEFAULT_DELIVERY,
): Promise<{ ok: boolean; attempts: DeliveryAttempt[] }> {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? realSleep;
  const random = options.random ?? Math.random;
  const attempts: DeliveryAttempt[] = [];
  const { signal } = options;
  // A function, not `signal?.aborted` itself: TypeScript would keep that narrowed across the awaits.
  const interrupted = (): boolean => signal?.aborted === true;
  for (let attempt = 1; attempt <= options.maxAttempts; attempt += 1) {
    if (interrupted()) break;
    const startedAtMs = now();
    const started = performance.now();
    let retryAfter: number | undefined;
    let retriable = true;
    const attemptAbort = attemptSignal(options.timeoutMs, signal);
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: request.headers,
        body: request.body,
        redirect: 'manual',
        signal: attemptAbort.signal,
      });
      // Read the whole body inside the timeout: a receiver that answers headers and then stalls is slow too.
      const text = await response.text();
      const durationMs = Math.round(performance.now() - started);
      if (response.status >= 200 && response.status < 300) {
        attempts.push({ attempt, startedAtMs, durationMs, status: response.status });
        return { ok: true, attempts };
      }
      retriable = response.status >= 500 || RETRIABLE_STATUS.has(response.status);
      retryAfter = retryAfterMs(response.headers.get('retry-after'), now());
      const snippet =
        text.trim() === '' ? '' : `: ${capText(text.trim().replace(/\s+/g, ' '), ERROR_BODY_MAX)}`;
      attempts.push({
        attempt,
        startedAtMs,
        durationMs,
        status: response.status,
        error: `HTTP ${response.status}${snippet}`,
      });
    } catch (error) {
      attempts.push({
        attempt,
        startedAtMs,
        durationMs: Math.round(performance.now() - started),
        error: interrupted() ? 'interrupted' : describeError(error, options.timeoutMs),
      });
    } finally {
      attemptAbort.release();
    }
    if (!retriable || attempt === options.maxAttempts) break;
    const delay = backoffDelayMs(attempt, options.backoff, random());
    await pause(sleep, Math.min(options.backoff.maxDelayMs, Math.max(delay, retryAfter ?? 0)), signal);
  }
  return { ok: false, attempts };
}

/** The request a channel sends for a notification. */
export function channelRequest(
  channel: AlertChannel,
  notification: AlertNotification,
  options: NotificationRenderOptions,
): ChannelRequest {
  switch (channel.type) {
    case 'webhook':
      return buildWebhookRequest(channel, notification, options);
    case 'slack':
      return buildSlackRequest(channel, notification, options);
    case 'alertmanager':
      return buildAlertmanagerRequest(channel, notification, options);
    default: {
      const unexpected: never = channel;
      throw new Error(`unhandled channel type ${JSON.stringify(unexpected)}`);
    }
  }
}

/**
 * Sends a notification to one channel and records the delivery. A channel id that is not configured (a rule
 * edited since) is recorded as failed without an attempt. Never throws.
 */
export async function deliverToChannel(
  notification: AlertNotification,
  channelId: string,
  channels: readonly AlertChannel[],
  render: Omit<NotificationRenderOptions, 'nowMs'>,
  options: DeliveryOptions = DEFAULT_DELIVERY,
): Promise<DeliveryRecord> {
  const now = options.now ?? Date.now;
  const channel = channels.find((candidate) => candidate.id === channelId);
  if (channel === undefined) {
    return {
      channelId,
      channelType: 'unknown',
      ok: false,
      attempts: [{ attempt: 0, startedAtMs: now(), durationMs: 0, error: 'no such channel' }],
    };
  }
  try {
    const request = channelRequest(channel, notification, { ...render, nowMs: now() });
    const result = await deliverRequest(request, options);
    return { channelId, channelType: channel.type, ...result };
  } catch (error) {
    // Building a request is pure and should not fail; if it does, it is recorded, never thrown.
    return {
      channelId,
      channelType: channel.type,
      ok: false,
      attempts: [{ attempt: 0, startedAtMs: now(), durationMs: 0, error: describeError(error, 0) }],
    };
  }
}

/** Sends a notification to each of its channels, in parallel (deliverToChannel). Never throws. */
export async function deliverNotification(
  notification: AlertNotification,
  channels: readonly AlertChannel[],
  render: Omit<NotificationRenderOptions, 'nowMs'>,
  options: DeliveryOptions = DEFAULT_DELIVERY,
): Promise<DeliveryRecord[]> {
  return Promise.all(
    notification.channels.map((channelId) =>
      deliverToChannel(notification, channelId, channels, render, options),
    ),
  );
}
