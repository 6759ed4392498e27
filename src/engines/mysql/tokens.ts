import { isWordChar, quotedEnd } from './lexer.js';

/**
 * One token of a statement that scanMysql already cleaned (comments removed, one
 * statement, ANSI_QUOTES and NO_BACKSLASH_ESCAPES off): the write policy's second
 * view, independent of node-sql-parser, used to confirm the names and the shape
 * of a write before it is allowed.
 */
export interface Token {
  /** word: a bare keyword or identifier; quoted: a `...` identifier; string: '...' or "..."; punct: one other character. */
  readonly kind: 'word' | 'quoted' | 'string' | 'punct';
  /** word: as written; quoted: the identifier without its quotes; string: as written; punct: the character. */
  readonly text: string;
  /** Parentheses open before this token (a `(` counts from after itself). */
  readonly depth: number;
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let depth = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i] as string;
    if (c.charCodeAt(0) <= 32) {
      i++;
      continue;
    }
    if (c === '`' || c === "'" || c === '"') {
      const end = quotedEnd(text, i, c);
      const inner = text.slice(i + 1, end - 1);
      tokens.push(c === '`' ? { kind: 'quoted', text: inner.replaceAll('``', '`'), depth } : { kind: 'string', text: text.slice(i, end), depth });
      i = end;
      continue;
    }
    if (isWordChar(c)) {
      let end = i + 1;
      while (isWordChar(text[end])) end++;
      tokens.push({ kind: 'word', text: text.slice(i, end), depth });
      i = end;
      continue;
    }
    if (c === ')') depth = Math.max(0, depth - 1);
    tokens.push({ kind: 'punct', text: c, depth });
    if (c === '(') depth++;
    i++;
  }
  return tokens;
}

/** Whether the token is the keyword `word` (bare, any case). */
export function isWord(token: Token | undefined, word: string): boolean {
  return token?.kind === 'word' && token.text.toUpperCase() === word;
}

export function isPunct(token: Token | undefined, char: string): boolean {
  return token?.kind === 'punct' && token.text === char;
}

/** A name as the tokens spell it: `name` or `schema.name`, with where the tokens go on. */
export interface TokenName {
  readonly schema: string | undefined;
  readonly name: string;
  readonly next: number;
}

/** The (possibly qualified) identifier starting at token `i`, or undefined when none starts there. */
export function nameAt(tokens: readonly Token[], i: number): TokenName | undefined {
  const first = tokens[i];
  if (first === undefined || (first.kind !== 'word' && first.kind !== 'quoted')) return undefined;
  if (!isPunct(tokens[i + 1], '.')) return { schema: undefined, name: first.text, next: i + 1 };
  const second = tokens[i + 2];
  if (second === undefined || (second.kind !== 'word' && second.kind !== 'quoted')) return undefined;
  // A third part (catalog.schema.name) does not exist in MySQL; refuse it rather than guess.
  if (isPunct(tokens[i + 3], '.')) return undefined;
  return { schema: first.text, name: second.text, next: i + 3 };
}

/** Skips the keywords `words` when they come next, in order; returns the index after them (or `i` when they do not). */
export function skipWords(tokens: readonly Token[], i: number, ...words: string[]): number {
  for (let k = 0; k < words.length; k++) {
    if (!isWord(tokens[i + k], words[k] as string)) return i;
  }
  return i + words.length;
}
