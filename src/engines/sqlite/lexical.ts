import { BastionError } from '../../errors/codes.js';
import type { RelationRef } from '../../engine/policy.js';
import { SQLITE_ALLOWED_FUNCTIONS, SQLITE_KEYWORDS, SQLITE_SIZED_TYPES, isDeniedRelation } from './functions.js';
import { isWord, nameOf, type Token } from './lexer.js';
import { respellWindows } from './windows.js';

/** Words that change data, schema or connection state: never part of a read. */
export const WRITE_WORDS = new Set([
  'INSERT', 'UPDATE', 'DELETE', 'CREATE', 'DROP', 'ALTER', 'ATTACH', 'DETACH', 'PRAGMA', 'VACUUM', 'REINDEX',
  'ANALYZE', 'BEGIN', 'COMMIT', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'RETURNING', 'INTO',
]);

export interface LexicalReads {
  functions: string[];
  paramCount: number;
  hasNaturalJoin: boolean;
}

export interface TokenCheckOptions {
  /** Words refused anywhere (a read refuses every word that writes; the write policy checks its own). */
  readonly refusedWords?: ReadonlySet<string>;
  /** Indexes of names followed by `(` that declare rather than call: a table's column list, a type's size. */
  readonly declarations?: ReadonlySet<number>;
}

/**
 * Checks on SQLite's own tokens, independent of the parser: no refused word,
 * every call (any name followed by `(` that is not a keyword, a CTE's column list
 * in its WITH head (cteColumnLists) or a declaration) on the allow-list, wherever it
 * stands (select list with an alias, CTE body, window, ORDER BY, VALUES, subquery),
 * no system relation, positional parameters only.
 */
export function checkTokens(tokens: readonly Token[], options: TokenCheckOptions = {}): LexicalReads {
  const refusedWords = options.refusedWords ?? WRITE_WORDS;
  const functions = new Set<string>();
  let paramCount = 0;
  let nextPositional = 0;
  let hasNaturalJoin = false;
  const columnLists = cteColumnLists(tokens);
  tokens.forEach((token, i) => {
    const upper = token.text.toUpperCase();
    if (token.kind === 'word' && refusedWords.has(upper)) {
      throw new BastionError('SQL_NOT_READ_ONLY', `${upper} is not allowed in a read.`);
    }
    if (token.kind === 'word' && upper === 'NATURAL') hasNaturalJoin = true;
    const name = nameOf(tokens, i);
    if (name !== undefined && isDeniedRelation(name)) {
      throw new BastionError('SQL_FEATURE_DENIED', `${name} is not available; use list_tables and describe_table.`);
    }
    if (token.kind === 'param') {
      if (token.text === '?') paramCount = Math.max(paramCount, ++nextPositional);
      else if (token.text.startsWith('?')) {
        const index = Number(token.text.slice(1));
        if (!Number.isSafeInteger(index) || index < 1 || index > 32_766) throw new BastionError('SQL_PARSE_ERROR', `Bad parameter ${token.text}.`);
        nextPositional = Math.max(nextPositional, index);
        paramCount = Math.max(paramCount, index);
      } else {
        throw new BastionError('SQL_FEATURE_DENIED', `SQLite sources take positional parameters (? or ?NNN), not ${token.text}.`);
      }
    }
    const next = tokens[i + 1];
    const isName = token.kind === 'quoted' || token.kind === 'string' || (token.kind === 'word' && !SQLITE_KEYWORDS.has(upper) && !SQLITE_SIZED_TYPES.has(upper));
    if (isName && name !== undefined && next?.kind === 'punct' && next.text === '(' && options.declarations?.has(i) !== true && !columnLists.has(i)) {
      const called = name.toLowerCase();
      if (!SQLITE_ALLOWED_FUNCTIONS.has(called)) throw new BastionError('SQL_FUNCTION_DENIED', `The function ${called} is not allowed.`);
      functions.add(called);
    }
  });
  const kinds = new Set(tokens.filter((t) => t.kind === 'param').map((t) => (t.text === '?' ? '?' : '?NNN')));
  if (kinds.size > 1) throw new BastionError('SQL_FEATURE_DENIED', 'Use either ? or ?NNN placeholders in one statement, not both.');
  return { functions: [...functions], paramCount, hasNaturalJoin };
}

