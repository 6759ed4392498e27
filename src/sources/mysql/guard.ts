import { BastionError } from '../../errors/codes.js';
import type { CheckedStatement, ReadTool } from '../../guard/sql/policy.js';
import type { ReadGuard } from '../adapter.js';
import { PAREN_KEYWORDS, ALLOWED_FUNCTIONS } from './functions.js';
import { scanMysql, type ScannedSql } from './lexer.js';
import { MysqlReadWalker } from './walker.js';

/** The part of node-sql-parser the guard uses, described locally so the core never imports it. */
export interface MysqlParser {
  astify(sql: string, options: { database: string }): unknown;
}

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

  constructor(private readonly parser: MysqlParser) {}

  checkRead(sql: string, tool: ReadTool): CheckedStatement {
    const key = `${tool}\u0000${sql}`;
    let verdict = this.cache.get(key);
    if (verdict === undefined) {
      try {
        verdict = this.inspect(sql, tool);
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

  private inspect(sql: string, tool: ReadTool): CheckedStatement {
    const scanned = scanMysql(sql);
    if (scanned.text === '') throw new BastionError('SQL_PARSE_ERROR', 'The SQL contains no statement.');
    checkWords(scanned, tool);
    const root = this.parse(scanned.text);
    let select = root;
    if (tool === 'explain') {
      if (root['type'] !== 'explain') throw new BastionError('SQL_NOT_READ_ONLY', 'explain takes a statement starting with EXPLAIN SELECT.');
      select = root['expr'] as Record<string, unknown>;
    }
    if (select['type'] !== 'select') {
      throw new BastionError('SQL_NOT_READ_ONLY', `${tool} accepts one SELECT statement; ${String(select['type']).toUpperCase()} is not allowed.`);
    }
    const walker = new MysqlReadWalker();
    walker.visitStatement(select);
    checkCalls(scanned, walker.cteNames);
    return { sql: scanned.text, tool, ...walker.reads(scanned.placeholders) };
  }

  private parse(text: string): Record<string, unknown> {
    let ast: unknown;
    try {
      ast = this.parser.astify(text, { database: 'MySQL' });
    } catch {
      throw new BastionError('SQL_PARSE_ERROR', 'The SQL does not parse as one MySQL SELECT (or uses syntax the checker does not know).');
    }
    const list = Array.isArray(ast) ? ast : [ast];
    if (list.length !== 1) throw new BastionError('SQL_MULTIPLE_STATEMENTS');
    const root = list[0] as Record<string, unknown> | null | undefined;
    if (root === null || root === undefined || typeof root !== 'object') throw new BastionError('SQL_PARSE_ERROR', 'The SQL contains no statement.');
    return root;
  }
}

function checkWords(scanned: ScannedSql, tool: ReadTool): void {
  if (scanned.variables) throw new BastionError('SQL_FEATURE_DENIED', 'User and system variables (@x, @@x) are not allowed.');
  const [first, second] = scanned.words;
  if (tool === 'query' && first !== 'SELECT' && first !== 'WITH') {
    throw new BastionError('SQL_NOT_READ_ONLY', `query accepts one SELECT statement; ${first ?? 'this'} is not allowed.`);
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
