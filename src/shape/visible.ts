/**
 * Text a person reads to decide (an approval's statement, values and rows) with every
 * character that moves the cursor, hides or reorders text made visible as a \uXXXX
 * escape: C0 and C1 controls, format characters (bidi overrides, zero-width, tag
 * characters), line and paragraph separators, surrogates, private use, unassigned,
 * and variation selectors. What is shown is then what is there.
 */
const INVISIBLE = /[\p{C}\p{Zl}\p{Zp}\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}]/gu;
const INVISIBLE_BUT_LAYOUT = /(?![\n\t])[\p{C}\p{Zl}\p{Zp}\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}]/gu;
const INVISIBLE_BUT_TAB = /(?!\t)[\p{C}\p{Zl}\p{Zp}\u{FE00}-\u{FE0F}\u{E0100}-\u{E01EF}]/gu;

/** As \uXXXX escapes of its UTF-16 units: valid inside JSON strings, and readable. */
function escapeChar(ch: string): string {
  let out = '';
  for (let i = 0; i < ch.length; i++) out += `\\u${ch.charCodeAt(i).toString(16).padStart(4, '0')}`;
  return out;
}

/** One line, nothing invisible: a name, an id. */
export function visibleLine(text: string): string {
  return text.replace(INVISIBLE, escapeChar);
}

/** One line that keeps its tabs (indented SQL): no character in it can start another line. */
export function visibleTabbedLine(text: string): string {
  return text.replace(INVISIBLE_BUT_TAB, escapeChar);
}

/** Multi-line text with its line breaks and tabs, everything else invisible escaped. */
export function visibleBlock(text: string): string {
  return text.replace(INVISIBLE_BUT_LAYOUT, escapeChar);
}

