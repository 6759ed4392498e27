import { normalizeSql } from './parse.js';

/**
 * A text's shape: its normalised form, each constant replaced by a $n parameter (libpg-query's
 * normalize, PostgreSQL's own scanner and grammar), or undefined where the text has no shape
 * the read policy may answer it by (policy.ts). A text has one only when:
 *
 * - it contains no `$`: then it has no parameter of its own (nor a dollar-quoted string), and
 *   every $n of the shape stands for one of its constants;
 * - the shape is faithful: the text is the shape with each $n replaced by exactly one plain
 *   constant token — an unsigned or minus-signed number, a standard quoted string, TRUE, FALSE
 *   or NULL — and nothing else differs. The normaliser takes a constant's span from where the
 *   grammar put its location, which for a minus sign before a non-number (`-'a'`, `- -1`) is
 *   an operator and a constant, not one constant: such texts, and any span that is not one of
 *   these tokens, get no shape and are checked in full. So every text of a shape has the
 *   shape's parse tree with a constant where the shape has a parameter, and nothing else.
 */
export function shapeOf(sql: string): string | undefined {
  if (sql.includes('$')) return undefined;
  let shape: string;
  try {
    shape = normalizeSql(sql);
  } catch {
    return undefined;
  }
  return shape !== sql && isFaithful(sql, shape) ? shape : undefined;
}

const PARAM = /\$\d+/g;

/** Whether `text` is `shape` with each $n replaced by one plain constant token. */
export function isFaithful(text: string, shape: string): boolean {
  let at = 0;
  let from = 0;
  let replaced = 0;
  for (const param of shape.matchAll(PARAM)) {
    const index = param.index;
    const literal = shape.slice(from, index);
    if (!text.startsWith(literal, at)) return false;
    at += literal.length;
    const end = constantEnd(text, at);
    if (end === undefined) return false;
    at = end;
    from = index + param[0].length;
    replaced++;
  }
  return replaced > 0 && text.length - at === shape.length - from && text.endsWith(shape.slice(from));
}

const NUMBER = /-?[ \t\r\n]*(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?/y;
const WORD = /(?:true|false|null)/iy;
const IDENTIFIER_PART = /[A-Za-z0-9_\u0080-\uffff$]/;

/** Where the plain constant token starting at `at` ends, or undefined when there is none. */
function constantEnd(text: string, at: number): number | undefined {
  const first = text[at];
  if (first === "'") {
    // A standard string: '' is a quote inside it; no escapes, no prefix, no continuation.
    let i = at + 1;
    for (;;) {
      const quote = text.indexOf("'", i);
      if (quote === -1) return undefined;
      if (text[quote + 1] === "'") {
        i = quote + 2;
        continue;
      }
      return quote + 1;
    }
  }
  for (const pattern of [NUMBER, WORD]) {
    pattern.lastIndex = at;
    const match = pattern.exec(text);
    if (match === null) continue;
    const end = at + match[0].length;
    // A number or keyword runs into the next character of an identifier: not one token.
    const next = text[end];
    if (next !== undefined && IDENTIFIER_PART.test(next)) return undefined;
    return end;
  }
  return undefined;
}
