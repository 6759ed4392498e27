import { BastionError } from '../../errors/codes.js';
import type { ColumnRefParts, RelationRef, StatementReads } from '../../engine/policy.js';
import { ALLOWED_FUNCTIONS } from './functions.js';

type Node = Record<string, unknown>;

/** Schemas no statement may read: credentials, server state, other sessions. */
const DENIED_SCHEMAS = new Set(['mysql', 'performance_schema', 'sys']);
/** The information_schema tables a read may use: structure only, no users, privileges or sessions. */
export const ALLOWED_INFORMATION_SCHEMA = new Set([
  'TABLES',
  'COLUMNS',
  'SCHEMATA',
  'STATISTICS',
  'KEY_COLUMN_USAGE',
  'TABLE_CONSTRAINTS',
  'VIEWS',
  'REFERENTIAL_CONSTRAINTS',
]);

/** node-sql-parser expression types a read may contain; any other type is refused. */
const EXPRESSION_TYPES = new Set([
  'column_ref', 'binary_expr', 'unary_expr', 'number', 'bigint', 'single_quote_string', 'double_quote_string',
  'natural_string', 'hex_string', 'full_hex_string', 'bit_string', 'bool', 'boolean', 'null', 'origin', 'expr_list',
  'case', 'when', 'else', 'cast', 'interval', 'extract', 'star', 'datatype', 'default', 'window', 'function', 'aggr_func',
  'date', 'time', 'timestamp', 'datetime',
  // ORDER BY items carry their direction in `type`.
  'ASC', 'DESC',
]);

const text = (value: unknown): string | undefined => {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null) {
    const inner = (value as Node)['value'] ?? (value as Node)['expr'];
    if (inner !== value) return text(inner);
  }
  return undefined;
};

/**
 * `x = ANY (SELECT ...)`, `x > ALL (...)`, `x < SOME (...)`: the parser writes the quantifier
 * as a call named ANY, ALL or SOME of one subquery. They are reserved words in MySQL, never a
 * stored function's unquoted name; the subquery is still walked.
 */
function isQuantifiedSubquery(node: Node): boolean {
  const parts = (node['name'] as Node | undefined)?.['name'];
  const first = Array.isArray(parts) && parts.length === 1 ? (parts[0] as Node) : undefined;
  if (first === undefined || first['type'] !== 'default' || typeof first['value'] !== 'string') return false;
  if (!['ANY', 'ALL', 'SOME'].includes(first['value'].toUpperCase())) return false;
  const args = (node['args'] as Node | undefined)?.['value'];
  return Array.isArray(args) && args.length === 1 && typeof args[0] === 'object' && args[0] !== null && 'ast' in (args[0] as Node);
}

/**
 * The items of a FROM clause: a list, or (for a parenthesized join, `FROM (a JOIN b) JOIN c`)
 * an object with the parenthesized items in `expr` and the joins after it in `joins`.
 * Anything else is refused: a FROM the walk cannot see into is a relation it cannot check.
 */
export function fromItems(from: unknown): Node[] {
  if (from === null || from === undefined) return [];
  if (Array.isArray(from)) return from as Node[];
  const group = from as Node;
  if (typeof group === 'object' && Array.isArray(group['expr'])) {
    const joins = Array.isArray(group['joins']) ? (group['joins'] as Node[]) : [];
    return [...(group['expr'] as Node[]), ...joins];
  }
  throw new BastionError('SQL_FEATURE_DENIED', 'This kind of FROM clause is not allowed in a read.');
}

/**
 * Walks a node-sql-parser (MySQL grammar) AST of one SELECT and records what the
 * authorize stage needs, throwing on the first thing a read may not do. Only the
 * outermost select list counts as "direct": a column passed up through a subquery
 * or CTE may lose its origin in MySQL's result metadata, so masking could not
 * follow it — authorizeRead then refuses a masked column there (fail closed).
 */
export class MysqlReadWalker {
  private readonly relations: RelationRef[] = [];
  private readonly functions = new Set<string>();
  private readonly columnRefs: ColumnRefParts[] = [];
  private readonly directColumnRefs = new Set<ColumnRefParts>();
  private readonly usingColumns: string[] = [];
  private hasSetOperation = false;
  private readonly cteScopes: ReadonlySet<string>[] = [];
  readonly cteNames = new Set<string>();

