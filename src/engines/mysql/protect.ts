import { createHash, randomBytes } from 'node:crypto';
import { BastionError } from '../../errors/codes.js';
import type { CheckedStatement } from '../../engine/policy.js';
import type { ProtectedRelation, ProtectedStatement, ReadProtection } from '../../engine/protection.js';
import { quotedEnd, isWordChar } from './lexer.js';
import { maskedRelationSql, quoteIdentifier } from './mask-sql.js';
import { tokenize } from './tokens.js';
import { fromItems } from './walker.js';
import type { MysqlParser } from './write-guard.js';

type Node = Record<string, unknown>;

/** node-sql-parser, asked for the offset of every table and column reference. */
type LocatingParser = MysqlParser;

/** One change to the statement's text: [start, end) replaced, `keyParams` hash-key `?` in the new text. */
interface Edit {
  readonly start: number;
  readonly end: number;
  readonly text: string;
  readonly keyParams: number;
  /** The text that runs, when it differs from `text` (which the re-parse checks): index hints node-sql-parser cannot parse. */
  readonly run?: string;
}

interface Rewritten {
  readonly sql: string;
  /** Where each pair of hash-key parameters goes among the statement's `?` (the first of the pair). */
  readonly keySlots: readonly number[];
}

/**
 * Column security by construction for MySQL and MariaDB (ReadGuard.protect). Every table
 * reference in FROM or JOIN — in the statement, its subqueries, derived tables, CTE bodies
 * and set operations — that names a relation with rules for the role becomes `(SELECT
 * <kept columns>, <mask> AS <masked column> FROM db.table) AS <its alias or name>`: a denied
 * column does not exist, a masked one is its mask, for every filter, join, ordering,
 * grouping, aggregate, window, cast and error after it. Every other table is qualified with
 * its database; `db.table.column` of a protected table loses its `db.`, the name the
 * replacement carries. The edits are made in the statement's own text at the offsets
 * node-sql-parser gives, each checked against the name written there; the result is parsed
 * again and every reference to a protected table must sit inside one of the generated
 * derived tables, or the statement is refused. Hash-key parameters sit where the derived
 * tables are, among the call's own `?` (ProtectedStatement.at).
 */
export class MysqlProtector {
  private readonly cache = new Map<string, Rewritten | BastionError>();

  constructor(
    private readonly parser: LocatingParser,
    private readonly cacheSize = 2000,
  ) {}

  protect(checked: CheckedStatement, protection: ReadProtection, hashKey: Uint8Array): ProtectedStatement {
    // No relation with rules: the statement runs as checked (a role without rules pays nothing).
    if (protection.relations.length === 0) return { sql: checked.sql, params: [] };
    const key = `${checked.sql}\u0000${signature(protection)}`;
    let rewritten = this.cache.get(key);
    if (rewritten === undefined) {
      rewritten = settle(() => rewrite(this.parser, checked.sql, protection));
      if (this.cache.size >= this.cacheSize) {
        const oldest = this.cache.keys().next().value;
        if (oldest !== undefined) this.cache.delete(oldest);
      }
      this.cache.set(key, rewritten);
    }
    if (rewritten instanceof BastionError) throw rewritten;
    if (rewritten.keySlots.length === 0) return { sql: rewritten.sql, params: [] };
    // EXPLAIN computes nothing: a throwaway key.
    const [outer, inner] = hashKeyParams(checked.tool === 'explain' ? randomBytes(32) : hashKey);
    return {
      sql: rewritten.sql,
      params: rewritten.keySlots.flatMap(() => [outer, inner]),
      at: rewritten.keySlots.flatMap((slot) => [slot, slot + 1]),
    };
  }
}

function settle(work: () => Rewritten): Rewritten | BastionError {
  try {
    return work();
  } catch (error) {
    if (error instanceof BastionError) return error;
    if (error instanceof RewriteMismatch || error instanceof RangeError) return cannotRewrite(error);
    throw error;
  }
}

function signature(protection: ReadProtection): string {
  return JSON.stringify([[...protection.resolved].sort(), protection.relations]);
}

