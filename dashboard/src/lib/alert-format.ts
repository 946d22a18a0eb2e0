// How the Alerts page and the Overview read the alerting API's answers: durations, rule filters, firing
// intervals, links into the Origins view, a sparkline's points, and a refusal's text. Pure.
import type {
  AlertApiRefusal,
  AlertEventView,
  AlertInstanceView,
  GroupKey,
  RuleFilter,
} from '@corsight/collector/api-types';
import { formatCounted } from './format';

const UNITS = [
  { ms: 86_400_000, label: 'd' },
  { ms: 3_600_000, label: 'h' },
  { ms: 60_000, label: 'min' },
  { ms: 1000, label: 's' },
] as const;

/** 5 400 000 → `1 h 30 min`: the two largest units, rounded down; under a second is `0 s`. */
export function formatElapsed(ms: number): string {
  let rest = Math.max(0, Math.floor(ms / 1000) * 1000);
  const parts: string[] = [];
  let considered = 0;
  for (const unit of UNITS) {
    const count = Math.floor(rest / unit.ms);
    rest -= count * unit.ms;
    if (count > 0 || considered > 0) {
      if (count > 0) parts.push(`${count} ${unit.label}`);
      considered += 1;
      if (considered === 2) break;
    }
  }
  return parts.length === 0 ? '0 s' : parts.join(' ');
}

