import { createHash } from 'node:crypto';
import { BastionError } from '../../errors/codes.js';
import type { CheckedStatement, ReadTool, CheckedWrite, WritePolicyOptions, WriteTool } from '../../engine/policy.js';
import type { ReadGuard } from '../../engine/parts.js';
import type { ProtectedStatement, ReadProtection } from '../../engine/protection.js';
import { MysqlProtector } from './protect.js';
import { PAREN_KEYWORDS, ALLOWED_FUNCTIONS } from './functions.js';
import { scanMysql, type ScannedSql } from './lexer.js';
import { tokenize } from './tokens.js';
import { DatabaseScope } from './scope.js';
import { MysqlReadWalker } from './walker.js';
import { inspectMysqlWrite, parseMysql, type MysqlParser } from './write-guard.js';
import { isSystemDatabase, type MysqlWritePlan } from './write-rules.js';

export type { MysqlParser };

/** Words that never belong in a read, wherever the parser puts them (or drops them). */
const DENIED_WORDS = new Map([
  ['INTO', 'SELECT ... INTO writes a file or variables; it is not allowed.'],
  ['OUTFILE', 'SELECT ... INTO OUTFILE writes a file on the server; it is not allowed.'],
  ['DUMPFILE', 'SELECT ... INTO DUMPFILE writes a file on the server; it is not allowed.'],
  ['UPDATE', 'FOR UPDATE takes row locks; it is not allowed.'],
  ['LOCK', 'LOCK IN SHARE MODE takes row locks; it is not allowed.'],
  ['PROCEDURE', 'SELECT ... PROCEDURE runs a procedure; it is not allowed.'],
]);

const CACHE_SIZE = 2000;

/**
 * The first layer for MySQL and MariaDB: deny by default. The text is scanned as
 * MySQL's own lexer does (see scanMysql), then parsed with node-sql-parser's MySQL
 * grammar, and both the words and the AST must show one plain SELECT (or EXPLAIN
 * SELECT for explain). The statement that runs is the scanned text — comments
 * removed — so the server executes exactly what was checked.
 */
export class MysqlGuard implements ReadGuard {
  private readonly cache = new Map<string, CheckedStatement | BastionError>();
  private readonly writeCache = new Map<string, MysqlWritePlan | BastionError>();
  private readonly protector: MysqlProtector;
  /** No switch keeps a statement off an index: protect names the ones on protected columns (IGNORE INDEX). */
  readonly hidesIndexesByName = true;

  constructor(
    private readonly parser: MysqlParser,
    /** The databases the source serves; a statement naming another is refused. */
    private readonly scope: DatabaseScope = new DatabaseScope(undefined, undefined),
  ) {
    this.protector = new MysqlProtector(parser);
  }

  checkRead(sql: string, tool: ReadTool): CheckedStatement {
    const key = `${tool}\u0000${sql}`;
    let verdict = this.cache.get(key);
    if (verdict === undefined) {
      try {
        verdict = { ...this.inspect(sql, tool), fingerprint: this.fingerprint(sql) };
      } catch (error) {
        if (!(error instanceof BastionError)) throw error;
        verdict = error;
      }
      if (this.cache.size >= CACHE_SIZE) this.cache.clear();
      this.cache.set(key, verdict);
    }
    if (verdict instanceof BastionError) throw verdict;
    return verdict;
  }

  /**
   * The statement's fingerprint for the audit: its tokens as MySQL reads them, with
   * literals replaced by ?, hashed. The same for statements that differ only in
   * constants, spacing, case of keywords or comments; undefined when it cannot be scanned.
   */
  fingerprint(sql: string): string | undefined {
    let tokens;
    try {
      tokens = tokenize(scanMysql(sql).text);
    } catch {
      return undefined;
    }
    if (tokens.length === 0) return undefined;
    const shape = tokens.map((t) => (t.kind === 'string' || (t.kind === 'word' && /^[0-9]/.test(t.text)) ? '?' : t.kind === 'quoted' ? `\`${t.text}\`` : t.kind === 'word' ? t.text.toUpperCase() : t.text));
    return createHash('sha256').update(shape.join(' ')).digest('hex').slice(0, 16);
  }

  /**
   * Column security by construction (protect.ts): protected tables replaced by what the role
   * may see. Called for every role with rules, which may not read information_schema even
   * where `schemas` serves it: its TABLES, COLUMNS and STATISTICS describe tables and columns
   * the role may not see (row counts, distinct counts of a protected column).
   */
  protect(checked: CheckedStatement, protection: ReadProtection, hashKey: Uint8Array): ProtectedStatement {
    const system = checked.relations.find((relation) => relation.schema !== undefined && isSystemDatabase(relation.schema));
    if (system !== undefined) {
      throw new BastionError('DENIED_BY_POLICY', `Reading ${system.schema}.${system.name} is not allowed for your role: it describes tables and columns your role's rules hide; use list_tables and describe_table.`);
    }
    return this.protector.protect(checked, protection, hashKey);
  }