function rewrite(parser: LocatingParser, sql: string, protection: ReadProtection): Rewritten {
  const guarded = new Map(protection.relations.map((r) => [key(r.schema, r.name), r]));
  const edits: Edit[] = [];
  const generated = new Set<string>();
  let replaced = 0;
  const tree = parseOnce(parser, sql, true);
  new TableVisitor(protection, {
    table(item, target) {
      const at = offsetOf(item);
      const name = readName(sql, at);
      const written = [text(item['db']), text(item['table'])].filter((part): part is string => part !== undefined);
      if (name === undefined || name.parts.join('.') !== written.join('.')) throw new RewriteMismatch('table name not at its offset');
      const relation = guarded.get(key(target.schema, target.name));
      if (relation === undefined) {
        if (name.parts.length === 1) edits.push({ start: at, end: at, text: `${quoteIdentifier(target.schema)}.`, keyParams: 0 });
        return;
      }
      const masked = maskedRelationSql(relation);
      if (masked === undefined) throw allDenied(relation);
      generated.add(masked.subquery);
      replaced++;
      const alias = text(item['as']) === undefined ? ` AS ${quoteIdentifier(relation.name)}` : '';
      const hints = ignoreIndexes(relation);
      edits.push({ start: at, end: name.end, text: `(${masked.subquery})${alias}`, keyParams: masked.keyParams, ...(hints === '' ? {} : { run: `(${masked.subquery}${hints})${alias}` }) });
    },
    column(node) {
      const db = text(node['db']);
      const table = text(node['table']);
      if (db === undefined || table === undefined || !guarded.has(key(db, table))) return;
      const at = offsetOf(node);
      const name = readName(sql, at);
      if (name === undefined || name.parts[0] !== db || name.parts[1] !== table) throw new RewriteMismatch('column name not at its offset');
      const tableStart = name.starts[1];
      if (tableStart === undefined) throw new RewriteMismatch('column name not at its offset');
      edits.push({ start: at, end: tableStart, text: '', keyParams: 0 });
    },
  }).visit(tree);
  if (edits.length === 0) return { sql, keySlots: [] };
  const { text: built, keySlots } = applyEdits(sql, edits);
  verify(parser, built, protection, generated, replaced);
  // The hints go in after the check, into the generated text only; they hold no `?`, so the key slots stay.
  if (!edits.some((edit) => edit.run !== undefined)) return { sql: built, keySlots };
  return { sql: applyEdits(sql, edits.map((edit) => ({ ...edit, text: edit.run ?? edit.text }))).text, keySlots };
}

/**
 * `IGNORE INDEX (...)` for every index that reads a protected column: a statement without
 * ORDER BY (`SELECT id FROM t LIMIT 1`, an unordered GROUP_CONCAT) read through one — a
 * covering scan — would return rows in the order of the protected values. MySQL and MariaDB
 * keep a derived table's hints when they merge it into the statement.
 */
function ignoreIndexes(relation: ProtectedRelation): string {
  const names = relation.indexes ?? [];
  return names.length === 0 ? '' : ` IGNORE INDEX (${names.map(quoteIdentifier).join(', ')})`;
}

/** The statement with the edits made, and where each edit's key parameters fall among its `?`. */
function applyEdits(sql: string, edits: readonly Edit[]): { text: string; keySlots: number[] } {
  const sorted = [...edits].sort((a, b) => a.start - b.start || a.end - b.end);
  let out = '';
  let from = 0;
  let placeholders = 0;
  const keySlots: number[] = [];
  for (const edit of sorted) {
    if (edit.start < from) throw new RewriteMismatch('overlapping edits');
    const kept = sql.slice(from, edit.start);
    placeholders += countPlaceholders(kept);
    out += kept + edit.text;
    for (let pair = 0; pair < edit.keyParams / 2; pair++) {
      keySlots.push(placeholders);
      placeholders += 2;
    }
    from = edit.end;
  }
  return { text: out + sql.slice(from), keySlots };
}

function countPlaceholders(fragment: string): number {
  return tokenize(fragment).filter((t) => t.kind === 'punct' && t.text === '?').length;
}

/**
 * The rebuilt statement, parsed again: every table reference that names a protected
 * relation must be the one inside a generated derived table, and every generated derived
 * table must be there.
 */