  visitStatement(select: Node): void {
    this.visitSelect(select, true);
  }

  /** An expression, a list of them or a clause made of them (inside a write), checked like a read. */
  visitExpression(value: unknown): void {
    this.visit(value);
  }

  /** CREATE TABLE ... LIKE t: a read of every column of t (names and types). */
  readWholeRelation(schema: string | undefined, name: string): void {
    this.recordRelation({ db: schema ?? null, table: name });
    this.columnRefs.push([name, '*']);
  }

  /** How many column references the walk has met so far. */
  get columnMentions(): number {
    return this.columnRefs.length;
  }

  reads(paramCount: number): StatementReads {
    return {
      relations: this.relations,
      functions: [...this.functions],
      columnRefs: this.columnRefs,
      directColumnRefs: this.directColumnRefs,
      hasSetOperation: this.hasSetOperation,
      usingColumns: this.usingColumns,
      hasNaturalJoin: false,
      paramCount,
    };
  }

  private visitSelect(node: Node, top: boolean): void {
    if (node['type'] !== 'select') {
      throw new BastionError('SQL_NOT_READ_ONLY', `Only SELECT may be used inside a read; got ${String(node['type']).toUpperCase()}.`);
    }
    const into = node['into'] as Node | undefined;
    if (into !== undefined && into !== null && (into['keyword'] !== undefined || into['expr'] !== undefined)) {
      throw new BastionError('SQL_NOT_READ_ONLY', 'SELECT ... INTO writes a file or variables; it is not allowed.');
    }
    if (node['locking_read'] !== null && node['locking_read'] !== undefined) {
      throw new BastionError('SQL_NOT_READ_ONLY', 'FOR UPDATE / LOCK IN SHARE MODE takes row locks; it is not allowed.');
    }
    const ctes = Array.isArray(node['with']) ? (node['with'] as Node[]) : [];
    // Exact names: MariaDB compares CTE names without regard to case, MySQL on Unix exactly. A
    // reference matching a CTE only in another case counts as the table it may be (checked).
    const names = ctes.map((cte) => text(cte['name']) ?? '');
    ctes.forEach((cte, i) => {
      const recursive = cte['recursive'] === true;
      this.cteScopes.push(new Set(recursive ? names : names.slice(0, i)));
      try {
        this.visitSubquery(cte['stmt']);
      } finally {
        this.cteScopes.pop();
      }
    });
    for (const name of names) this.cteNames.add(name.toLowerCase());
    this.cteScopes.push(new Set(names));
    try {
      this.visitBody(node, top);
    } finally {
      this.cteScopes.pop();
    }
    const next = node['_next'];
    if (next !== undefined && next !== null) {
      this.hasSetOperation = true;
      this.visitSelect(next as Node, top);
    }
  }

  private visitBody(node: Node, top: boolean): void {
    const columns = node['columns'];
    if (Array.isArray(columns)) {
      for (const column of columns as Node[]) {
        const expr = column['expr'] as Node | undefined;
        if (top && expr?.['type'] === 'column_ref') this.visitColumn(expr, true);
        else this.visit(expr);
      }
    } else if (columns !== '*' && columns !== undefined && columns !== null) {
      this.visit(columns);
    }
    for (const source of fromItems(node['from'])) this.visitFrom(source);
    for (const key of ['where', 'groupby', 'having', 'orderby', 'limit', 'window', 'options', 'distinct', 'collate']) {
      this.visit(node[key]);
    }
  }

  private visitFrom(source: Node): void {
    if (source['type'] === 'dual') return;
    const join = source['join'];
    if (typeof join === 'string' && /NATURAL/i.test(join)) throw new BastionError('SQL_FEATURE_DENIED', 'NATURAL joins are not allowed; use JOIN ... ON.');
    for (const using of Array.isArray(source['using']) ? source['using'] : []) {
      const name = text(using);
      if (name !== undefined) this.usingColumns.push(name);
    }
    this.visit(source['on']);
    if (typeof source['table'] === 'string' && source['expr'] === undefined) {
      this.recordRelation(source);
      return;
    }
    const expr = source['expr'] as Node | undefined;
    if (expr !== undefined && expr !== null && 'ast' in expr) {
      this.visitSubquery(expr);
      return;
    }
    throw new BastionError('SQL_FEATURE_DENIED', 'This kind of FROM item is not allowed in a read.');
  }

