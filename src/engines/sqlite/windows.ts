import { SQLITE_KEYWORDS } from './functions.js';
import { isWord, type Token } from './lexer.js';

/** Words of a window specification or frame that are syntax, not expressions. */
const WINDOW_WORDS = new Set([
  'PARTITION', 'BY', 'ORDER', 'ASC', 'DESC', 'NULLS', 'FIRST', 'LAST', 'ROWS', 'RANGE', 'GROUPS', 'BETWEEN', 'AND',
  'UNBOUNDED', 'PRECEDING', 'FOLLOWING', 'CURRENT', 'ROW', 'EXCLUDE', 'NO', 'OTHERS', 'TIES', 'GROUP',
]);

/**
 * The statement re-spelled for node-sql-parser's SQLite grammar, which parses no FILTER
 * clause, no named window and no window without PARTITION BY: `f(x) FILTER (WHERE c)
 * OVER (PARTITION BY a ORDER BY b ROWS 1 PRECEDING)` becomes `f(x) + coalesce(c) +
 * coalesce(a, b, 1)`, `OVER w` becomes `+ 0`, and a `WINDOW w AS (…)` clause becomes a
 * HAVING condition (or one more AND of the select's HAVING) over its expressions. Every
 * expression stays in the same SELECT, so the walk still sees every relation, subquery and
 * call in it; what the grammar would have made of the window itself (its ordering, frame)
 * reads nothing. SQLite runs the statement as written. `piece` spells one other token.
 */
export function respellWindows(tokens: readonly Token[], piece: (t: Token) => string): string[] {
  return respell(tokens, 0, tokens.length, piece);
}

function respell(tokens: readonly Token[], from: number, to: number, piece: (t: Token) => string): string[] {
  const out: string[] = [];
  let hasHaving = false;
  for (let i = from; i < to; i++) {
    const t = tokens[i] as Token;
    const next = tokens[i + 1];
    if (isPunct(t, '(')) {
      const close = matching(tokens, i, to);
      const inner = isCall(tokens, i) && hasOrderBy(tokens, i + 1, close) ? argumentsWithOrder(tokens, i + 1, close, piece) : respell(tokens, i + 1, close, piece);
      // An unclosed parenthesis stays unclosed: SQLite refuses the statement either way.
      out.push('(', ...inner, ...(close < to ? [')'] : []));
      i = close;
      continue;
    }
    if (isWord(t, 'SELECT', 'UNION', 'INTERSECT', 'EXCEPT')) hasHaving = false;
    if (isWord(t, 'HAVING')) hasHaving = true;
    const grammar = forGrammar(tokens, i, to);
    if (grammar !== undefined) {
      out.push(...grammar.pieces);
      i = grammar.last;
      continue;
    }
    if (isWord(t, 'FILTER') && isPunct(next, '(') && isWord(tokens[i + 2], 'WHERE') && isPunct(tokens[i - 1], ')')) {
      const close = matching(tokens, i + 1, to);
      out.push('+', 'coalesce', '(', ...respell(tokens, i + 3, close, piece), ')');
      i = close;
      continue;
    }
    if (isWord(t, 'OVER') && isPunct(tokens[i - 1], ')')) {
      if (isPunct(next, '(')) {
        const close = matching(tokens, i + 1, to);
        out.push(...asSum(specItems(tokens, i + 2, close, piece)));
        i = close;
        continue;
      }
      if (next?.kind === 'word' || next?.kind === 'quoted') {
        out.push('+', '0');
        i++;
        continue;
      }
    }
    if (isWord(t, 'WINDOW') && (next?.kind === 'word' || next?.kind === 'quoted') && isWord(tokens[i + 2], 'AS') && isPunct(tokens[i + 3], '(')) {
      const items: string[][] = [];
      let at = i;
      // WINDOW w AS (…) [, w2 AS (…)]…
      while (isWord(tokens[at + 2], 'AS') && isPunct(tokens[at + 3], '(')) {
        const close = matching(tokens, at + 3, to);
        items.push(...specItems(tokens, at + 4, close, piece));
        at = close;
        if (!isPunct(tokens[at + 1], ',')) break;
        at++;
      }
      out.push(hasHaving ? 'AND' : 'HAVING', 'coalesce', '(', ...joined([...items, ['0']]), ')');
      i = at;
      continue;
    }
    out.push(piece(t));
  }
  return out;
}

/**
 * SQLite syntax the grammar lacks, re-spelled as syntax it has that reads the same relations:
 * INTERSECT and EXCEPT as UNION, RIGHT and FULL joins as LEFT, a CTE's [NOT] MATERIALIZED
 * dropped, `main.table.column` as `table.column`, and an aggregate's ORDER BY as more
 * arguments (`group_concat(a, ',' ORDER BY b)` as `group_concat(a, ',', b)`).
 */
