import { BastionError } from '../../../errors/codes.js';
import { NEVER_ALLOWED_FUNCTIONS } from './function-allowlist.js';
import { EXPLAIN_OPTIONS, describeStatement } from './nodes.js';
import { fingerprintStatements } from './fingerprint.js';
import { loadParser, parseSql } from './parse.js';
import { shapeOf } from './shape.js';
import { ReadWalker } from './read-walker.js';
import type { CheckedDml, CheckedStatement, CheckedWrite, ReadTool, WritePolicyOptions, WriteTool } from '../../../engine/policy.js';
import { inspectWrite, type RawStatement } from './write-policy.js';
import { StatementProtector } from './rewrite.js';
import type { ProtectedStatement, ProtectedWrite, ReadProtection, WriteProtection } from '../../../engine/protection.js';
import { WriteProtector } from './write-protect.js';

export interface SqlPolicyOptions {
  /** Extra callable functions from config: `name` or `schema.name`, lower case. */
  extraFunctions?: readonly string[];
  /** Parse-and-check results kept by statement text. */
  cacheSize?: number;
}

type Verdict<T = CheckedStatement> = { ok: true; value: T } | { ok: false; error: BastionError };

/**
 * The SQL policy shared by every Postgres-family source. It runs on PostgreSQL's
 * own parse tree and is one of two independent layers: the source also runs every
 * statement inside a READ ONLY transaction that is always rolled back.
 */
export class SqlPolicy {
  private readonly extraFunctions: ReadonlySet<string>;
  private readonly cache = new Map<string, Verdict>();
  private readonly writeCache = new Map<string, Verdict<CheckedWrite>>();
  private readonly fingerprints = new Map<string, string | undefined>();
  /**
   * Verdicts by statement shape (see shapeOf): for a normalised text, the checked first text
   * of that shape (what it reads, its fingerprint; each later text gets its own text and no
   * parameters), or null where a shape has no verdict of its own and each text of it is
   * checked in full.
   */
  private readonly shapes = new Map<string, CheckedStatement | null>();
  private readonly cacheSize: number;
  private readonly protector: StatementProtector;
  private readonly writeProtector: WriteProtector;

  constructor(options: SqlPolicyOptions = {}) {
    this.extraFunctions = extraFunctionsOf(options.extraFunctions ?? []);
    this.cacheSize = options.cacheSize ?? 2000;
    this.protector = new StatementProtector(this.cacheSize);
    this.writeProtector = new WriteProtector(this.cacheSize);
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
      const shape = shapeOf(sql);
      const known = shape === undefined ? undefined : this.shapes.get(`${tool}\u0000${shape}`);
      if (known) return { ...known, sql, paramCount: 0 };
      verdict = settle(() => this.inspect(sql, tool));
      remember(this.cache, key, verdict, this.cacheSize);
      if (shape !== undefined && known === undefined) remember(this.shapes, `${tool}\u0000${shape}`, this.shapeVerdict(verdict, shape, tool), this.cacheSize);
    }
    if (!verdict.ok) throw verdict.error;
    return verdict.value;
  }

  /**
   * The verdict a shape gives every text of it, decided the first time one is checked in
   * full: the policy checks the shape itself — the statement with a $n parameter in place
   * of each constant, as a client may send it — and the shape stands for its texts only
   * when that check accepts it and finds exactly what the full check of the text found
   * (the same tool, relations, functions, columns and joins). The query tool accepts any
   * parameter values for a statement the policy accepted, so an accepted shape holds for any
   * constants in those places; a shape refused, one whose reads differ from its text's, or
   * one that does not parse, gives nothing, and each of its texts is checked in full.
   */
  private shapeVerdict(verdict: Verdict, shape: string, tool: ReadTool): CheckedStatement | null {
    if (!verdict.ok || verdict.value.paramCount !== 0) return null;
    const twin = settle(() => this.inspect(shape, tool));
    return twin.ok && readsKey(twin.value) === readsKey(verdict.value) ? verdict.value : null;
  }

  /**
   * The statement a role with rules runs instead of `checked`: protected relations replaced
   * by what the role may see of them, every relation qualified (see rewrite.ts).
   */
  protectRead(checked: CheckedStatement, protection: ReadProtection, hashKey: Uint8Array): ProtectedStatement {
    return this.protector.protect(checked, protection, hashKey);
  }

  /** The same for a write: what it reads rebuilt, its target kept and checked (see write-protect.ts). */
  protectWrite(checked: CheckedDml, protection: WriteProtection, hashKey: Uint8Array): ProtectedWrite {
    return this.writeProtector.protect(checked, protection, hashKey);
  }

  /**
   * Throws a BastionError unless `sql` is exactly one statement `tool` allows:
   * for execute one INSERT, UPDATE, DELETE or MERGE, for change_schema one schema
   * change on an object named with `options.prefix` (see write-policy.ts).
   */
  checkWriteStatement(sql: string, tool: WriteTool, options: WritePolicyOptions): CheckedWrite {
    const key = `${tool}\u0000${options.prefix}\u0000${options.allowUnbounded}\u0000${sql}`;
    let verdict = this.writeCache.get(key);
    if (verdict === undefined) {
      verdict = settle(() => {
        const statement = onlyStatement(sql);
        const fingerprint = fingerprintStatements([statement]);
        return { ...inspectWrite(sql, statement, tool, options, this.extraFunctions), fingerprint };
      });
      remember(this.writeCache, key, verdict, this.cacheSize);
    }
    if (!verdict.ok) throw verdict.error;
    return verdict.value;
  }

  /**
   * The statement's fingerprint for the audit of a call the policy did not accept (cached
   * by text); undefined when it does not parse. An accepted statement carries its own.
   */
  fingerprint(sql: string): string | undefined {
    if (this.fingerprints.has(sql)) return this.fingerprints.get(sql);
    const value = fingerprintText(sql);
    // Long texts are rare and would make the cache heavy: fingerprint them each time.
    if (sql.length <= 8192) remember(this.fingerprints, sql, value, this.cacheSize);
    return value;
  }

  private inspect(sql: string, tool: ReadTool): CheckedStatement {
    const statement = onlyStatement(sql);
    const root = statement.stmt as Record<string, unknown> | undefined;
    const [nodeType, body] = root ? (Object.entries(root)[0] ?? []) : [];
    if (nodeType === undefined) throw new BastionError('SQL_PARSE_ERROR', 'The SQL contains no statement.');

    // query takes an EXPLAIN exactly as explain does: the same options, the same read under it.
    const mode: ReadTool = tool === 'query' && nodeType === 'ExplainStmt' ? 'explain' : tool;
    let selectBody: unknown = body;
    if (mode === 'explain') {
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
        `query accepts one SELECT, VALUES or TABLE statement (or EXPLAIN of one); ${describeStatement(nodeType)} is not allowed.`,
      );
    }

    const walker = new ReadWalker(this.extraFunctions);
    walker.visitNode('SelectStmt', selectBody);
    // From the tree just walked: the call is parsed once.
    const fingerprint = fingerprintStatements([statement]);
    return { sql, tool: mode, ...walker.reads(), fingerprint };
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

