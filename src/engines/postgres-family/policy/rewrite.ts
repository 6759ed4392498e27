import { randomBytes } from 'node:crypto';
import { deparseSync } from 'pgsql-deparser';
import { BastionError } from '../../../errors/codes.js';
import type { CheckedStatement } from '../../../engine/policy.js';
import type { ProtectedStatement, ReadProtection } from '../../../engine/protection.js';
import { hashKeyParams } from './mask-sql.js';
import { parseSql } from './parse.js';
import { RelationRewriter, RewriteMismatch, type TextEdit } from './relation-rewriter.js';
import { spliceEdits } from './splice.js';

type Node = Record<string, unknown>;

export interface Rewritten {
  readonly sql: string;
  /** The statement computes a hash mask: the two key parameters follow the call's own. */
  readonly usesHashKey: boolean;
}

/**
 * Column security by construction for the PostgreSQL family (ReadGuard.protect). The
 * accepted statement is parsed again and every RangeVar that names a protected relation —
 * wherever it is: FROM, JOIN, subqueries, CTE bodies, LATERAL, EXISTS, set operations —
 * becomes `(SELECT <kept columns>, <mask> AS <masked column> FROM schema.table) AS <its
 * alias or name>(<its column aliases>)`. Everything after it (`e.col`, `e.*`, the
 * whole-row `e`, `to_jsonb(e)`, `e.to_jsonb`, filters, joins, orderings, casts and their
 * errors) sees only that row: a denied column does not exist, a masked one is its mask.
 * Every other relation is qualified with the schema its name resolves to, since the
 * statement runs with the search path pinned (see relation-rewriter.ts). The text that runs
 * is the statement as written with those changes made in place (splice.ts), or else the
 * whole tree deparsed; it is parsed once more and must give exactly the tree that was
 * built, or the statement is refused. Statements of roles without rules never come here.
 */
export class StatementProtector {
  /** Rewrites and refusals by statement text and rules: a repeated statement costs a lookup. */
  private readonly cache = new Map<string, Rewritten | BastionError>();

  constructor(private readonly cacheSize = 2000) {}

  protect(checked: CheckedStatement, protection: ReadProtection, hashKey: Uint8Array): ProtectedStatement {
    const key = `${checked.sql}\u0000${signature(protection)}`;
    let rewritten = this.cache.get(key);
    if (rewritten === undefined) {
      rewritten = settle(() => rewrite(checked.sql, protection, checked.paramCount + 1));
      if (this.cache.size >= this.cacheSize) {
        const oldest = this.cache.keys().next().value;
        if (oldest !== undefined) this.cache.delete(oldest);
      }
      this.cache.set(key, rewritten);
    }
    if (rewritten instanceof BastionError) throw rewritten;
    // An index on a protected column stays out of the plan (ReadProtection.indexedProtected).
    const plan = protection.indexedProtected === true ? { withoutIndexScans: true } : {};
    if (!rewritten.usesHashKey) return { sql: rewritten.sql, params: [], ...plan };
    // EXPLAIN computes nothing, and its plan may print parameter values: a throwaway key.
    return { sql: rewritten.sql, params: hashKeyParams(checked.tool === 'explain' ? randomBytes(32) : hashKey), ...plan };
  }
}

function settle(work: () => Rewritten): Rewritten | BastionError {
  try {
    return work();
  } catch (error) {
    if (error instanceof BastionError) return error;
    // A tree deep enough to exhaust the stack here is refused, not crashed on.
    if (error instanceof RangeError) return cannotRewrite(error);
    throw error;
  }
}

function signature(protection: ReadProtection): string {
  return JSON.stringify([[...protection.resolved].sort(), protection.relations, protection.views ?? []]);
}

/** A read rebuilt under `protection` (also a write's before-read, see write-protect.ts). */
export function rewrite(sql: string, protection: ReadProtection, firstKeyParam: number): Rewritten {
  const tree = parseSql(sql);
  const statement = tree.stmts?.[0]?.stmt as Node | undefined;
  if (statement === undefined || tree.stmts?.length !== 1) throw cannotRewrite();
  const rewriter = new RelationRewriter(protection, firstKeyParam);
  try {
    rewriter.walk(statement);
  } catch (error) {
    if (error instanceof RewriteMismatch) throw cannotRewrite(error);
    throw error;
  }
  return { sql: render(sql, tree.version, statement, rewriter.edits), usesHashKey: rewriter.usesHashKey };
}

/**
 * The text that runs for a rebuilt `statement`: `sql` itself when nothing changed (every
 * relation already qualified and none protected); else the user's own text with the edits
 * made in place; else the whole tree deparsed. Either way, the text must parse to exactly
 * the tree that was built, or the statement is refused.
 */
export function render(sql: string, version: number | undefined, statement: Node, edits: readonly TextEdit[]): string {
  if (edits.length === 0) return sql;
  const built = comparable(statement);
  for (const candidate of [() => spliceEdits(sql, edits), () => deparseSync({ version, stmts: [{ stmt: statement }] } as never, { pretty: false })]) {
    let text: string | undefined;
    try {
      text = candidate();
    } catch {
      continue;
    }
    if (text !== undefined && parsesTo(text, built)) return text;
  }
  throw cannotRewrite();
}

function parsesTo(text: string, built: unknown): boolean {
  try {
    const stmts = parseSql(text).stmts ?? [];
    return stmts.length === 1 && sameTree(comparable(stmts[0]?.stmt), built);
  } catch {
    return false;
  }
}

/** Where a node was written, not what it is (as fingerprint.ts has it). */
const isPosition = (key: string): boolean => key.endsWith('location') || key === 'stmt_len' || key.endsWith('_start') || key.endsWith('_end');

/**
 * A tree as the comparison sees it: no positions, and a type named `pg_catalog.x` the same
 * as `x` — the deparser drops that qualifier on some built-in types, and the statement runs
 * with the search path pinned to pg_catalog, where the two are the same type.
 */
function comparable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(comparable);
  if (node === null || typeof node !== 'object') return node;
  const object = Object.fromEntries(
    Object.entries(node as Node)
      .filter(([key, value]) => !isPosition(key) && value !== undefined)
      .map(([key, value]) => [key, comparable(value)]),
  );
  const names = object['names'];
  if (Array.isArray(names) && 'typemod' in object && names.length === 2 && (names[0] as { String?: { sval?: string } }).String?.sval === 'pg_catalog') {
    object['names'] = names.slice(1);
  }
  return object;
}

/** Deep equality of two comparable parse trees, key order aside. */
function sameTree(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => sameTree(item, b[i]));
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(b)) return false;
  const left = Object.entries(a as Node);
  const right = b as Node;
  return left.length === Object.keys(right).length && left.every(([key, value]) => sameTree(value, right[key]));
}

export function cannotRewrite(cause?: unknown): BastionError {
  return new BastionError(
    'SQL_FEATURE_DENIED',
    'This statement could not be rebuilt under your role\'s column rules; write it more simply (e.g. without unusual syntax around the protected table).',
    cause,
  );
}
