import { BastionError } from '../../errors/codes.js';
import type { WritePolicyOptions, WriteTool } from '../../engine/policy.js';
import { isWord, splitStatements, tokenize, type Token } from './lexer.js';
import { checkTokens } from './lexical.js';
import type { SqlParser } from './parser.js';
import { inspectSqliteDdl } from './write-ddl.js';
import { inspectSqliteDml } from './write-dml.js';
import type { SqliteWritePlan } from './write-plan.js';
import { parseOne, refuseWords } from './write-rules.js';

/** Words before a name that declares a table, view or column list rather than calling a function: `INTO t(`, `TABLE t(`. */
const DECLARING = ['TABLE', 'INTO', 'VIEW', 'REFERENCES', 'EXISTS'];

/**
 * The write policy for SQLite sources, deny by default, on two views of the
 * statement that must agree: SQLite's own tokens (one statement, refused words,
 * every call on the allow-list, no sqlite_* name, the command, its table and
 * what follows it) and node-sql-parser's SQLite tree (every clause on an
 * allow-list, the same table, the reads inside). The statement that runs is the
 * text as given: the tokens are SQLite's reading of exactly that text.
 */
export function inspectSqliteWrite(parser: SqlParser, sql: string, tool: WriteTool, options: WritePolicyOptions): SqliteWritePlan {
  const statements = splitStatements(tokenize(sql));
  if (statements.length === 0) throw new BastionError('SQL_PARSE_ERROR', 'The SQL contains no statement.');
  if (statements.length > 1) throw new BastionError('SQL_MULTIPLE_STATEMENTS', `Exactly one statement is allowed per call; found ${statements.length}.`);
  const tokens = statements[0] ?? [];
  refuseWords(tokens, tool);
  const lexical = checkTokens(tokens, { refusedWords: new Set(), declarations: declarations(tokens) });
  const what = tool === 'execute' ? 'INSERT, UPDATE or DELETE' : 'CREATE, ALTER or DROP';
  const parse = (type: string): ReturnType<typeof parseOne> => parseOne(parser, tokens, type, what);
  try {
    if (tool === 'execute') return { checked: inspectSqliteDml(sql, tokens, parse, options, lexical.paramCount, lexical.functions), touches: [] };
    if (lexical.paramCount > 0) throw new BastionError('SQL_FEATURE_DENIED', 'change_schema takes no parameters; write the values into the statement.');
    return inspectSqliteDdl(sql, tokens, parse, options);
  } catch (error) {
    if (error instanceof RangeError) throw new BastionError('SQL_FEATURE_DENIED', 'The statement is nested too deeply.');
    throw error;
  }
}

/** Token indexes of names followed by `(` that SQLite reads as a declared name: the table of INSERT, CREATE, REFERENCES or CREATE INDEX … ON. */
function declarations(tokens: readonly Token[]): Set<number> {
  const found = new Set<number>();
  const before = (i: number): Token | undefined => (tokens[i - 1]?.kind === 'punct' && tokens[i - 1]?.text === '.' ? tokens[i - 3] : tokens[i - 1]);
  tokens.forEach((token, i) => {
    const next = tokens[i + 1];
    if ((token.kind === 'word' || token.kind === 'quoted') && next?.kind === 'punct' && next.text === '(' && isWord(before(i), ...DECLARING)) found.add(i);
  });
  // CREATE [UNIQUE] INDEX name ON table(...): the first ON of the statement.
  if (isWord(tokens[0], 'CREATE') && (isWord(tokens[1], 'INDEX') || isWord(tokens[2], 'INDEX'))) {
    const on = tokens.findIndex((t) => isWord(t, 'ON'));
    if (on > 0) found.add(tokens[on + 2]?.kind === 'punct' && tokens[on + 2]?.text === '.' ? on + 3 : on + 1);
  }
  return found;
}
