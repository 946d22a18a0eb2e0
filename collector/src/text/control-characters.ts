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

/** For multi-line text (a comment): line breaks and tabs are its own. */
export function hasControlCharactersBesideLineBreaks(text: string): boolean {
  return CONTROL_BESIDE_LINE_BREAKS.test(text);
}