/**
 * Indexes of the names whose `(` opens a CTE's column list, found by SQLite's own grammar for
 * a WITH clause: `WITH [RECURSIVE] name [(cols)] AS [[NOT] MATERIALIZED] (body) [, ...]`. Only a
 * name in that head position is a declaration; `f(x) AS alias` anywhere else is a call and is
 * checked (the old test, "the parenthesis closes before AS", took it for a column list).
 * A clause of another shape yields nothing, so its names are checked as calls.
 */
export function cteColumnLists(tokens: readonly Token[]): Set<number> {
  const found = new Set<number>();
  const close = matchingParens(tokens);
  tokens.forEach((token, w) => {
    if (!isWord(token, 'WITH')) return;
    let i = isWord(tokens[w + 1], 'RECURSIVE') ? w + 2 : w + 1;
    for (;;) {
      if (nameOf(tokens, i) === undefined) return;
      let at = i + 1;
      if (isPunct(tokens[at], '(')) {
        const end = close.get(at);
        if (end === undefined || !isWord(tokens[end + 1], 'AS')) return;
        found.add(i);
        at = end + 1;
      }
      if (!isWord(tokens[at++], 'AS')) return;
      if (isWord(tokens[at], 'NOT')) at++;
      if (isWord(tokens[at], 'MATERIALIZED')) at++;
      if (!isPunct(tokens[at], '(')) return;
      const end = close.get(at);
      if (end === undefined || !isPunct(tokens[end + 1], ',')) return;
      i = end + 2;
    }
  });
  return found;
}

function isPunct(token: Token | undefined, text: string): boolean {
  return token?.kind === 'punct' && token.text === text;
}

/** For each `(`, the index of the `)` that closes it (one pass, so a deep nest costs no more than a flat one). */
function matchingParens(tokens: readonly Token[]): Map<number, number> {
  const close = new Map<number, number>();
  const open: number[] = [];
  tokens.forEach((token, i) => {
    if (isPunct(token, '(')) open.push(i);
    else if (isPunct(token, ')')) {
      const start = open.pop();
      if (start !== undefined) close.set(start, i);
    }
  });
  return close;
}

export function checkRelation(relation: RelationRef): void {
  if (relation.schema !== undefined && relation.schema !== 'main') {
    throw new BastionError('SQL_FEATURE_DENIED', `Only the main schema is readable; ${relation.schema} is not.`);
  }
  if (isDeniedRelation(relation.name)) throw new BastionError('SQL_FEATURE_DENIED', `${relation.name} is not available.`);
}

/**
 * The statement re-spelled for node-sql-parser's narrower SQLite grammar, keeping
 * its meaning for the walk: comments dropped, parameters as `:p`, GLOB/REGEXP as
 * LIKE, quoted identifiers bare when that is the same name (others are refused),
 * window clauses as plain expressions (windows.ts).
 */
export function forParser(tokens: readonly Token[]): string {
  return respellWindows(tokens, parserPiece).join(' ');
}

function parserPiece(t: Token): string {
  switch (t.kind) {
    case 'param':
      return ':p';
    case 'quoted':
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/u.test(t.text) || SQLITE_KEYWORDS.has(t.text.toUpperCase())) {
        throw new BastionError('SQL_FEATURE_DENIED', 'Quoted identifiers are supported only for plain names (letters, digits, _).');
      }
      return t.text;
    case 'word':
      return isWord(t, 'GLOB', 'REGEXP') ? 'LIKE' : t.text;
    default:
      return t.text;
  }
}