/** `12:05 UTC` on the same day as `nowMs`, else `2026-11-25 12:05 UTC`. */
export function formatMoment(ms: number, nowMs: number): string {
  const iso = new Date(ms).toISOString();
  const sameDay = iso.slice(0, 10) === new Date(nowMs).toISOString().slice(0, 10);
  return sameDay ? `${iso.slice(11, 16)} UTC` : `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

/** A rule's filter as `field glob` pairs; empty when it matches every request. */
export function filterParts(filter: RuleFilter): { field: keyof RuleFilter; value: string }[] {
  return (['service', 'route', 'origin'] as const).flatMap((field) => {
    const value = filter[field];
    return value === undefined ? [] : [{ field, value }];
  });
}

/** Whether a filter value is a glob (matches more than one exact value). */
export function isGlob(value: string): boolean {
  return /[*?]/.test(value);
}

/**
 * The query-API filters that count exactly a rule's traffic, or undefined when a filter field is a glob
 * (the query API filters on exact values only).
 */
export function exactFilters(filter: RuleFilter): Partial<Record<keyof RuleFilter, string>> | undefined {
  const parts = filterParts(filter);
  if (parts.some((part) => isGlob(part.value))) return undefined;
  return Object.fromEntries(parts.map((part) => [part.field, part.value]));
}

/** An instance key's fields in a fixed order. */
export function keyParts(key: GroupKey): { field: keyof GroupKey; value: string }[] {
  return (['service', 'route', 'origin'] as const).flatMap((field) => {
    const value = key[field];
    return value === undefined ? [] : [{ field, value }];
  });
}

/** `2026-11-26T13:05` (UTC, no zone): a custom range bound as the view's date-time inputs show it. */
export function minuteText(ms: number): string {
  return new Date(Math.floor(ms / 60_000) * 60_000).toISOString().slice(0, 16);
}

/**
 * The Origins view's range for an alert instance: from the start of the window that first held (the
 * window before `activeSince`) to the end (or now, open-ended, while it fires).
 */
export function instanceRange(
  activeSinceMs: number,
  windowMs: number,
  endMs: number | null,
): { from: string; to: string | undefined } {
  return {
    from: minuteText(activeSinceMs - windowMs),
    to: endMs === null ? undefined : minuteText(endMs + 60_000),
  };
}

/** A firing interval to mark on a time axis; `end` null while still firing. */
export interface FiringInterval {
  readonly ruleId: string;
  readonly instanceId: string;
  readonly key: GroupKey;
  readonly start: number;
  readonly end: number | null;
}

/**
 * Firing intervals from the history (newest first, as GET /alerts/events answers) and the current instances:
 * each `firing` row opens an interval its instance's next `resolved` or `cancelled` row closes. An interval
 * resolved inside the range that began before it starts at the range's start; one firing since before the
 * range's end and still firing comes from `current` (a range in the past gets none of those that started
 * after it).
 */
export function firingIntervals(
  events: readonly AlertEventView[],
  current: readonly AlertInstanceView[],
  range: { readonly startMs: number; readonly endMs: number },
): FiringInterval[] {
  const rangeStartMs = range.startMs;
  const ordered = [...events].sort((a, b) => a.at - b.at);
  const open = new Map<string, FiringInterval>();
  const done: FiringInterval[] = [];
  for (const event of ordered) {
    const id = `${event.ruleId}\u0000${event.instanceId}`;
    if (event.event === 'firing') {
      if (!open.has(id)) {
        open.set(id, {
          ruleId: event.ruleId,
          instanceId: event.instanceId,
          key: event.key,
          start: event.at,
          end: null,
        });
      }
    } else if (event.event === 'resolved') {
      const started = open.get(id);
      open.delete(id);
      done.push(
        started === undefined
          ? {
              ruleId: event.ruleId,
              instanceId: event.instanceId,
              key: event.key,
              start: rangeStartMs,
              end: event.at,
            }
          : { ...started, end: event.at },
      );
    }
  }
  for (const instance of current) {
    const id = `${instance.ruleId}\u0000${instance.id}`;
    if (instance.state !== 'firing' || instance.firingSince === null || open.has(id)) continue;
    if (instance.firingSince >= range.endMs) continue;
    open.set(id, {
      ruleId: instance.ruleId,
      instanceId: instance.id,
      key: instance.key,
      start: Math.max(instance.firingSince, rangeStartMs),
      end: null,
    });
  }
  return [...done, ...open.values()].sort((a, b) => a.start - b.start);
}

/** `points` of an SVG polyline drawing `values` left to right in a `width` × `height` box (0 at the bottom). */
export function sparklinePoints(values: readonly number[], width: number, height: number): string {
  if (values.length === 0) return '';
  const max = Math.max(...values, 0);
  const stepX = values.length === 1 ? 0 : width / (values.length - 1);
  const y = (value: number) => (max === 0 ? height : height - (value / max) * height);
  const round = (n: number) => Math.round(n * 10) / 10;
  return values.map((value, i) => `${round(i * stepX)},${round(y(value))}`).join(' ');
}

/**
 * What to tell someone whose change the collector refused: the problems of an invalid rule (each names its
 * field), a bad field, or what to do about the token.
 */
export function refusalText(status: number, body: Partial<AlertApiRefusal> | undefined): string {
  if (status === 401) {
    return (
      "The collector refused the dashboard's token for changes: set CORSIGHT_ADMIN_TOKEN on the dashboard " +
      "to one of the collector's CORSIGHT_ADMIN_TOKENS." +
      (body?.message === undefined ? '' : ` (${body.message})`)
    );
  }
  if (body?.problems !== undefined && body.problems.length > 0) return body.problems.join('; ');
  if (body?.message !== undefined && body.message !== '') return body.message;
  return `The collector answered ${status}.`;
}

/** How an event reads in the history table; `nameOf` names the rule an inhibited notification gave way to. */
export function eventText(event: AlertEventView, nameOf: (ruleId: string) => string = (id) => id): string {
  switch (event.event) {
    case 'pending':
      return 'pending';
    case 'firing':
      return 'firing';
    case 'resolved':
      return 'resolved';
    case 'cancelled':
      return 'cleared before firing';
    case 'notified':
      return `notification: ${event.transition}`;
    case 'suppressed': {
      // Kept quiet by a silence, or inhibited by a more specific alert for the same origin (the collector's
      // alert-inhibition.ts), whose rule the detail names.
      const by = (event.detail as { inhibitedBy?: { ruleId?: unknown } } | null)?.inhibitedBy?.ruleId;
      return typeof by === 'string'
        ? `inhibited by ${nameOf(by)}: ${event.transition}`
        : `silenced: ${event.transition}`;
    }
    case 'delivery':
      return `delivery of ${event.transition}`;
    default:
      return event.event;
  }
}

/** A delivery row's outcome: `ok`, or the last attempt's error (`timeout after 2000 ms`, `HTTP 500: …`). */
export function deliveryText(event: AlertEventView): string | undefined {
  if (event.event !== 'delivery') return undefined;
  const attempts = formatCounted(event.attempts, 'attempt');
  if (event.deliveryOk === true) return `delivered (${attempts})`;
  const detail = event.detail as { attempts?: { error?: unknown; status?: unknown }[] } | null;
  const last = Array.isArray(detail?.attempts) ? detail.attempts.at(-1) : undefined;
  const why =
    typeof last?.error === 'string'
      ? last.error
      : typeof last?.status === 'number'
        ? `HTTP ${last.status}`
        : 'failed';
  return `failed after ${attempts}: ${why}`;
}

const DURATION = /^(?:(\d{1,6})w)?(?:(\d{1,6})d)?(?:(\d{1,6})h)?(?:(\d{1,6})m)?(?:(\d{1,6})s)?$/;
const DURATION_UNITS_MS = [604_800_000, 86_400_000, 3_600_000, 60_000, 1000] as const;

/** A rule duration as the API writes it (`5m`, `1h30m`, `0`) in milliseconds; undefined when it is not one. */
export function durationMs(text: string): number | undefined {
  if (text === '0') return 0;
  const match = text === '' ? null : DURATION.exec(text);
  if (match === null) return undefined;
  return DURATION_UNITS_MS.reduce((total, unit, i) => total + Number(match[i + 1] ?? 0) * unit, 0);
}

/**
 * The intervals that concern a narrowed view: an instance keyed by a service (route, origin) other than the
 * view's is left out; one without that field (a rule grouped more coarsely) concerns every view.
 */
export function intervalsForView(
  intervals: readonly FiringInterval[],
  view: {
    readonly service?: string | undefined;
    readonly route?: string | undefined;
    readonly origin?: string | undefined;
  },
): FiringInterval[] {
  return intervals.filter((interval) =>
    (['service', 'route', 'origin'] as const).every((field) => {
      const wanted = view[field];
      const value = interval.key[field];
      return wanted === undefined || value === undefined || value === wanted;
    }),
  );
}
