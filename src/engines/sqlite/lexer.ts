import { BastionError } from '../../errors/codes.js';

export type TokenKind = 'word' | 'quoted' | 'string' | 'blob' | 'number' | 'param' | 'punct';

export interface Token {
  readonly kind: TokenKind;
  /** The text as written (for `quoted`, the identifier without its quotes). */
  readonly text: string;
  /** Offset of the token's first character in the SQL, quotes included. */
  readonly start: number;
  /** Offset just past the token's last character. */
  readonly end: number;
}

const OPERATORS = ['->>', '->', '||', '<=', '>=', '<>', '!=', '==', '<<', '>>'];
const SINGLE = new Set([...'(),;.+-*/%<>=&|~!']);

/**
 * Splits SQLite SQL into tokens the way SQLite's tokenizer does: `--` and `/* *\/`
 * comments, '…' strings, "…", `…` and […] identifiers, X'…' blobs, `?`/`?NNN`,
 * `:name`, `@name` and `$name` parameters. Anything it cannot tokenize is refused.
 */
export function tokenize(sql: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i] ?? '';
    if (c === ' ' || c === '\t' || c === '\n' || c === '\f' || c === '\r') {
      // SQLite's whitespace exactly: any other space character (U+00A0, U+2028, ...)
      // is part of an identifier for SQLite, so it must be one here too.
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      // SQLite accepts an unterminated block comment at the end of the text.
      i = end === -1 ? n : end + 2;
    } else if ((c === 'x' || c === 'X') && sql[i + 1] === "'") {
      const end = closing(sql, i + 1, "'");
      tokens.push({ kind: 'blob', text: sql.slice(i, end + 1), start: i, end: end + 1 });
      i = end + 1;
    } else if (c === "'") {
      const end = closing(sql, i, "'");
      tokens.push({ kind: 'string', text: sql.slice(i, end + 1), start: i, end: end + 1 });
      i = end + 1;
    } else if (c === '"' || c === '`') {
      const end = closing(sql, i, c);
      tokens.push({ kind: 'quoted', text: sql.slice(i + 1, end).replaceAll(c + c, c), start: i, end: end + 1 });
      i = end + 1;
    } else if (c === '[') {
      const end = sql.indexOf(']', i + 1);
      if (end === -1) throw unterminated();
      tokens.push({ kind: 'quoted', text: sql.slice(i + 1, end), start: i, end: end + 1 });
      i = end + 1;
    } else if (c === '?') {
      const match = /^\?[0-9]*/u.exec(sql.slice(i))?.[0] ?? '?';
      tokens.push({ kind: 'param', text: match, start: i, end: i + match.length });
      i += match.length;
    } else if (c === ':' || c === '@' || c === '$') {
      const match = /^[:@$][A-Za-z0-9_]+/u.exec(sql.slice(i))?.[0];
      if (match === undefined) throw new BastionError('SQL_PARSE_ERROR', `Unexpected character ${c} in the SQL.`);
      tokens.push({ kind: 'param', text: match, start: i, end: i + match.length });
      i += match.length;
    } else if (/[0-9]/u.test(c) || (c === '.' && /[0-9]/u.test(sql[i + 1] ?? ''))) {
      const match = /^(0[xX][0-9A-Fa-f_]+|[0-9_]*\.?[0-9_]*([eE][+-]?[0-9_]+)?)/u.exec(sql.slice(i))?.[0] ?? c;
      tokens.push({ kind: 'number', text: match, start: i, end: i + match.length });
      i += match.length;
    } else if (/[A-Za-z_\u0080-\uffff]/u.test(c)) {
      const match = /^[A-Za-z_0-9$\u0080-\uffff]+/u.exec(sql.slice(i))?.[0] ?? c;
      tokens.push({ kind: 'word', text: match, start: i, end: i + match.length });
      i += match.length;
    } else {
      const op = OPERATORS.find((o) => sql.startsWith(o, i));
      if (op !== undefined) {
        tokens.push({ kind: 'punct', text: op, start: i, end: i + op.length });
        i += op.length;
      } else if (SINGLE.has(c)) {
        tokens.push({ kind: 'punct', text: c, start: i, end: i + 1 });
        i++;
      } else {
        throw new BastionError('SQL_PARSE_ERROR', `Unexpected character ${JSON.stringify(c)} in the SQL.`);
      }
    }
  }
  return tokens;
}

/** Index of the quote that closes the one at `start` (a doubled quote is an escaped one). */
function closing(sql: string, start: number, quote: string): number {
  let i = start + 1;
  for (;;) {
    const end = sql.indexOf(quote, i);
    if (end === -1) throw unterminated();
    if (sql[end + 1] !== quote) return end;
    i = end + 2;
  }
}

function unterminated(): BastionError {
  return new BastionError('SQL_PARSE_ERROR', 'The SQL has an unterminated string, identifier or comment.');
}

/** The statements in a token list, split at `;` (empty ones dropped, as SQLite does). */
export function splitStatements(tokens: readonly Token[]): Token[][] {
  const statements: Token[][] = [[]];
  for (const token of tokens) {
    if (token.kind === 'punct' && token.text === ';') statements.push([]);
    else statements[statements.length - 1]?.push(token);
  }
  return statements.filter((s) => s.length > 0);
}

export function isWord(token: Token | undefined, ...words: string[]): boolean {
  return token?.kind === 'word' && words.includes(token.text.toUpperCase());
}

/**
 * The name a token stands for where SQLite reads it as one: a word or quoted identifier, or a
 * '…' string in a name's place (SQLite takes `FROM 'main'.'t'` and `FROM 'f'(x)` as names).
 * Undefined for a token that is no name there.
 */
export function nameOf(tokens: readonly Token[], i: number): string | undefined {
  const token = tokens[i];
  if (token === undefined) return undefined;
  if (token.kind === 'word' || token.kind === 'quoted') return token.text;
  if (token.kind !== 'string') return undefined;
  const next = tokens[i + 1];
  const before = tokens[i - 1];
  const namePlace =
    (next?.kind === 'punct' && (next.text === '.' || next.text === '(')) ||
    (before?.kind === 'punct' && before.text === '.') ||
    isWord(before, 'FROM', 'JOIN');
  return namePlace ? token.text.slice(1, -1).replaceAll("''", "'") : undefined;
}