function verify(parser: LocatingParser, built: string, protection: ReadProtection, generated: ReadonlySet<string>, replaced: number): void {
  const guarded = new Set(protection.relations.map((r) => key(r.schema, r.name)));
  const expected = new Set([...generated].map((subquery) => templateTree(parser, subquery)));
  let found = 0;
  const tree = parseOnce(parser, built, false);
  new TableVisitor(protection, {
    table(_item, target) {
      if (guarded.has(key(target.schema, target.name))) throw new RewriteMismatch('a protected table outside its replacement');
    },
    derived(item) {
      const ast = (item['expr'] as Node)['ast'];
      if (!expected.has(JSON.stringify(withoutLocations(ast)))) return false;
      found++;
      return true;
    },
    column(node) {
      const db = text(node['db']);
      const table = text(node['table']);
      if (db !== undefined && table !== undefined && guarded.has(key(db, table))) throw new RewriteMismatch('a protected table named by a column');
    },
  }).visit(tree);
  if (found !== replaced) throw new RewriteMismatch('a replacement went missing');
}

/** Generated subqueries as trees (JSON), by text: the same for every statement of a role. */
const templates = new Map<string, string>();
const TEMPLATE_CACHE_SIZE = 500;

function templateTree(parser: LocatingParser, subquery: string): string {
  let tree = templates.get(subquery);
  if (tree === undefined) {
    tree = JSON.stringify(withoutLocations(parseOnce(parser, subquery, false)));
    if (templates.size >= TEMPLATE_CACHE_SIZE) templates.clear();
    templates.set(subquery, tree);
  }
  return tree;
}

interface Visits {
  /** A table reference in FROM/JOIN, with the relation it stands for (a CTE reference is not one). */
  table(item: Node, target: { schema: string; name: string }): void;
  /** A derived table; true when the visitor is not to look inside it. */
  derived?(item: Node): boolean;
  column(node: Node): void;
}

/** Visits every table reference and column reference of a statement with MySQL's CTE scoping (as MysqlReadWalker has it). */
class TableVisitor {
  private readonly cteScopes: ReadonlySet<string>[] = [];

  constructor(
    private readonly protection: ReadProtection,
    private readonly visits: Visits,
  ) {}

