// Text from the network on the way to a terminal. A hostile server picks its header values: it must not be
// able to recolour, move the cursor or retitle the window (ESC sequences, and the 8-bit C1 forms such as
// U+009B CSI that a latin-1 header decodes to), nor reorder what is shown with bidi controls.

// C0 and DEL, C1, the bidi embeddings/overrides/isolates and marks, and the line/paragraph separators.
function isUnsafeChar(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code <= 0x9f) ||
    code === 0x061c ||
    code === 0x200e ||
    code === 0x200f ||
    code === 0x2028 ||
    code === 0x2029 ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069)
  );
}

// Printable ASCII never needs a look; everything else goes through isUnsafeChar.
const NOT_PRINTABLE_ASCII = /[^\x20-\x7e]/g;

// What JSON.stringify leaves raw; C0 never appears raw except its own indentation newlines.
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** Longest value shown in the report; more is cut, saying how much. */
export const MAX_SHOWN_LENGTH = 300;

function escapeChar(char: string): string {
  const code = char.charCodeAt(0);
  return code <= 0xff
    ? `\\x${code.toString(16).padStart(2, '0')}`
    : `\\u${code.toString(16).padStart(4, '0')}`;
}

/** The value as inert, single-line text: control characters shown as `\xNN` / `\uNNNN`, cut at `max`. */
export function displayText(value: string, max = MAX_SHOWN_LENGTH): string {
  let shown = value;
  let cut = '';
  if (value.length > max) {
    shown = value.slice(0, max);
    // Do not leave half a surrogate pair behind.
    if (/[\ud800-\udbff]$/.test(shown)) shown = shown.slice(0, -1);
    cut = `… (${value.length - shown.length} more characters)`;
  }
  return (
    shown.replace(NOT_PRINTABLE_ASCII, (char) =>
      isUnsafeChar(char.charCodeAt(0)) ? escapeChar(char) : char,
    ) + cut
  );
}

/**
 * JSON whose strings are safe to print too: JSON.stringify escapes only C0, so DEL, C1 and the bidi
 * controls are written as \uNNNN escapes (still the same JSON value).
 */
export function safeJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    UNSAFE_IN_JSON,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
