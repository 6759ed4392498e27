import { BastionError } from '../../errors/codes.js';
import type { ColumnRefParts, RelationRef, StatementReads } from '../../engine/policy.js';
import { SQLITE_ALLOWED_FUNCTIONS, SQLITE_KEYWORDS } from './functions.js';
import { isWord, type Token } from './lexer.js';
import { forParser } from './lexical.js';
import type { SqlParser } from './parser.js';

export type Node = Record<string, unknown>;

/** A write or schema change outside what the tools allow. */
export function writeDenied(message: string): BastionError {
  return new BastionError('WRITE_NOT_ALLOWED', message);
}

export function featureDenied(message: string): BastionError {
  return new BastionError('SQL_FEATURE_DENIED', message);
}

/** SQLite folds identifiers in ASCII only (`AI_X` is `ai_x`, `AÏ_X` is not `aï_x`): the write policy folds the same way. */
export function asciiLower(name: string): string {
  return name.replace(/[A-Z]/gu, (c) => c.toLowerCase());
}

/**
 * Words that never belong in a write, wherever they appear: connection and
 * transaction control, other databases, triggers and virtual tables, conflict
 * clauses (REPLACE rows, IGNORE errors, resolve by ROLLBACK), index hints, and a
 * caller's RETURNING (the dry run adds its own).
 */
const ALWAYS_REFUSED: ReadonlyMap<string, string> = new Map([
  ...['ATTACH', 'DETACH'].map((w): [string, string] => [w, 'Other database files are never attached.']),
  ...['PRAGMA', 'VACUUM', 'REINDEX', 'ANALYZE'].map((w): [string, string] => [w, `${w} changes the database file or the connection; it is not allowed.`]),
  ...['BEGIN', 'COMMIT', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'TRANSACTION'].map((w): [string, string] => [w, 'Bastion runs every write in its own transaction; transaction control is not allowed.']),
  ['TRIGGER', 'Triggers are not allowed: they would run statements nobody reviewed.'],
  ['VIRTUAL', 'Virtual tables are not allowed: their modules reach outside the database.'],
  ...['TEMP', 'TEMPORARY'].map((w): [string, string] => [w, 'Temporary objects are not allowed: they live outside main.']),
  ...['CONFLICT', 'ABORT', 'FAIL', 'IGNORE'].map((w): [string, string] => [w, 'Conflict clauses (OR …, ON CONFLICT) are not allowed.']),
  ['INDEXED', 'Index hints (INDEXED BY, NOT INDEXED) are not allowed.'],
  ['RETURNING', 'RETURNING is not allowed: the dry run shows the changed rows.'],
]);

/** The refusals on words for `tool`: every word of the statement is looked at. */
export function refuseWords(tokens: readonly Token[], tool: 'execute' | 'change_schema'): void {
  tokens.forEach((token, i) => {
    if (token.kind !== 'word') return;
    const upper = token.text.toUpperCase();
    const why = ALWAYS_REFUSED.get(upper);
    if (why !== undefined) throw writeDenied(why);
    const next = tokens[i + 1];
    // replace(x, y, z) is a function; REPLACE as a statement or a conflict clause is not.
    if (upper === 'REPLACE' && !(next?.kind === 'punct' && next.text === '(')) throw writeDenied('REPLACE is not allowed: it deletes rows it does not name.');
    if (tool === 'execute' && (upper === 'CREATE' || upper === 'DROP' || upper === 'ALTER')) {
      throw writeDenied(`execute takes one INSERT, UPDATE or DELETE; ${upper} goes through change_schema.`);
    }
    if (tool === 'change_schema') {
      // ON DELETE / ON UPDATE are a foreign key's actions; any other INSERT, UPDATE or DELETE is data.
      const action = (upper === 'UPDATE' || upper === 'DELETE') && isWord(tokens[i - 1], 'ON');
      if (!action && (upper === 'INSERT' || upper === 'UPDATE' || upper === 'DELETE' || upper === 'INTO')) {
        throw writeDenied(`change_schema takes one CREATE, ALTER or DROP; ${upper} goes through execute.`);
      }
    }
  });
}

/** A name in the statement: `name` or `main.name`, with the index of the name's token. */
export interface NameAt {
  readonly schema: string | undefined;
  readonly name: string;
  readonly index: number;
}

/** Reads tokens from the start of a statement, for the shapes the write policy allows. */
export class Cursor {
  i = 0;
  constructor(readonly tokens: readonly Token[]) {}