  visit(value: unknown): void {
    if (Array.isArray(value)) {
      for (const item of value) this.visit(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const node = value as Node;
    if (node['type'] === 'select') return this.select(node);
    if (node['type'] === 'column_ref') this.visits.column(node);
    for (const child of Object.values(node)) this.visit(child);
  }

  private select(node: Node): void {
    const ctes = Array.isArray(node['with']) ? (node['with'] as Node[]) : [];
    const names = ctes.map((cte) => text(cte['name']) ?? '');
    ctes.forEach((cte, i) => {
      this.cteScopes.push(new Set(cte['recursive'] === true ? names : names.slice(0, i)));
      try {
        this.visit(cte['stmt']);
      } finally {
        this.cteScopes.pop();
      }
    });
    this.cteScopes.push(new Set(names));
    try {
      for (const item of fromItems(node['from'])) this.from(item);
      for (const [field, child] of Object.entries(node)) {
        if (field !== 'with' && field !== 'from' && field !== '_next') this.visit(child);
      }
    } finally {
      this.cteScopes.pop();
    }
    if (node['_next'] !== undefined && node['_next'] !== null) this.select(node['_next'] as Node);
  }

  private from(item: Node): void {
    this.visit(item['on']);
    if (item['type'] === 'dual') return;
    if (typeof item['table'] === 'string' && item['expr'] === undefined) {
      const target = this.resolve(item);
      if (target !== undefined) this.visits.table(item, target);
      return;
    }
    const expr = item['expr'] as Node | undefined;
    if (expr !== undefined && expr !== null && 'ast' in expr) {
      if (this.visits.derived?.(item) === true) return;
      this.visit(expr['ast']);
      return;
    }
    throw new RewriteMismatch('a FROM item the walk does not know');
  }

  /** The database and name a table reference stands for; undefined for a CTE reference. */
  private resolve(item: Node): { schema: string; name: string } | undefined {
    const name = item['table'] as string;
    const db = text(item['db']);
    if (db !== undefined) return { schema: db, name };
    if (this.cteScopes.some((scope) => scope.has(name))) return undefined;
    // A CTE in another case: the authorize stage took it for the CTE (as MariaDB does), a
    // server comparing names exactly would read the table. Refuse rather than guess.
    const lower = name.toLowerCase();
    if (this.cteScopes.some((scope) => [...scope].some((cte) => cte.toLowerCase() === lower))) throw new RewriteMismatch('a CTE named in another case');
    const schema = this.protection.resolved.get(name);
    if (schema === undefined) throw new RewriteMismatch(`no database for ${name}`);
    return { schema, name };
  }
}

/** An identifier written at `at`, possibly qualified (`a.b`, `` `a` . `b` ``): its parts, where each starts, where it ends. */
function readName(sql: string, at: number): { parts: string[]; starts: number[]; end: number } | undefined {
  const parts: string[] = [];
  const starts: number[] = [];
  let i = at;
  for (;;) {
    const start = i;
    if (sql[i] === '`') {
      const end = quotedEnd(sql, i, '`');
      parts.push(sql.slice(i + 1, end - 1).replaceAll('``', '`'));
      i = end;
    } else if (isWordChar(sql[i])) {
      while (isWordChar(sql[i])) i++;
      parts.push(sql.slice(start, i));
    } else {
      return undefined;
    }
    starts.push(start);
    let j = i;
    while (/\s/.test(sql[j] ?? '')) j++;
    if (sql[j] !== '.' || parts.length === 3) return { parts, starts, end: i };
    j++;
    while (/\s/.test(sql[j] ?? '')) j++;
    if (sql[j] !== '`' && !isWordChar(sql[j])) return { parts, starts, end: i };
    i = j;
  }
}

function parseOnce(parser: LocatingParser, sql: string, locations: boolean): unknown {
  let ast: unknown;
  try {
    ast = parser.astify(sql, locations ? { database: 'MySQL', parseOptions: { includeLocations: true } } : { database: 'MySQL' });
  } catch (error) {
    throw new RewriteMismatch(`does not parse: ${(error as Error).message}`);
  }
  const list = Array.isArray(ast) ? ast : [ast];
  if (list.length !== 1) throw new RewriteMismatch('not one statement');
  return list[0];
}

function withoutLocations(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutLocations);
  if (node === null || typeof node !== 'object') return node;
  return Object.fromEntries(
    Object.entries(node as Node)
      .filter(([field]) => field !== 'loc')
      .map(([field, value]) => [field, withoutLocations(value)]),
  );
}

function offsetOf(node: Node): number {
  const at = ((node['loc'] as Node | undefined)?.['start'] as Node | undefined)?.['offset'];
  if (typeof at !== 'number' || at < 0) throw new RewriteMismatch('no offset');
  return at;
}

const text = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as Node)['value'] === 'string') return (value as Node)['value'] as string;
  return undefined;
};

function key(schema: string, name: string): string {
  return `${schema}\u0000${name}`;
}

const BLOCK = 64;

/** HMAC-SHA-256's outer and inner padded keys for `key`, as hex: the hash mask computes exactly what createHmac does. */
function hashKeyParams(hashKey: Uint8Array): [string, string] {
  const block = Buffer.alloc(BLOCK);
  (hashKey.length > BLOCK ? createHash('sha256').update(hashKey).digest() : Buffer.from(hashKey)).copy(block);
  return [Buffer.from(block.map((b) => b ^ 0x5c)).toString('hex'), Buffer.from(block.map((b) => b ^ 0x36)).toString('hex')];
}

/** The statement does not say what the authorize stage decided about it: refuse rather than guess. */
class RewriteMismatch extends Error {
  override readonly name = 'RewriteMismatch';
}

function cannotRewrite(cause?: unknown): BastionError {
  return new BastionError(
    'SQL_FEATURE_DENIED',
    "This statement could not be rebuilt under your role's column rules; write it more simply (e.g. without unusual syntax around the protected table).",
    cause,
  );
}

function allDenied(relation: ProtectedRelation): BastionError {
  return new BastionError('DENIED_BY_POLICY', `Every column of ${relation.schema}.${relation.name} is denied for your role.`);
}
