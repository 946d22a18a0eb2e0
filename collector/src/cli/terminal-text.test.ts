import { describe, expect, it } from 'vitest';
import { displayText, MAX_SHOWN_LENGTH, safeJson } from './terminal-text.js';

/** Characters a terminal would act on, other than the newlines between lines. */
function rawControls(text: string): string[] {
  return Array.from(text).filter((char) => {
    const code = char.charCodeAt(0);
    return (
      (code < 0x20 && char !== '\n') || (code >= 0x7f && code <= 0x9f) || (code >= 0x202a && code <= 0x202e)
    );
  });
}

describe('displayText', () => {
  it.each([
    ['plain text stays', 'https://app.example.com', 'https://app.example.com'],
    ['latin-1 letters stay', 'café', 'café'],
    ['ESC sequences are shown, not run', '\u001b[31mred\u001b[0m', '\\x1b[31mred\\x1b[0m'],
    ['BEL and CR', 'a\u0007b\rc', 'a\\x07b\\x0dc'],
    ['newlines cannot forge report lines', 'x\n    = allowed', 'x\\x0a    = allowed'],
    ['DEL', 'a\u007fb', 'a\\x7fb'],
    ['8-bit CSI from a latin-1 header', 'a\u009b31m', 'a\\x9b31m'],
    ['bidi override', 'abc\u202edcba', 'abc\\u202edcba'],
    ['bidi isolate', '\u2066x\u2069', '\\u2066x\\u2069'],
    ['tab', 'a\tb', 'a\\x09b'],
  ])('%s', (_name, value, shown) => {
    expect(displayText(value)).toBe(shown);
  });

  it('cuts long values and says how much is left out', () => {
    const shown = displayText('a'.repeat(MAX_SHOWN_LENGTH + 50));
    expect(shown).toBe(`${'a'.repeat(MAX_SHOWN_LENGTH)}… (50 more characters)`);
  });

  it('does not split a surrogate pair when cutting', () => {
    expect(displayText(`ab😀cd`, 3)).toBe('ab… (4 more characters)');
  });
});

describe('safeJson', () => {
  it('escapes what JSON.stringify leaves raw and stays the same JSON value', () => {
    const value = { acao: 'a\u009b31m\u202e\u007f\u001b', list: ['x'] };
    const text = safeJson(value);
    expect(rawControls(text)).toEqual([]);
    expect(text).toContain('\\u009b');
    expect(text).toContain('\\u202e');
    expect(JSON.parse(text)).toEqual(value);
  });
});