  peek(offset = 0): Token | undefined {
    return this.tokens[this.i + offset];
  }

  /** Takes the next token when it is one of `words`. */
  word(...words: string[]): boolean {
    if (!isWord(this.peek(), ...words)) return false;
    this.i++;
    return true;
  }

  expect(message: string, ...words: string[]): void {
    if (!this.word(...words)) throw featureDenied(message);
  }

  punct(text: string): boolean {
    const t = this.peek();
    if (t?.kind !== 'punct' || t.text !== text) return false;
    this.i++;
    return true;
  }

  atEnd(): boolean {
    return this.i >= this.tokens.length;
  }

  /** `name` or `main.name`; any other schema is refused (temp, an attached file). */
  name(what: string): NameAt {
    const first = this.identifier(what);
    if (!this.punct('.')) return { schema: undefined, name: first.text, index: first.index };
    if (asciiLower(first.text) !== 'main') throw writeDenied(`${what}: only the main schema can be written; ${first.text} cannot.`);
    const second = this.identifier(what);
    return { schema: 'main', name: second.text, index: second.index };
  }

  private identifier(what: string): { text: string; index: number } {
    const t = this.peek();
    const plain = t?.kind === 'word' && !SQLITE_KEYWORDS.has(t.text.toUpperCase());
    if (t === undefined || !(plain || t.kind === 'quoted')) throw featureDenied(`${what}: a table name was expected.`);
    this.i++;
    return { text: t.text, index: this.i - 1 };
  }
}

/** Parses the tokens with node-sql-parser's SQLite grammar: exactly one statement of `type`. */
export function parseOne(parser: SqlParser, tokens: readonly Token[], type: string, what: string): Node {
  let ast: unknown;
  try {
    ast = parser.astify(forParser(tokens), { database: 'sqlite' });
  } catch (error) {
    if (error instanceof BastionError) throw error;
    throw new BastionError('SQL_PARSE_ERROR', `The SQL does not parse as one ${what} this source allows (or uses syntax the checker does not know).`);
  }
  const list = Array.isArray(ast) ? (ast as unknown[]) : [ast];
  if (list.length !== 1) throw new BastionError('SQL_MULTIPLE_STATEMENTS');
  const root = list[0] as Node | null | undefined;
  if (root === null || root === undefined || root['type'] !== type) throw featureDenied(`The statement does not read as one ${what}.`);
  return root;
}

/** Refuses a node carrying a set field outside `allowed` (deny by default: a clause never reviewed is refused). */
export function onlyKeys(node: Node, allowed: ReadonlySet<string>, what: string): void {
  for (const [key, value] of Object.entries(node)) {
    if (value === null || value === undefined || allowed.has(key)) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    throw featureDenied(`${what}: ${key.replaceAll('_', ' ').toUpperCase()} is not allowed here.`);
  }
}

export function listOf(value: unknown): Node[] {
  return Array.isArray(value) ? (value as Node[]) : [];
}

/** The parser's `{ db, table }` as a lower-cased pair, to compare with what the tokens named. */
export function sameName(node: unknown, at: NameAt, key = 'table'): boolean {
  const value = (node ?? {}) as Node;
  const name = typeof value[key] === 'string' ? asciiLower(value[key]) : undefined;
  const db = typeof value['db'] === 'string' ? asciiLower(value['db']) : undefined;
  return name === asciiLower(at.name) && db === (at.schema === undefined ? undefined : 'main');
}

/** Every function the parser saw must be on the read allow-list too (the tokens were checked on their own). */
export function checkParsedFunctions(functions: readonly string[]): void {
  for (const name of functions) {
    if (!SQLITE_ALLOWED_FUNCTIONS.has(name)) throw new BastionError('SQL_FUNCTION_DENIED', `The function ${name} is not allowed.`);
  }
}

/** How many SELECTs the tokens hold: the parser's walk must have met every one of them. */
export function selectWords(tokens: readonly Token[]): number {
  return tokens.filter((t) => isWord(t, 'SELECT')).length;
}

export function relation(at: NameAt): RelationRef {
  return { schema: at.schema, name: asciiLower(at.name), alias: undefined };
}

export const NO_READS: StatementReads = {
  relations: [],
  functions: [],
  columnRefs: [] as ColumnRefParts[],
  directColumnRefs: new Set<ColumnRefParts>(),
  hasSetOperation: false,
  usingColumns: [],
  hasNaturalJoin: false,
  paramCount: 0,
};