  private recordRelation(source: Node): void {
    const name = source['table'] as string;
    const db = typeof source['db'] === 'string' ? source['db'] : undefined;
    const schema = db?.toLowerCase();
    if (schema !== undefined && DENIED_SCHEMAS.has(schema)) {
      throw new BastionError('DENIED_BY_POLICY', `Reading ${db}.${name} is not allowed: the ${schema} schema exposes credentials, settings or other sessions.`);
    }
    if (schema === 'information_schema' && !ALLOWED_INFORMATION_SCHEMA.has(name.toUpperCase())) {
      throw new BastionError('DENIED_BY_POLICY', `Reading information_schema.${name} is not allowed: only structural tables (${[...ALLOWED_INFORMATION_SCHEMA].join(', ')}) are.`);
    }
    if (db === undefined && this.cteScopes.some((scope) => scope.has(name))) return;
    const alias = typeof source['as'] === 'string' ? source['as'] : undefined;
    this.relations.push({ schema: db, name, alias });
  }

  private visitSubquery(wrapper: unknown): void {
    const ast = (wrapper as Node | undefined)?.['ast'];
    if (ast === undefined || ast === null || typeof ast !== 'object') throw new BastionError('SQL_FEATURE_DENIED', 'The subquery could not be checked.');
    this.visitSelect(ast as Node, false);
  }

  private visitColumn(node: Node, direct: boolean): void {
    const column = text(node['column']);
    if (column === undefined) throw new BastionError('SQL_FEATURE_DENIED', 'A column reference could not be checked.');
    const parts: string[] = [];
    const db = text(node['db']);
    const table = text(node['table']);
    if (db !== undefined) parts.push(db);
    if (table !== undefined) parts.push(table);
    parts.push(column);
    this.columnRefs.push(parts);
    if (direct) this.directColumnRefs.add(parts);
  }

  private visit(value: unknown): void {
    if (Array.isArray(value)) {
      for (const item of value) this.visit(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    const node = value as Node;
    if ('ast' in node) {
      this.visitSubquery(node);
      return;
    }
    const type = node['type'];
    if (typeof type === 'string') {
      if (type === 'select') return this.visitSelect(node, false);
      if (type === 'var' || type === 'assign') {
        throw new BastionError('SQL_FEATURE_DENIED', 'User and system variables (@x, @@x) are not allowed.');
      }
      if (!EXPRESSION_TYPES.has(type)) throw new BastionError('SQL_FEATURE_DENIED', `The SQL feature ${type} is not allowed in a read.`);
      if (type === 'column_ref') return this.visitColumn(node, false);
      if (type === 'function' && !isQuantifiedSubquery(node)) this.checkFunction(node['name']);
      if (type === 'aggr_func') this.checkName(typeof node['name'] === 'string' ? node['name'] : '');
    }
    for (const [key, child] of Object.entries(node)) {
      if (key !== 'name' || type === undefined) this.visit(child);
    }
  }

  private checkFunction(name: unknown): void {
    const parts = (name as Node | undefined)?.['name'];
    const schema = (name as Node | undefined)?.['schema'];
    const first = Array.isArray(parts) && parts.length === 1 ? (parts[0] as Node) : undefined;
    if (schema !== undefined && schema !== null) throw new BastionError('SQL_FUNCTION_DENIED', 'Stored functions (schema.name) are not allowed.');
    if (first === undefined || typeof first['value'] !== 'string' || first['type'] === 'backticks_quote_string') {
      throw new BastionError('SQL_FUNCTION_DENIED', 'Quoted or qualified function names call stored functions; they are not allowed.');
    }
    const upper = first['value'].toUpperCase();
    // The parser writes the operator in `NOT (a OR b)` as a call named NOT; its argument is still walked.
    if (upper === 'NOT') return;
    this.checkName(upper === 'EXISTS' ? 'EXISTS' : upper);
  }

  private checkName(name: string): void {
    const upper = name.toUpperCase();
    if (upper !== 'EXISTS' && !ALLOWED_FUNCTIONS.has(upper)) {
      throw new BastionError('SQL_FUNCTION_DENIED', `The function ${upper} is not on the allow-list.`);
    }
    this.functions.add(upper.toLowerCase());
  }
}