function forGrammar(tokens: readonly Token[], i: number, to: number): { pieces: string[]; last: number } | undefined {
  const t = tokens[i] as Token;
  if (isWord(t, 'INTERSECT', 'EXCEPT')) return { pieces: ['UNION'], last: i };
  if (isWord(t, 'RIGHT', 'FULL') && (isWord(tokens[i + 1], 'JOIN') || (isWord(tokens[i + 1], 'OUTER') && isWord(tokens[i + 2], 'JOIN')))) {
    return { pieces: ['LEFT'], last: i };
  }
  if (isWord(t, 'AS') && isWord(tokens[i + 1], 'MATERIALIZED') && isPunct(tokens[i + 2], '(')) return { pieces: ['AS'], last: i + 1 };
  if (isWord(t, 'AS') && isWord(tokens[i + 1], 'NOT') && isWord(tokens[i + 2], 'MATERIALIZED') && isPunct(tokens[i + 3], '(')) return { pieces: ['AS'], last: i + 2 };
  if (isName(t) && t.text.toLowerCase() === 'main' && isPunct(tokens[i + 1], '.') && isName(tokens[i + 2]) && isPunct(tokens[i + 3], '.') && isName(tokens[i + 4]) && i + 4 < to) {
    return { pieces: [], last: i + 1 };
  }
  return undefined;
}

/** True when the `(` at `open` opens a call's arguments (a name that is no keyword before it, no query inside). */
function isCall(tokens: readonly Token[], open: number): boolean {
  const name = tokens[open - 1];
  const isFunctionName = name?.kind === 'quoted' || (name?.kind === 'word' && !SQLITE_KEYWORDS.has(name.text.toUpperCase()));
  return isFunctionName && !isWord(tokens[open + 1], 'SELECT', 'WITH', 'VALUES');
}

function isName(token: Token | undefined): boolean {
  return token?.kind === 'word' || token?.kind === 'quoted';
}

/** The expressions of a window specification (tokens from..to), each as text pieces. */
function specItems(tokens: readonly Token[], from: number, to: number, piece: (t: Token) => string): string[][] {
  const items: string[][] = [];
  let current: string[] = [];
  const flush = (): void => {
    if (current.length > 0) items.push(current);
    current = [];
  };
  for (let i = from; i < to; i++) {
    const t = tokens[i] as Token;
    if (isPunct(t, '(')) {
      const close = matching(tokens, i, to);
      current.push('(', ...respell(tokens, i + 1, close, piece), ')');
      i = close;
    } else if (isPunct(t, ',') || (t.kind === 'word' && WINDOW_WORDS.has(t.text.toUpperCase()))) {
      flush();
    } else {
      current.push(piece(t));
    }
  }
  flush();
  return items;
}

/** True when ORDER BY appears at the top level of tokens from..to (an aggregate's own ordering). */
function hasOrderBy(tokens: readonly Token[], from: number, to: number): boolean {
  let depth = 0;
  for (let i = from; i < to; i++) {
    const t = tokens[i];
    if (isPunct(t, '(')) depth++;
    else if (isPunct(t, ')')) depth--;
    else if (depth === 0 && isWord(t, 'ORDER') && isWord(tokens[i + 1], 'BY')) return true;
  }
  return false;
}

/** A call's arguments with its ORDER BY terms as more arguments (ASC, DESC, NULLS FIRST/LAST dropped). */
function argumentsWithOrder(tokens: readonly Token[], from: number, to: number, piece: (t: Token) => string): string[] {
  let at = from;
  let depth = 0;
  for (; at < to; at++) {
    const t = tokens[at];
    if (isPunct(t, '(')) depth++;
    else if (isPunct(t, ')')) depth--;
    else if (depth === 0 && isWord(t, 'ORDER') && isWord(tokens[at + 1], 'BY')) break;
  }
  return [...respell(tokens, from, at, piece), ',', ...joined(specItems(tokens, at, to, piece))];
}

function asSum(items: string[][]): string[] {
  return items.length === 0 ? ['+', '0'] : ['+', 'coalesce', '(', ...joined(items), ')'];
}

function joined(items: string[][]): string[] {
  return items.flatMap((item, i) => (i === 0 ? item : [',', ...item]));
}

function isPunct(token: Token | undefined, text: string): boolean {
  return token?.kind === 'punct' && token.text === text;
}

/** Index of the `)` that closes the `(` at `open`; `to` (never a token of the range) when it does not close. */
function matching(tokens: readonly Token[], open: number, to: number): number {
  let depth = 0;
  for (let i = open; i < to; i++) {
    const t = tokens[i];
    if (isPunct(t, '(')) depth++;
    else if (isPunct(t, ')') && --depth === 0) return i;
  }
  return to;
}
