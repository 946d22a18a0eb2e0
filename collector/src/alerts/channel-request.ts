// What a notifier produces: one HTTP request, as data. Building it is pure (tested by shape); sending it is
// deliver-notification.ts's job.

export interface ChannelRequest {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * JSON for bodies that may be pasted into HTML or logged: `<`, `>` and `&` as \u escapes (like Go's
 * encoding/json), and the two line separators JavaScript string literals choke on. The result parses to
 * the same value.
 */
export function safeJson(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026')
    .replaceAll('\u2028', '\\u2028')
    .replaceAll('\u2029', '\\u2029');
}
