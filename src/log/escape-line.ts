/**
 * Characters that end or rewrite a line in some reader: C0 controls (CR, LF, ESC
 * of ANSI sequences, …), DEL, C1 controls (NEL U+0085, CSI U+009B), the Unicode
 * line and paragraph separators, and the bidirectional overrides that make a
 * line display differently from what it holds.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is this module's job
const LINE_BREAKING = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
const LINE_BREAKING_ALL = new RegExp(LINE_BREAKING.source, 'g');

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeChar(char: string): string {
  return SHORT_ESCAPES[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * Makes text safe to print as (part of) one record on one line: every control
 * or line-breaking character becomes a visible escape (`\n`, `\u001b`,
 * `\u2028`). Backslashes are left as they are, so `C:\dir` stays readable; the
 * guarantee is one record per line and no terminal control, not reversibility.
 */
export function escapeLine(text: string): string {
  return LINE_BREAKING.test(text) ? text.replace(LINE_BREAKING_ALL, escapeChar) : text;
}
