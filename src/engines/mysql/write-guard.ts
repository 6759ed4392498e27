import { BastionError } from '../../errors/codes.js';
import type { WritePolicyOptions, WriteTool } from '../../engine/policy.js';
import { scanMysql } from './lexer.js';
import { tokenize } from './tokens.js';
import { inspectDdl } from './write-ddl.js';
import { inspectDml } from './write-dml.js';
import type { MysqlWritePlan, Node } from './write-rules.js';

/** The part of node-sql-parser the guard uses, described locally so the core never imports it. */
export interface MysqlParser {
  astify(sql: string, options: { database: string; parseOptions?: { includeLocations: boolean } }): unknown;
}

/**
 * The write policy for MySQL and MariaDB, deny by default, with three views of
 * the statement that must agree: its words as MySQL's lexer sees them (executable
 * comments refused, comments removed, variables flagged), its tokens (which name
 * the target and show the statement's shape), and node-sql-parser's MySQL tree
 * (which every clause must be on an allow-list of). The statement that runs is the
 * scanned text, so the server executes exactly what was checked.
 */
export function inspectMysqlWrite(parser: MysqlParser, sql: string, tool: WriteTool, options: WritePolicyOptions): MysqlWritePlan {
  const scanned = scanMysql(sql);
  if (scanned.text === '') throw new BastionError('SQL_PARSE_ERROR', 'The SQL contains no statement.');
  const tokens = tokenize(scanned.text);
  const what = tool === 'execute' ? 'INSERT, UPDATE or DELETE' : 'CREATE, ALTER or DROP';
  const parse = (): Node => parseMysql(parser, scanned.text, what);
  try {
    return tool === 'execute' ? inspectDml(scanned, tokens, parse, options) : inspectDdl(scanned, tokens, parse, options);
  } catch (error) {
    if (error instanceof RangeError) throw new BastionError('SQL_FEATURE_DENIED', 'The statement is nested too deeply.');
    throw error;
  }
}

/** Parses `text` as exactly one MySQL statement; `what` names what it should be, for the message. */
export function parseMysql(parser: MysqlParser, text: string, what: string): Node {
  let ast: unknown;
  try {
    ast = parser.astify(text, { database: 'MySQL' });
  } catch {
    throw new BastionError('SQL_PARSE_ERROR', `The SQL does not parse as one MySQL ${what} (or uses syntax the checker does not know).`);
  }
  const list = Array.isArray(ast) ? ast : [ast];
  if (list.length !== 1) throw new BastionError('SQL_MULTIPLE_STATEMENTS');
  const root = list[0] as Node | null | undefined;
  if (root === null || root === undefined || typeof root !== 'object') throw new BastionError('SQL_PARSE_ERROR', 'The SQL contains no statement.');
  return root;
}
