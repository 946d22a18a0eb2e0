// Values from requests (origins, routes, header values) can be long: a cell shows a visibly clipped
// prefix and the full value goes into the element's title. They can also hold characters no header carries
// but a hostile OTLP sender can store: a bidi override would show `gnp.exe` as `exe.png`, an escape would
// reach whoever copies the text. Those are shown as their escapes. Pure.

/** Display lengths, in characters. */
export const CLIP = { origin: 64, route: 64, header: 96, service: 48 } as const;

/** `text` when it fits in `max` characters, else its first `max − 1` and an ellipsis. */
export function clipText(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(max - 1, 0)).join('')}…`;
}

// C0 and C1 controls but tab, and the bidirectional overrides and isolates.
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const INVISIBLE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** `text` with each control or bidi character written as its escape (`\u202e`). */
export function visibleText(text: string): string {
  return text.replace(
    INVISIBLE,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
