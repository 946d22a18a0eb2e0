// Values from requests (origins, routes, header values) can be long: a cell shows a visibly clipped
// prefix and the full value goes into the element's title. Pure.

/** Display lengths, in characters. */
export const CLIP = { origin: 64, route: 64, header: 96, service: 48 } as const;

/** `text` when it fits in `max` characters, else its first `max − 1` and an ellipsis. */
export function clipText(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, Math.max(max - 1, 0)).join('')}…`;
}