  /** The write policy (write-guard.ts): throws a BastionError unless `sql` is exactly one statement `tool` allows. */
  checkWrite(sql: string, tool: WriteTool, options: WritePolicyOptions): CheckedWrite {
    return this.planWrite(sql, tool, options).checked;
  }

  /** checkWrite with what the engine checks in the catalog before it runs the statement. */
  planWrite(sql: string, tool: WriteTool, options: WritePolicyOptions): MysqlWritePlan {
    const key = `${tool}\u0000${options.prefix}\u0000${options.allowUnbounded}\u0000${sql}`;
    let verdict = this.writeCache.get(key);
    if (verdict === undefined) {
      try {
        const plan = inspectMysqlWrite(this.parser, sql, tool, options);
        this.scope.checkWrite(plan.checked);
        verdict = { ...plan, checked: { ...plan.checked, fingerprint: this.fingerprint(sql) } };
      } catch (error) {
        if (!(error instanceof BastionError)) throw error;
        verdict = error;
      }
      if (this.writeCache.size >= CACHE_SIZE) this.writeCache.clear();
      this.writeCache.set(key, verdict);
    }
    if (verdict instanceof BastionError) throw verdict;
    return verdict;
  }

  private inspect(sql: string, tool: ReadTool): CheckedStatement {
    const scanned = scanMysql(sql);
    if (scanned.text === '') throw new BastionError('SQL_PARSE_ERROR', 'The SQL contains no statement.');
    // query takes an EXPLAIN exactly as explain does: EXPLAIN SELECT only, checked the same way.
    const mode: ReadTool = tool === 'query' && scanned.words[0] === 'EXPLAIN' ? 'explain' : tool;
    checkWords(scanned, mode);
    const root = this.parse(scanned.text);
    let select = root;
    if (mode === 'explain') {
      if (root['type'] !== 'explain') throw new BastionError('SQL_NOT_READ_ONLY', 'explain takes a statement starting with EXPLAIN SELECT.');
      select = root['expr'] as Record<string, unknown>;
    }
    if (select['type'] !== 'select') {
      throw new BastionError('SQL_NOT_READ_ONLY', `${tool} accepts one SELECT statement; ${String(select['type']).toUpperCase()} is not allowed.`);
    }
    const walker = new MysqlReadWalker();
    walker.visitStatement(select);
    checkCalls(scanned, walker.cteNames);
    const reads = walker.reads(scanned.placeholders);
    this.scope.checkRelations(reads.relations);
    return { sql: scanned.text, tool: mode, ...reads };
  }

  private parse(text: string): Record<string, unknown> {
    return parseMysql(this.parser, text, 'SELECT');
  }
}

function checkWords(scanned: ScannedSql, tool: ReadTool): void {
  if (scanned.variables) throw new BastionError('SQL_FEATURE_DENIED', 'User and system variables (@x, @@x) are not allowed.');
  const [first, second] = scanned.words;
  if (tool === 'query' && first !== 'SELECT' && first !== 'WITH') {
    throw new BastionError('SQL_NOT_READ_ONLY', `query accepts one SELECT statement (or EXPLAIN SELECT); ${first ?? 'this'} is not allowed.`);
  }
  if (tool === 'explain' && (first !== 'EXPLAIN' || (second !== 'SELECT' && second !== 'WITH'))) {
    throw new BastionError('SQL_NOT_READ_ONLY', 'explain takes EXPLAIN SELECT ... only (EXPLAIN ANALYZE and options would run or reveal more).');
  }
  for (const word of scanned.words) {
    const why = DENIED_WORDS.get(word);
    if (why !== undefined) throw new BastionError('SQL_NOT_READ_ONLY', why);
  }
}

/** Every `name(` in the text must be an allowed function, a keyword or a CTE's column list. */
function checkCalls(scanned: ScannedSql, cteNames: ReadonlySet<string>): void {
  for (const call of scanned.calls) {
    if (call.startsWith('.') || call.startsWith('`')) {
      if (call.startsWith('`') && cteNames.has(call.slice(1).toLowerCase())) continue;
      throw new BastionError('SQL_FUNCTION_DENIED', 'Quoted or qualified function names call stored functions; they are not allowed.');
    }
    if (ALLOWED_FUNCTIONS.has(call) || PAREN_KEYWORDS.has(call) || cteNames.has(call.toLowerCase())) continue;
    throw new BastionError('SQL_FUNCTION_DENIED', `The function ${call} is not on the allow-list.`);
  }
}
