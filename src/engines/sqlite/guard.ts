import { BastionError } from '../../errors/codes.js';
import type { CheckedStatement, ColumnRefParts, ReadTool, RelationRef, CheckedWrite, WritePolicyOptions, WriteTool } from '../../engine/policy.js';
import type { ReadGuard } from '../../engine/parts.js';
import type { ProtectedStatement, ReadProtection } from '../../engine/protection.js';
import { isWord, nameOf, splitStatements, tokenize, type Token } from './lexer.js';
import { SQLITE_ALLOWED_FUNCTIONS, SQLITE_KEYWORDS } from './functions.js';
import { checkRelation, checkTokens, forParser } from './lexical.js';
import { walkSelect } from './walk.js';
import { inspectSqliteWrite } from './write-guard.js';
import type { SqliteWritePlan } from './write-plan.js';
import type { SqlParser } from './parser.js';

/**
 * The first SQL-safety layer for SQLite sources, deny by default: exactly one
 * SELECT, WITH … SELECT or VALUES (`explain`: EXPLAIN [QUERY PLAN] of one), checked
 * on node-sql-parser's AST and, independently, on SQLite's own tokens — so a
 * construct the parser reads differently from SQLite (it takes `NATURAL` for an
 * alias) is still caught. Parameters are `?` or `?NNN`.
 */
export class SqliteGuard implements ReadGuard {
  constructor(private readonly parser: SqlParser) {}

  /** Verdicts by tool and statement text, as the PostgreSQL policy keeps them: parsing costs far more than a call. */
  private readonly verdicts = new Map<string, { ok: true; value: CheckedStatement } | { ok: false; error: unknown }>();

  checkRead(sql: string, tool: ReadTool): CheckedStatement {
    const key = `${tool}\u0000${sql}`;
    let verdict = this.verdicts.get(key);
    if (verdict === undefined) {
      try {
        verdict = { ok: true, value: this.inspect(sql, tool) };
      } catch (error) {
        verdict = { ok: false, error };
      }
      if (sql.length <= 8192) {
        if (this.verdicts.size >= 2000) {
          const oldest = this.verdicts.keys().next().value;
          if (oldest !== undefined) this.verdicts.delete(oldest);
        }
        this.verdicts.set(key, verdict);
      }
    }
    if (!verdict.ok) throw verdict.error;
    return verdict.value;
  }

  /**
   * Column security by construction: the statement runs where a TEMP view named like each
   * protected table shadows it (worker-shadow.ts) — denied columns absent, masked ones
   * computed — and SQLite resolves every unqualified name to that view before `main`. The
   * only way past it is naming the schema, so every `main.<protected table>` (any quoting,
   * a '…' string SQLite takes as a name, comments between, as a relation or a column's
   * qualifier) becomes `temp.<table>`, on SQLite's own tokens. A role without rules on the statement's tables runs it as written.
   */
  protect(checked: CheckedStatement, protection: ReadProtection, hashKey: Uint8Array): ProtectedStatement {
    const views = protection.views ?? [];
    if (protection.relations.length === 0 && views.length === 0) return { sql: checked.sql, params: [] };
    const names = new Set([...protection.relations, ...views].map((r) => r.name.toLowerCase()));
    // A view a rule names over protected data is shadowed too, by its own definition reading the
    // shadows (named-views.ts lists outer views first: inner ones are made before them).
    const shadowViews = [...views].reverse().map((view) => ({ name: view.name, sql: tempView(view.name, view.definition, names) }));
    return { sql: toTemp(checked.sql, names), params: [], shadows: { relations: protection.relations, hashKey, ...(shadowViews.length > 0 ? { views: shadowViews } : {}) } };
  }

  /** Write verdicts, kept like the read ones. */
  private readonly writeVerdicts = new Map<string, SqliteWritePlan | BastionError>();

  /** The write policy (write-guard.ts): throws a BastionError unless `sql` is exactly one statement `tool` allows. */
  checkWrite(sql: string, tool: WriteTool, options: WritePolicyOptions): CheckedWrite {
    return this.planWrite(sql, tool, options).checked;
  }

  /** checkWrite with the sqlite_schema rows the engine lets the statement change. */
  planWrite(sql: string, tool: WriteTool, options: WritePolicyOptions): SqliteWritePlan {
    const key = `${tool}\u0000${options.prefix}\u0000${options.allowUnbounded}\u0000${sql}`;
    let verdict = this.writeVerdicts.get(key);
    if (verdict === undefined) {
      try {
        verdict = inspectSqliteWrite(this.parser, sql, tool, options);
      } catch (error) {
        if (!(error instanceof BastionError)) throw error;
        verdict = error;
      }
      if (this.writeVerdicts.size >= 2000) this.writeVerdicts.clear();
      if (sql.length <= 8192) this.writeVerdicts.set(key, verdict);
    }
    if (verdict instanceof BastionError) throw verdict;
    return verdict;
  }

