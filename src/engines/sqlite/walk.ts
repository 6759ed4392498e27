import { BastionError } from '../../errors/codes.js';
import type { ColumnRefParts, RelationRef, StatementReads } from '../../engine/policy.js';

type Node = Record<string, unknown>;

type Reads = Omit<StatementReads, 'paramCount'>;

/**
 * Walks a node-sql-parser SELECT (sqlite grammar) and records what it reads for
 * the authorize stage. Names are lower-cased: SQLite compares identifiers without
 * regard to case, so `USERS` and `users` are the same table. CTE names shadow
 * tables only inside the statement that defines them.
 */
export function walkSelect(root: unknown): Reads {
  const walker = new Walker();
  walker.select(root as Node, []);
  return {
    relations: walker.relations,
    functions: [...walker.functions],
    columnRefs: walker.columnRefs,
    directColumnRefs: walker.direct,
    hasSetOperation: walker.hasSetOperation,
    usingColumns: walker.usingColumns,
    hasNaturalJoin: false,
  };
}

/**
 * What the parts of a write read: the SELECTs it runs (INSERT ... SELECT, a view's
 * body) and the expressions it evaluates (SET values, WHERE, RETURNING), with how
 * many SELECTs the walk met, for the write policy to compare with SQLite's tokens.
 */
export function walkParts(parts: { readonly selects?: readonly unknown[]; readonly expressions?: readonly unknown[] }): Reads & { selectCount: number } {
  const walker = new Walker();
  for (const select of parts.selects ?? []) walker.select(select as Node, []);
  for (const expression of parts.expressions ?? []) walker.expression(expression, []);
  return {
    relations: walker.relations,
    functions: [...walker.functions],
    columnRefs: walker.columnRefs,
    directColumnRefs: walker.direct,
    hasSetOperation: walker.hasSetOperation,
    usingColumns: walker.usingColumns,
    hasNaturalJoin: false,
    selectCount: walker.selectCount,
  };
}

class Walker {
  readonly relations: RelationRef[] = [];
  readonly functions = new Set<string>();
  readonly columnRefs: ColumnRefParts[] = [];
  readonly direct = new Set<ColumnRefParts>();
  readonly usingColumns: string[] = [];
  hasSetOperation = false;
  selectCount = 0;

  select(node: Node, outer: readonly ReadonlySet<string>[]): void {
    if (node['type'] !== 'select') throw new BastionError('SQL_NOT_READ_ONLY', 'Only SELECT may appear inside a read.');
    this.selectCount++;
    const ctes = Array.isArray(node['with']) ? (node['with'] as Node[]) : [];
    const names = new Set(ctes.map((c) => lower(nameOf(c['name']))));
    const scopes = names.size > 0 ? [...outer, names] : outer;
    for (const cte of ctes) this.subquery(cte['stmt'], scopes);

    for (const item of Array.isArray(node['columns']) ? (node['columns'] as Node[]) : []) {
      const expr = item['expr'] as Node | undefined;
      if (expr?.['type'] === 'column_ref') {
        const parts = this.columnRef(expr);
        this.direct.add(parts);
      } else {
        this.expression(expr, scopes);
      }
    }
    for (const from of Array.isArray(node['from']) ? (node['from'] as Node[]) : []) this.fromItem(from, scopes);
    for (const key of ['where', 'groupby', 'having', 'orderby', 'limit', 'window']) this.expression(node[key], scopes);

    const next = node['_next'];
    if (next !== undefined && next !== null) {
      this.hasSetOperation = true;
      this.select(next as Node, scopes);
    }
  }

  private fromItem(from: Node, scopes: readonly ReadonlySet<string>[]): void {
    if (typeof from['table'] === 'string') {
      const name = lower(from['table']);
      const schema = typeof from['db'] === 'string' ? lower(from['db']) : undefined;
      const isCte = schema === undefined && scopes.some((s) => s.has(name));
      if (!isCte) this.relations.push({ schema, name, alias: typeof from['as'] === 'string' ? lower(from['as']) : undefined });
    } else if (from['expr'] !== undefined) {
      this.expression(from['expr'], scopes);
    } else {
      throw new BastionError('SQL_FEATURE_DENIED', 'This FROM item is not supported.');
    }
    if (Array.isArray(from['using'])) for (const column of from['using'] as unknown[]) this.usingColumns.push(lower(nameOf(column)));
    this.expression(from['on'], scopes);
  }

  private subquery(value: unknown, scopes: readonly ReadonlySet<string>[]): void {
    const wrapper = value as Node | undefined;
    const ast = wrapper?.['ast'] ?? wrapper;
    this.select(ast as Node, scopes);
  }

  /** Any expression: records column references and calls, descends into subqueries. */
  expression(value: unknown, scopes: readonly ReadonlySet<string>[]): void {
    if (value === null || value === undefined || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const item of value) this.expression(item, scopes);
      return;
    }
    const node = value as Node;
    if (node['ast'] !== undefined) {
      this.subquery(node, scopes);
      return;
    }
    if (node['type'] === 'select') {
      this.select(node, scopes);
      return;
    }
    switch (node['type']) {
      case 'column_ref':
        this.columnRef(node);
        return;
      case 'function': {
        const name = functionName(node['name']);
        if (name !== 'exists') this.functions.add(name);
        break;
      }
      case 'aggr_func':
        this.functions.add(lower(node['name']));
        break;
      default:
        break;
    }
    for (const [key, child] of Object.entries(node)) if (key !== 'name') this.expression(child, scopes);
  }

  private columnRef(node: Node): ColumnRefParts {
    const column = lower(nameOf(node['column']));
    const parts: ColumnRefParts = typeof node['table'] === 'string' ? [lower(node['table']), column] : [column];
    this.columnRefs.push(parts);
    return parts;
  }
}

function lower(value: unknown): string {
  return typeof value === 'string' ? value.toLowerCase() : '';
}

/** A name as node-sql-parser gives it: a string, `{ value }` or `{ expr: { value } }`. */
function nameOf(value: unknown): string {
  if (typeof value === 'string') return value;
  const node = value as { value?: unknown; expr?: { value?: unknown } } | null | undefined;
  if (typeof node?.value === 'string') return node.value;
  if (typeof node?.expr?.value === 'string') return node.expr.value;
  throw new BastionError('SQL_FEATURE_DENIED', 'A name in the statement could not be read.');
}

function functionName(value: unknown): string {
  const parts = (value as { name?: { value?: unknown }[] } | undefined)?.name ?? [];
  return parts.map((p) => lower(p.value)).join('.');
}
