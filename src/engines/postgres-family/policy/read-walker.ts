import { BastionError } from '../../../errors/codes.js';
import { ALLOWED_FUNCTIONS } from './function-allowlist.js';
import { DENIED_SYSTEM_RELATIONS, READ_NODE_TYPES, TABLESAMPLE_METHODS, describeStatement } from './nodes.js';
import type { RelationRef, ColumnRefParts, StatementReads } from '../../../engine/policy.js';

/**
 * Visits every node of a read statement and throws on the first thing that is
 * not allowed. On the way it records what the statement touches, for the
 * authorize stage: real relations (CTE references resolved with PostgreSQL's own
 * scoping rules), column references, USING columns and NATURAL joins.
 */
export class ReadWalker {
  readonly relations: RelationRef[] = [];
  readonly functions = new Set<string>();
  readonly columnRefs: ColumnRefParts[] = [];
  /** The subset of columnRefs that are a select-list entry on their own (`SELECT col`, `SELECT t.*`). */
  readonly directColumnRefs = new Set<ColumnRefParts>();
  /** UNION, INTERSECT or EXCEPT anywhere: their output columns lose their table of origin. */
  hasSetOperation = false;
  /** ColumnRef nodes that stand alone as a select-list entry. */
  private readonly directNodes = new WeakSet<object>();
  readonly usingColumns: string[] = [];
  hasNaturalJoin = false;
  paramCount = 0;
  /** CTE names visible at the current point, innermost last. */
  private readonly cteScopes: ReadonlySet<string>[] = [];

  /**
   * `extraNodeTypes` widens the read allow-list for the expression parts of a write
   * (`SET a = DEFAULT`, `SET (a, b) = (...)`); a read statement never has them.
   */
  constructor(
    private readonly extraFunctions: ReadonlySet<string>,
    private readonly extraNodeTypes: ReadonlySet<string> = new Set(),
  ) {}

  visitNode(nodeType: string, body: unknown): void {
    if (!READ_NODE_TYPES.has(nodeType) && !this.extraNodeTypes.has(nodeType)) throw deniedNode(nodeType);
    const node = body as Record<string, unknown>;
    switch (nodeType) {
      case 'SelectStmt':
        this.visitSelect(node);
        return;
      case 'CommonTableExpr': {
        const query = node['ctequery'] as Record<string, unknown> | undefined;
        const inner = query ? Object.keys(query)[0] : undefined;
        if (inner !== 'SelectStmt') {
          throw new BastionError('SQL_NOT_READ_ONLY', `A WITH query may only read; ${describeStatement(inner ?? 'unknown')} inside WITH is not allowed.`);
        }
        break;
      }
      case 'FuncCall':
        this.checkFunction(node['funcname']);
        break;
      case 'RangeVar':
        this.recordRelation(node);
        break;
      case 'ColumnRef': {
        const parts = columnParts(node['fields']);
        this.columnRefs.push(parts);
        if (this.directNodes.has(node)) this.directColumnRefs.add(parts);
        break;
      }
      case 'JoinExpr':
        if (node['isNatural'] === true) this.hasNaturalJoin = true;
        this.usingColumns.push(...namesOf(node['usingClause']));
        break;
      case 'ParamRef': {
        const n = typeof node['number'] === 'number' ? node['number'] : 0;
        if (n > this.paramCount) this.paramCount = n;
        break;
      }
      case 'A_Expr':
        checkOperator(node['name']);
        break;
      case 'RangeTableSample': {
        const method = namesOf(node['method']).join('.');
        if (!TABLESAMPLE_METHODS.has(method)) {
          throw new BastionError('SQL_FEATURE_DENIED', `TABLESAMPLE ${method} is not allowed; use SYSTEM or BERNOULLI.`);
        }
        break;
      }
      default:
        break;
    }
    this.visitFields(node);
  }

  /** A SELECT: its WITH clause scopes the rest of it (see withCommonTables). */
  private visitSelect(node: Record<string, unknown>): void {
    if (node['intoClause'] !== undefined) {
      throw new BastionError('SQL_NOT_READ_ONLY', 'SELECT ... INTO creates a table; it is not allowed.');
    }
    if (node['lockingClause'] !== undefined) {
      throw new BastionError('SQL_NOT_READ_ONLY', 'FOR UPDATE/SHARE takes row locks; it is not allowed.');
    }
    if (typeof node['op'] === 'string' && node['op'] !== 'SETOP_NONE') this.hasSetOperation = true;
    for (const target of Array.isArray(node['targetList']) ? node['targetList'] : []) {
      const ref = (target as { ResTarget?: { val?: { ColumnRef?: object } } }).ResTarget?.val?.ColumnRef;
      if (ref !== undefined) this.directNodes.add(ref);
    }
    if (node['withClause'] === undefined) {
      this.visitFields(node);
      return;
    }
    this.withCommonTables(node['withClause'], () => {
      for (const [key, child] of Object.entries(node)) {
        if (key !== 'withClause') this.visitFields(child);
      }
    });
  }

