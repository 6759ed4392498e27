import { BastionError } from '../../errors/codes.js';

/** A statement as MySQL tokenizes it, rewritten so the parser and the server read the same text. */
export interface ScannedSql {
  /** The statement without comments and without a trailing `;`; `--` that is not a comment becomes `- -`. */
  readonly text: string;
  /** Upper-cased words outside strings and quoted identifiers, in order. */
  readonly words: readonly string[];
  /** `?` placeholders outside strings, comments and quoted identifiers. */
  readonly placeholders: number;
  /** Words (or quoted identifiers) directly followed by `(`, upper-cased; `.NAME` when qualified. */
  readonly calls: readonly string[];
  /** An `@` outside strings: a user or system variable. */
  readonly variables: boolean;
}

const isSpaceOrControl = (c: string | undefined): boolean => c === undefined || c.charCodeAt(0) <= 32;
export const isWordChar = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_$\u0080-\uffff]/.test(c);

/**
 * Scans SQL the way MySQL's lexer does (with ANSI_QUOTES and NO_BACKSLASH_ESCAPES
 * off, which the source enforces on every connection): '...' and "..." strings with
 * backslash escapes and doubled quotes, `...` identifiers, `#` and `-- ` comments
 * to the end of the line, and C comments. `--` not followed by a space or control
 * character is two minus signs, so it is spaced apart: the parser would otherwise
 * take it for a comment and see less than the server runs. Executable comments
 * (`/*! ... *\/`, `/*M! ... *\/`) are refused: their body runs on the server.
 */
export function scanMysql(sql: string): ScannedSql {
  let out = '';
  const words: string[] = [];
  const calls: string[] = [];
  let placeholders = 0;
  let variables = false;
  let ended = false;
  let i = 0;
  /** The last word or quoted identifier, waiting to see whether `(` follows it. */
  let pendingName: string | undefined;
  const emit = (text: string): void => {
    if (ended && text.trim() !== '') throw new BastionError('SQL_MULTIPLE_STATEMENTS');
    out += text;
  };
  while (i < sql.length) {
    const c = sql[i] as string;
    const next = sql[i + 1];
    if (c === "'" || c === '"' || c === '`') {
      const end = quotedEnd(sql, i, c);
      if (c === '`') pendingName = `\`${sql.slice(i + 1, end - 1).toUpperCase()}`;
      else pendingName = undefined;
      emit(sql.slice(i, end));
      i = end;
      continue;
    }
    if (c === '/' && next === '*') {
      if (sql[i + 2] === '!' || (sql[i + 2] === 'M' && sql[i + 3] === '!')) {
        throw new BastionError('SQL_FEATURE_DENIED', 'Executable comments (/*! ... */, /*M! ... */) are not allowed: the server runs their contents.');
      }
      const close = sql.indexOf('*/', i + 2);
      if (close < 0) throw new BastionError('SQL_PARSE_ERROR', 'The SQL has an unterminated /* comment.');
      out += ' ';
      i = close + 2;
      continue;
    }
    if (c === '#' || (c === '-' && next === '-' && isSpaceOrControl(sql[i + 2]))) {
      const newline = sql.indexOf('\n', i);
      out += ' ';
      i = newline < 0 ? sql.length : newline;
      continue;
    }
    if (c === '-' && next === '-') {
      emit('- ');
      pendingName = undefined;
      i += 1;
      continue;
    }
    if (c === ';') {
      ended = true;
      i += 1;
      continue;
    }
    if (isWordChar(c)) {
      let end = i + 1;
      while (isWordChar(sql[end])) end++;
      const word = sql.slice(i, end).toUpperCase();
      words.push(word);
      pendingName = out.trimEnd().endsWith('.') ? `.${word}` : word;
      emit(sql.slice(i, end));
      i = end;
      continue;
    }
    if (c === '(' && pendingName !== undefined) calls.push(pendingName);
    if (c === '?') placeholders++;
    if (c === '@') variables = true;
    if (!isSpaceOrControl(c)) pendingName = undefined;
    emit(c);
    i += 1;
  }
  return { text: out.trim(), words, placeholders, calls, variables };
}

/** Index just past the closing quote of the string or identifier opening at `start`. */
export function quotedEnd(sql: string, start: number, quote: string): number {
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (c === '\\' && quote !== '`') {
      i += 2;
      continue;
    }
    if (c === quote) {
      if (sql[i + 1] === quote) {
        i += 2;
        continue;
      }
      return i + 1;
    }
    i++;
  }
  throw new BastionError('SQL_PARSE_ERROR', `The SQL has an unterminated ${quote === '`' ? 'quoted identifier' : 'string'}.`);
}
