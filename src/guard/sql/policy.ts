import { BastionError } from '../../errors/codes.js';
import { ALLOWED_FUNCTIONS, NEVER_ALLOWED_FUNCTIONS } from './function-allowlist.js';
import { DENIED_SYSTEM_RELATIONS, EXPLAIN_OPTIONS, READ_NODE_TYPES, TABLESAMPLE_METHODS, describeStatement } from './nodes.js';
import { loadParser, parseSql } from './parse.js';

export type ReadTool = 'query' | 'explain';

export interface RelationRef {
  schema: string | undefined;
  name: string;
}

/** A statement that passed the policy, with what it touches (used by later stages). */
export interface CheckedStatement {
  readonly sql: string;
  readonly tool: ReadTool;
  readonly relations: readonly RelationRef[];
  readonly functions: readonly string[];
  /** Highest $n placeholder used; the call must supply exactly this many params. */
  readonly paramCount: number;
}

export interface SqlPolicyOptions {
  /** Extra callable functions from config: `name` or `schema.name`, lower case. */
  extraFunctions?: readonly string[];
  /** Parse-and-check results kept by statement text. */
  cacheSize?: number;
}

type Verdict = { ok: true; value: CheckedStatement } | { ok: false; error: BastionError };

/**
 * The SQL policy shared by every Postgres-family source. It runs on PostgreSQL's
 * own parse tree and is one of two independent layers: the source also runs every
 * statement inside a READ ONLY transaction that is always rolled back.
 */
export class SqlPolicy {
  private readonly extraFunctions: ReadonlySet<string>;
  private readonly cache = new Map<string, Verdict>();
  private readonly cacheSize: number;

  constructor(options: SqlPolicyOptions = {}) {
    const extra = new Set<string>();
    for (const name of options.extraFunctions ?? []) {
      const bare = name.startsWith('pg_catalog.') ? name.slice('pg_catalog.'.length) : name;
      // An extension function keeps its danger in any schema: judge the last part of the name.
      const lastPart = bare.slice(bare.lastIndexOf('.') + 1);
      if (NEVER_ALLOWED_FUNCTIONS.has(lastPart)) {
        throw new BastionError('CONFIG_INVALID', `sql.allow_functions: ${name} can never be allowed (it has side effects or reads host data).`);
      }
      extra.add(bare);
    }
    this.extraFunctions = extra;
    this.cacheSize = options.cacheSize ?? 2000;
  }

  static async create(options: SqlPolicyOptions = {}): Promise<SqlPolicy> {
    await loadParser();
    return new SqlPolicy(options);
  }

  /** Throws a BastionError unless `sql` is exactly one statement allowed for `tool`. */
  checkReadOnlyStatement(sql: string, tool: ReadTool): CheckedStatement {
    const key = `${tool}\u0000${sql}`;
    let verdict = this.cache.get(key);
    if (verdict === undefined) {
      verdict = this.evaluate(sql, tool);
      if (this.cache.size >= this.cacheSize) {
        const oldest = this.cache.keys().next().value;
        if (oldest !== undefined) this.cache.delete(oldest);
      }
      this.cache.set(key, verdict);
    }
    if (!verdict.ok) throw verdict.error;
    return verdict.value;
  }

  private evaluate(sql: string, tool: ReadTool): Verdict {
    try {
      return { ok: true, value: this.inspect(sql, tool) };
    } catch (error) {
      if (error instanceof BastionError) return { ok: false, error };
      if (error instanceof RangeError) {
        return { ok: false, error: new BastionError('SQL_FEATURE_DENIED', 'The statement is nested too deeply.') };
      }
      throw error;
    }
  }

  private inspect(sql: string, tool: ReadTool): CheckedStatement {
    let tree;
    try {
      tree = parseSql(sql);
    } catch (error) {
      const message = error instanceof Error ? error.message : 'syntax error';
      throw new BastionError('SQL_PARSE_ERROR', `The SQL does not parse: ${message.slice(0, 200)}`);
    }
    const statements = tree.stmts ?? [];
    if (statements.length === 0) throw new BastionError('SQL_PARSE_ERROR', 'The SQL contains no statement.');
    if (statements.length > 1) {
      throw new BastionError('SQL_MULTIPLE_STATEMENTS', `Exactly one statement is allowed per call; found ${statements.length}.`);
    }
    const root = statements[0]?.stmt as Record<string, unknown> | undefined;
    const [nodeType, body] = root ? (Object.entries(root)[0] ?? []) : [];
    if (nodeType === undefined) throw new BastionError('SQL_PARSE_ERROR', 'The SQL contains no statement.');

    let selectBody: unknown = body;
    if (tool === 'explain') {
      if (nodeType !== 'ExplainStmt') {
        throw new BastionError('SQL_NOT_READ_ONLY', `explain takes a statement starting with EXPLAIN; got ${describeStatement(nodeType)}.`);
      }
      const explain = body as { query?: Record<string, unknown>; options?: unknown[] };
      checkExplainOptions(explain.options ?? []);
      const inner = explain.query ? Object.keys(explain.query)[0] : undefined;
      if (inner !== 'SelectStmt') {
        throw new BastionError('SQL_NOT_READ_ONLY', `EXPLAIN is only allowed for a read-only query; got ${describeStatement(inner ?? 'unknown')}.`);
      }
      selectBody = explain.query?.['SelectStmt'];
    } else if (nodeType !== 'SelectStmt') {
      throw new BastionError(
        'SQL_NOT_READ_ONLY',
        `query accepts one SELECT, VALUES or TABLE statement; ${describeStatement(nodeType)} is not allowed.`,
      );
    }

    const walker = new ReadWalker(this.extraFunctions);
    walker.visitNode('SelectStmt', selectBody);
    return { sql, tool, relations: walker.relations, functions: [...walker.functions], paramCount: walker.paramCount };
  }
}

function checkExplainOptions(options: unknown[]): void {
  for (const option of options) {
    const def = (option as { DefElem?: { defname?: string; arg?: unknown } }).DefElem;
    const name = def?.defname?.toLowerCase() ?? '';
    if (name === 'analyze' || name === 'analyse') {
      throw new BastionError('SQL_NOT_READ_ONLY', 'EXPLAIN ANALYZE executes the statement; explain never runs it.');
    }
    if (!EXPLAIN_OPTIONS.has(name)) {
      throw new BastionError('SQL_FEATURE_DENIED', `The EXPLAIN option ${name.toUpperCase()} is not allowed.`);
    }
  }
}

/** Visits every node of a read statement; throws on the first thing that is not allowed. */
class ReadWalker {
  readonly relations: RelationRef[] = [];
  readonly functions = new Set<string>();
  paramCount = 0;

  constructor(private readonly extraFunctions: ReadonlySet<string>) {}

  visitNode(nodeType: string, body: unknown): void {
    if (!READ_NODE_TYPES.has(nodeType)) throw deniedNode(nodeType);
    const node = body as Record<string, unknown>;
    switch (nodeType) {
      case 'SelectStmt':
        if (node['intoClause'] !== undefined) {
          throw new BastionError('SQL_NOT_READ_ONLY', 'SELECT ... INTO creates a table; it is not allowed.');
        }
        if (node['lockingClause'] !== undefined) {
          throw new BastionError('SQL_NOT_READ_ONLY', 'FOR UPDATE/SHARE takes row locks; it is not allowed.');
        }
        break;
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
    this.relations.push({ schema, name });
  }
}

function namesOf(list: unknown): string[] {
  if (!Array.isArray(list)) return [];
  return list.map((item) => {
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
