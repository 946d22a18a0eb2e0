// Control characters in text the collector stores or sends on (names, routes, origins, comments): a line
// break or an escape sequence there would reach logs, terminals and notifications. One definition for every
// check.

// eslint-disable-next-line no-control-regex -- control characters are what these look for
const CONTROL = /[\u0000-\u001f\u007f]/;
// eslint-disable-next-line no-control-regex -- as above, line feed, carriage return and tab aside
const CONTROL_BESIDE_LINE_BREAKS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/;

export function hasControlCharacters(text: string): boolean {
  return CONTROL.test(text);
}

/** For multi-line text (a comment): line breaks and tabs are its own. */
export function hasControlCharactersBesideLineBreaks(text: string): boolean {
  return CONTROL_BESIDE_LINE_BREAKS.test(text);
}
