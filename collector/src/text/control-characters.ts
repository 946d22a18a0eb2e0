// Control characters in text the collector stores or sends on (names, routes, origins, comments): a line
// break or an escape sequence there would reach logs, terminals and notifications. One definition for every
// check.

// C0 and C1 controls (U+009B opens an escape sequence on some terminals, as ESC does) and the bidirectional
// overrides and isolates, which reorder what a reader sees.
// eslint-disable-next-line no-control-regex -- control characters are what these look for
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const CONTROL_BESIDE_LINE_BREAKS =
  // eslint-disable-next-line no-control-regex -- as above, line feed, carriage return and tab aside
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

export function hasControlCharacters(text: string): boolean {
  return CONTROL.test(text);
}

// As CONTROL, tab aside: a header value may hold tabs (RFC 9110 §5.5), and they are shown as blanks.
// eslint-disable-next-line no-control-regex -- as above
const CONTROL_BUT_TAB = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;
const CONTROL_BUT_TAB_EVERYWHERE = new RegExp(CONTROL_BUT_TAB.source, 'g');

/** Whether visibleControlCharacters would change `text`. */
export function hasInvisibleControlCharacters(text: string): boolean {
  return CONTROL_BUT_TAB.test(text);
}

/**
 * `text` (a header value) with each control character but tab written as its escape (`\u202e`), or `text`
 * itself when it has none.
 */
export function visibleControlCharacters(text: string): string {
  if (!CONTROL_BUT_TAB.test(text)) return text;
  return text.replace(
    CONTROL_BUT_TAB_EVERYWHERE,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** For multi-line text (a comment): line breaks and tabs are its own. */
export function hasControlCharactersBesideLineBreaks(text: string): boolean {
  return CONTROL_BESIDE_LINE_BREAKS.test(text);
}