  private inspect(sql: string, tool: ReadTool): CheckedStatement {
    const statements = splitStatements(tokenize(sql));
    if (statements.length === 0) throw new BastionError('SQL_PARSE_ERROR', 'The SQL contains no statement.');
    if (statements.length > 1) {
      throw new BastionError('SQL_MULTIPLE_STATEMENTS', `Exactly one statement is allowed per call; found ${statements.length}.`);
    }
    const statement = statements[0] ?? [];
    // query takes an EXPLAIN exactly as explain does: EXPLAIN [QUERY PLAN] of a read, checked the same way.
    const mode: ReadTool = tool === 'query' && isWord(statement[0], 'EXPLAIN') ? 'explain' : tool;
    const tokens = stripExplain(statement, mode);
    const first = tokens[0];
    if (!isWord(first, 'SELECT', 'WITH', 'VALUES')) {
      throw new BastionError('SQL_NOT_READ_ONLY', `${tool} accepts one SELECT, WITH … SELECT or VALUES statement; ${(first?.text ?? '').toUpperCase()} is not allowed.`);
    }
    const lexical = checkTokens(tokens);
    if (isWord(first, 'VALUES')) {
      // VALUES of literals only: a subquery inside would read tables the parser cannot see here.
      if (tokens.some((t) => isWord(t, 'SELECT', 'FROM'))) throw new BastionError('SQL_FEATURE_DENIED', 'VALUES may only hold literal values and parameters.');
      return { sql, tool: mode, ...EMPTY_READS, functions: lexical.functions, paramCount: lexical.paramCount };
    }
    const reads = walkSelect(this.parse(tokens));
    for (const relation of reads.relations) checkRelation(relation);
    // The parser's calls face the allow-list too, independently of the tokens' check above. It
    // reports some syntax as calls (`NOT (…)`, CURRENT_TIMESTAMP): a keyword is no call SQLite
    // makes unquoted, and a quoted one is a call the tokens checked.
    for (const name of reads.functions) {
      if (!SQLITE_ALLOWED_FUNCTIONS.has(name) && !SQLITE_KEYWORDS.has(name.toUpperCase())) throw new BastionError('SQL_FUNCTION_DENIED', `The function ${name} is not allowed.`);
    }
    return {
      sql,
      tool: mode,
      ...reads,
      functions: [...new Set([...reads.functions, ...lexical.functions])],
      hasNaturalJoin: reads.hasNaturalJoin || lexical.hasNaturalJoin,
      paramCount: lexical.paramCount,
    };
  }

  private parse(tokens: readonly Token[]): unknown {
    let ast: unknown;
    try {
      ast = this.parser.astify(forParser(tokens), { database: 'sqlite' });
    } catch (error) {
      const message = error instanceof Error ? error.message : 'syntax error';
      throw new BastionError('SQL_PARSE_ERROR', `The SQL does not parse as a read this source allows: ${message.slice(0, 200)}`);
    }
    const list = Array.isArray(ast) ? (ast as unknown[]) : [ast];
    if (list.length !== 1) throw new BastionError('SQL_MULTIPLE_STATEMENTS');
    const root = list[0] as { type?: unknown } | undefined;
    if (root?.type !== 'select') throw new BastionError('SQL_NOT_READ_ONLY');
    return root;
  }
}

const EMPTY_READS = {
  relations: [] as RelationRef[],
  columnRefs: [] as ColumnRefParts[],
  directColumnRefs: new Set<ColumnRefParts>(),
  hasSetOperation: false,
  usingColumns: [] as string[],
  hasNaturalJoin: false,
};

/** The read under EXPLAIN [QUERY PLAN] (mode `explain`), or the statement itself (mode `query`). */
function stripExplain(tokens: Token[], mode: ReadTool): Token[] {
  if (mode === 'query') return tokens;
  if (!isWord(tokens[0], 'EXPLAIN')) throw new BastionError('SQL_NOT_READ_ONLY', 'explain takes a statement starting with EXPLAIN QUERY PLAN.');
  return isWord(tokens[1], 'QUERY') && isWord(tokens[2], 'PLAN') ? tokens.slice(3) : tokens.slice(1);
}

/** `main.<name>` → `temp.<name>` for each of `names`, on SQLite's own tokens (any quoting, a string as a name). */
function toTemp(text: string, names: ReadonlySet<string>): string {
  const tokens = tokenize(text);
  let sql = '';
  let from = 0;
  tokens.forEach((token, i) => {
    const dot = tokens[i + 1];
    if (nameOf(tokens, i)?.toLowerCase() !== 'main' || dot?.kind !== 'punct' || dot.text !== '.') return;
    if (!names.has(nameOf(tokens, i + 2)?.toLowerCase() ?? '')) return;
    sql += `${text.slice(from, token.start)}temp`;
    from = token.end;
  });
  return sql + text.slice(from);
}

/**
 * The TEMP view that shadows a view a rule names: its stored `CREATE VIEW [IF NOT EXISTS]
 * [schema.]name` head replaced, the rest (column list, AS and the query) kept with every
 * `main.<shadowed>` turned to `temp.<shadowed>`. A head of another shape is refused.
 */
function tempView(name: string, created: string, names: ReadonlySet<string>): string {
  const tokens = tokenize(created);
  let i = 0;
  if (!isWord(tokens[i++], 'CREATE')) throw unreadableView(name);
  if (isWord(tokens[i], 'TEMP', 'TEMPORARY')) i++;
  if (!isWord(tokens[i++], 'VIEW')) throw unreadableView(name);
  if (isWord(tokens[i], 'IF')) i += 3;
  if (tokens[i + 1]?.kind === 'punct' && tokens[i + 1]?.text === '.') i += 2;
  const nameToken = tokens[i];
  if (nameToken === undefined || nameOf(tokens, i)?.toLowerCase() !== name.toLowerCase()) throw unreadableView(name);
  return `CREATE TEMP VIEW "${name.replaceAll('"', '""')}"${toTemp(created.slice(nameToken.end), names)}`;
}

function unreadableView(name: string): BastionError {
  return new BastionError('SQL_FEATURE_DENIED', `The view ${name} could not be read under your role's column rules.`);
}