/** A check's outcome as a cacheable verdict: policy refusals are kept, anything else is a bug and propagates. */
function settle<T>(check: () => T): Verdict<T> {
  try {
    return { ok: true, value: check() };
  } catch (error) {
    if (error instanceof BastionError) return { ok: false, error };
    if (error instanceof RangeError) {
      return { ok: false, error: new BastionError('SQL_FEATURE_DENIED', 'The statement is nested too deeply.') };
    }
    throw error;
  }
}

/**
 * `sql.allow_functions` as the policy matches it (without `pg_catalog.`); throws CONFIG_INVALID
 * for a name that can never be allowed. Needs no parser, so the configuration is checked at
 * start even where no PostgreSQL-family source is configured.
 */
export function extraFunctionsOf(names: readonly string[]): ReadonlySet<string> {
  const extra = new Set<string>();
  for (const name of names) {
    const bare = name.startsWith('pg_catalog.') ? name.slice('pg_catalog.'.length) : name;
    // An extension function keeps its danger in any schema: judge the last part of the name.
    const lastPart = bare.slice(bare.lastIndexOf('.') + 1);
    if (NEVER_ALLOWED_FUNCTIONS.has(lastPart)) {
      throw new BastionError('CONFIG_INVALID', `sql.allow_functions: ${name} can never be allowed (it has side effects or reads host data).`);
    }
    extra.add(bare);
  }
  return extra;
}

/** The fingerprint of any text that parses, accepted or not (one statement or several); undefined when it does not parse. */
function fingerprintText(sql: string): string | undefined {
  try {
    return fingerprintStatements(parseSql(sql).stmts ?? []);
  } catch {
    return undefined;
  }
}

/** Parses `sql` and returns its one statement; refuses none, several, or a syntax error. */
function onlyStatement(sql: string): RawStatement {
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
  return statements[0] ?? {};
}

/** Everything of a checked statement but its text, fingerprint and parameter count, as one comparable string. */
function readsKey(checked: CheckedStatement): string {
  return JSON.stringify([checked.tool, checked.relations, checked.functions, checked.columnRefs, [...checked.directColumnRefs], checked.hasSetOperation, checked.usingColumns, checked.hasNaturalJoin]);
}

/** Bounded insertion-order cache: the oldest entry goes first. */
function remember<V>(cache: Map<string, V>, key: string, value: V, size: number): void {
  if (cache.size >= size) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(key, value);
}
