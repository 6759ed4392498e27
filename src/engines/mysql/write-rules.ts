import { BastionError } from '../../errors/codes.js';
import type { RelationRef, CheckedWrite } from '../../engine/policy.js';
import { ALLOWED_FUNCTIONS, PAREN_KEYWORDS } from './functions.js';
import type { ScannedSql } from './lexer.js';

export type Node = Record<string, unknown>;

/** Databases no write or schema change may touch or read: credentials, server state, other sessions. */
const SYSTEM_DATABASES = new Set(['mysql', 'sys', 'performance_schema', 'information_schema']);

/** Compared case-insensitively: MySQL folds database names on some platforms, and a refusal must hold on all. */
export function isSystemDatabase(name: string): boolean {
  return SYSTEM_DATABASES.has(name.toLowerCase());
}

/** A write or schema change outside what the tools allow. */
export function writeDenied(message: string): BastionError {
  return new BastionError('WRITE_NOT_ALLOWED', message);
}

export function featureDenied(message: string): BastionError {
  return new BastionError('SQL_FEATURE_DENIED', message);
}

/**
 * What the engine checks in the catalog, on its own connection, before it runs
 * (or, for a schema change's dry run, instead of running) the statement: the
 * second layer, and what lets a validate-only dry run say more than "it parses".
 * An unqualified schema means the connection's current database.
 */
export type Expectation =
  | {
      readonly kind: 'relation';
      readonly schema: string | undefined;
      readonly name: string;
      /** absent: no table or view has this name; table / view: one of that type exists. */
      readonly state: 'absent' | 'table' | 'view' | 'view_or_absent';
      /** A base table whose engine supports transactions (a rollback really undoes), not partitioned. */
      readonly transactional?: boolean;
    }
  | {
      readonly kind: 'index' | 'column';
      readonly schema: string | undefined;
      readonly table: string;
      readonly name: string;
      readonly exists: boolean;
    }
  | {
      /**
       * No view, trigger or routine the change does not name refers to the table
       * or view `name` (and, with `part`, to that column or index of it): MySQL
       * keeps no such dependencies and would let the change break them.
       */
      readonly kind: 'unreferenced';
      readonly schema: string | undefined;
      readonly name: string;
      readonly part?: string;
      /** DROP TABLE: the table's own triggers go with it, so they do not count. */
      readonly ownTriggersGo?: boolean;
    };

/** What the engine shows after a real schema change: SHOW CREATE TABLE or VIEW of this object. */
export interface ShowTarget {
  readonly schema: string | undefined;
  readonly name: string;
  readonly type: 'table' | 'view';
}

/** One checked write with what the MySQL engine needs besides the shared CheckedWrite. */
export interface MysqlWritePlan {
  readonly checked: CheckedWrite;
  readonly expectations: readonly Expectation[];
  readonly show?: ShowTarget | undefined;
}

/**
 * Refuses a node carrying a set field outside `allowed`. Deny by default: a
 * clause the parser learns later (or one it keeps but this policy never
 * reviewed) is refused rather than passed through unseen. Unset fields are null.
 */
export function onlyKeys(node: Node, allowed: ReadonlySet<string>, what: string): void {
  for (const [key, value] of Object.entries(node)) {
    if (value === null || value === undefined || allowed.has(key)) continue;
    throw featureDenied(`${what}: ${key.replaceAll('_', ' ').toUpperCase()} is not allowed here.`);
  }
}

export function listOf(value: unknown): Node[] {
  return Array.isArray(value) ? (value as Node[]) : [];
}

export function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** A keyword the parser gives as a string, lower-cased; '' for anything else (which no allow-list holds). */
export function lowerOf(value: unknown): string {
  return typeof value === 'string' ? value.toLowerCase() : '';
}

/** The node without one field (the parser hangs some clauses on an expression). */
export function without(node: Node, key: string): Node {
  return Object.fromEntries(Object.entries(node).filter(([name]) => name !== key));
}

/**
 * A table or view named by a write, as written: never in a system database. The
 * parser gives `{ db, table }` (a view: `{ db, view }`).
 */
export function relationOf(node: unknown, what: string, nameKey = 'table'): RelationRef {
  const value = (node ?? {}) as Node;
  const name = stringOf(value[nameKey]);
  if (name === undefined || name === '') throw featureDenied(`${what} names no table.`);
  const schema = stringOf(value['db']) ?? undefined;
  if (schema !== undefined && isSystemDatabase(schema)) {
    throw writeDenied(`${what} ${schema}.${name} is in a system database; ${schema} is never changed.`);
  }
  const alias = stringOf(value['as']);
  return { schema, name, alias };
}

/**
 * The prefix rule on the name as MySQL stores it: compared exactly, so `AI_X` does
 * not carry `ai_` (with lower_case_table_names=0, the Linux default, it is another
 * table; elsewhere refusing it is merely strict).
 */
export function owned(name: string, prefix: string, what: string): string {
  if (!name.startsWith(prefix)) {
    throw writeDenied(
      `${what}: "${name}" does not start with ${prefix}; change_schema only creates, changes and drops objects named ${prefix}... (names compare exactly as written, case included).`,
    );
  }
  return name;
}

/**
 * The lexical view of calls: every `name(` in the text must be an allowed
 * function, a keyword that takes parentheses, or one of `names` (tables, columns,
 * types and indexes the statement names, upper-cased, which also appear before a
 * parenthesis). A quoted or qualified `name(` may only be one of `names`: as a
 * call it would be a stored function.
 */
export function checkCalls(scanned: ScannedSql, keywords: ReadonlySet<string>, names: ReadonlySet<string>): void {
  for (const call of scanned.calls) {
    if (call.startsWith('.') || call.startsWith('`')) {
      if (names.has(call.slice(1))) continue;
      throw new BastionError('SQL_FUNCTION_DENIED', 'Quoted or qualified function names call stored functions; they are not allowed.');
    }
    if (ALLOWED_FUNCTIONS.has(call) || PAREN_KEYWORDS.has(call) || keywords.has(call) || names.has(call)) continue;
    throw new BastionError('SQL_FUNCTION_DENIED', `The function ${call} is not on the allow-list.`);
  }
}

/** Words that never belong in a write, wherever the parser puts them (or drops them). */
export function refuseWords(scanned: ScannedSql, denied: ReadonlyMap<string, string>): void {
  for (const word of scanned.words) {
    const why = denied.get(word);
    if (why !== undefined) throw writeDenied(why);
  }
}