  /**
   * A WITH clause: each CTE body sees the CTEs before it (all of them under
   * RECURSIVE), and `rest` — the statement the clause belongs to — sees all of
   * them. A name outside those scopes is a real table, even when a later CTE
   * shares it. Public so a write statement's own WITH clause scopes the same way.
   */
  withCommonTables(clause: unknown, rest: () => void): void {
    const withClause = clause as { ctes?: unknown[]; recursive?: boolean };
    const ctes = (withClause.ctes ?? []).map((c) => (c as { CommonTableExpr?: Record<string, unknown> }).CommonTableExpr);
    const names = ctes.map((c) => (typeof c?.['ctename'] === 'string' ? c['ctename'] : ''));
    ctes.forEach((cte, i) => {
      if (cte === undefined) throw deniedNode('WithClause');
      this.cteScopes.push(new Set(withClause.recursive === true ? names : names.slice(0, i)));
      try {
        this.visitNode('CommonTableExpr', cte);
      } finally {
        this.cteScopes.pop();
      }
    });
    this.cteScopes.push(new Set(names));
    try {
      rest();
    } finally {
      this.cteScopes.pop();
    }
  }

  /** What the walk recorded so far. */
  reads(): StatementReads {
    return {
      relations: this.relations,
      functions: [...this.functions],
      columnRefs: this.columnRefs,
      directColumnRefs: this.directColumnRefs,
      hasSetOperation: this.hasSetOperation,
      usingColumns: this.usingColumns,
      hasNaturalJoin: this.hasNaturalJoin,
      paramCount: this.paramCount,
    };
  }

  /** Visits any part of a parse tree: a node (`{ Type: body }`), a list, or a node's fields. */
  visitValue(value: unknown): void {
    this.visitFields(value);
  }

  private visitFields(value: unknown): void {
    if (Array.isArray(value)) {
      for (const item of value) this.visitFields(item);
      return;
    }
    if (value === null || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value)) {
      const first = key.charCodeAt(0);
      if (first >= 65 && first <= 90) this.visitNode(key, child);
      else this.visitFields(child);
    }
  }

  private checkFunction(funcname: unknown): void {
    const parts = namesOf(funcname);
    const qualified = parts.join('.');
    let allowed = false;
    if (parts.length === 1) {
      const name = parts[0] ?? '';
      allowed = ALLOWED_FUNCTIONS.has(name) || this.extraFunctions.has(name);
    } else if (parts.length === 2 && parts[0] === 'pg_catalog') {
      const name = parts[1] ?? '';
      allowed = ALLOWED_FUNCTIONS.has(name) || this.extraFunctions.has(name);
    } else if (parts.length === 2) {
      allowed = this.extraFunctions.has(qualified);
    }
    if (!allowed) {
      throw new BastionError('SQL_FUNCTION_DENIED', `The function ${qualified} is not on the allow-list.`);
    }
    this.functions.add(qualified);
  }

  private recordRelation(node: Record<string, unknown>): void {
    const name = typeof node['relname'] === 'string' ? node['relname'] : '';
    const schema = typeof node['schemaname'] === 'string' ? node['schemaname'] : undefined;
    if (typeof node['catalogname'] === 'string') {
      throw new BastionError('SQL_FEATURE_DENIED', 'References to another database are not allowed.');
    }
    const systemSchema = schema === undefined || schema === 'pg_catalog' || schema === 'information_schema';
    if (systemSchema && DENIED_SYSTEM_RELATIONS.has(name)) {
      throw new BastionError('DENIED_BY_POLICY', `Reading ${schema ? `${schema}.` : ''}${name} is not allowed: it exposes credentials, settings or other sessions.`);
    }
    if (schema === undefined && this.cteScopes.some((scope) => scope.has(name))) return;
    const alias = (node['alias'] as { aliasname?: unknown } | undefined)?.aliasname;
    this.relations.push({ schema, name, alias: typeof alias === 'string' ? alias : undefined });
  }
}

function namesOf(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((item) => {
    const s = (item as { String?: { sval?: string } }).String?.sval;
    return typeof s === 'string' ? s : '?';
  });
}

function columnParts(fields: unknown): string[] {
  if (!Array.isArray(fields)) return [];
  return fields.map((item) => {
    if ((item as { A_Star?: unknown }).A_Star !== undefined) return '*';
    const s = (item as { String?: { sval?: string } }).String?.sval;
    return typeof s === 'string' ? s : '?';
  });
}

/** Operators qualified with a schema other than pg_catalog could be user-defined functions. */
function checkOperator(name: unknown): void {
  const parts = namesOf(name);
  if (parts.length > 1 && parts[0] !== 'pg_catalog') {
    throw new BastionError('SQL_FUNCTION_DENIED', `The operator OPERATOR(${parts.join('.')}) is not allowed.`);
  }
}

function deniedNode(nodeType: string): BastionError {
  if (nodeType.endsWith('Stmt')) {
    return new BastionError('SQL_NOT_READ_ONLY', `${describeStatement(nodeType)} is not allowed inside a read-only query.`);
  }
  if (nodeType === 'IntoClause') return new BastionError('SQL_NOT_READ_ONLY', 'SELECT ... INTO creates a table; it is not allowed.');
  if (nodeType === 'LockingClause') return new BastionError('SQL_NOT_READ_ONLY', 'FOR UPDATE/SHARE takes row locks; it is not allowed.');
  return new BastionError('SQL_FEATURE_DENIED', `The SQL feature ${nodeType} is not allowed in a read-only query.`);
}
