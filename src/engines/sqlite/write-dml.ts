import type { CheckedDml, DmlCommand, WritePolicyOptions } from '../../engine/policy.js';
import type { Token } from './lexer.js';
import { checkRelation } from './lexical.js';
import { walkParts } from './walk.js';
import {
  Cursor, checkParsedFunctions, featureDenied, listOf, onlyKeys, relation, sameName, selectWords, writeDenied, type Node,
} from './write-rules.js';

/** The fields node-sql-parser sets on each statement this policy reviewed; any other set field is refused. */
const KEYS: Readonly<Record<DmlCommand, ReadonlySet<string>>> = {
  insert: new Set(['type', 'table', 'columns', 'values', 'prefix']),
  update: new Set(['type', 'table', 'set', 'where']),
  delete: new Set(['type', 'table', 'from', 'where']),
  merge: new Set(),
};

/**
 * `execute` on SQLite: one INSERT INTO t [(columns)] VALUES … | SELECT …,
 * UPDATE t SET … WHERE …, or DELETE FROM t WHERE …, on a table of `main`. The
 * statement's shape (which command, which table, what follows the name) is read
 * from SQLite's tokens; node-sql-parser's tree must name the same table and gives
 * the expressions and SELECTs whose reads are authorized like a query's.
 */
export function inspectSqliteDml(sql: string, tokens: readonly Token[], parse: (type: string) => Node, options: WritePolicyOptions, paramCount: number, functions: readonly string[]): CheckedDml {
  const cursor = new Cursor(tokens);
  let command: DmlCommand;
  if (cursor.word('INSERT')) {
    command = 'insert';
    cursor.expect('INSERT takes INTO directly: INSERT OR … is not allowed.', 'INTO');
  } else if (cursor.word('UPDATE')) {
    command = 'update';
    if (cursor.word('OR')) throw writeDenied('UPDATE OR … is not allowed.');
  } else if (cursor.word('DELETE')) {
    command = 'delete';
    cursor.expect('DELETE takes FROM directly.', 'FROM');
  } else {
    const first = (tokens[0]?.text ?? '').toUpperCase();
    throw writeDenied(`execute takes one INSERT, UPDATE or DELETE; ${first === '' ? 'this' : first} is not allowed${first === 'SELECT' ? ' (reads go through query)' : ''}.`);
  }
  const target = cursor.name(`${command.toUpperCase()} on`);
  checkRelation(relation(target));
  // What may follow the table's name: no alias, no index hint, no FROM.
  const next = cursor.peek();
  const follows: Record<DmlCommand, string[]> = { insert: ['VALUES', 'SELECT', 'WITH'], update: ['SET'], delete: ['WHERE'], merge: [] };
  const ok = (command === 'insert' && next?.kind === 'punct' && next.text === '(') || follows[command].includes((next?.kind === 'word' ? next.text : '').toUpperCase()) || (command === 'delete' && next === undefined);
  if (!ok) throw featureDenied(`${command.toUpperCase()}: the table name must be followed by ${follows[command].join(' or ')}${command === 'insert' ? ' or a column list' : ''} (no alias or other clause).`);
  if (command !== 'insert') refuseTopLevel(tokens, cursor.i);

  const root = parse(command);
  onlyKeys(root, KEYS[command], command.toUpperCase());
  const tables = listOf(root['table']);
  if (tables.length !== 1 || !sameName(tables[0], target)) throw featureDenied(`${command.toUpperCase()} must write exactly one table, named as the tokens name it.`);
  const parts = partsOf(command, root);
  const walked = walkParts(parts);
  if (walked.selectCount !== selectWords(tokens)) throw featureDenied('The statement holds a SELECT the checker could not follow.');
  checkParsedFunctions(walked.functions);
  for (const read of walked.relations) checkRelation(read);
  if ((command === 'update' || command === 'delete') && !options.allowUnbounded) requireFilter(root['where'], command);

  const written = relation(target);
  const reads = { ...walked, relations: [written, ...walked.relations], functions: [...new Set([...walked.functions, ...functions])], paramCount };
  const last = tokens[tokens.length - 1];
  // RETURNING after the last token: a trailing `;` or comment cannot hide it or make it a second statement.
  const sampleSql = `${sql.slice(0, last?.end ?? sql.length)}\nRETURNING *`;
  return { sql, tool: 'execute', command, target: written, reads, paramCount, hasReturning: false, sampleSql, sampleNeedsPg17: false, assigns: assignedColumns(root) };
}

/** The target's columns an INSERT or UPDATE assigns; every column for an INSERT without a column list; undefined when a name is not plain. */
function assignedColumns(root: Node): readonly string[] | 'all' | undefined {
  const names = root['type'] === 'insert' ? (Array.isArray(root['columns']) ? (root['columns'] as unknown[]) : []) : listOf(root['set']).map((item) => item['column']);
  if (root['type'] === 'insert' && names.length === 0) return 'all';
  return names.every((name): name is string => typeof name === 'string') ? names : undefined;
}

/** UPDATE and DELETE take no ORDER BY, LIMIT or FROM of their own (inside a subquery they are reads). */
function refuseTopLevel(tokens: readonly Token[], from: number): void {
  let depth = 0;
  for (let i = from; i < tokens.length; i++) {
    const t = tokens[i];
    if (t?.kind === 'punct' && t.text === '(') depth++;
    else if (t?.kind === 'punct' && t.text === ')') depth--;
    else if (depth === 0 && t?.kind === 'word' && ['ORDER', 'LIMIT', 'FROM'].includes(t.text.toUpperCase())) {
      throw featureDenied(`${t.text.toUpperCase()} is not allowed on UPDATE or DELETE.`);
    }
  }
}

function partsOf(command: DmlCommand, root: Node): { selects: unknown[]; expressions: unknown[] } {
  if (command === 'insert') {
    const values = root['values'] as Node | undefined;
    if (values?.['type'] === 'select') return { selects: [values], expressions: [] };
    if (values?.['type'] !== 'values') throw featureDenied('INSERT takes VALUES or a SELECT.');
    return { selects: [], expressions: listOf(values['values']) };
  }
  const expressions: unknown[] = [root['where']];
  if (command === 'update') {
    for (const item of listOf(root['set'])) {
      if (item['table'] !== null && item['table'] !== undefined) throw featureDenied('UPDATE … SET takes plain column names.');
      expressions.push(item['value']);
    }
  }
  return { selects: [], expressions };
}

/** Without allow_unbounded, UPDATE and DELETE need a WHERE that names a column (not `WHERE 1`). */
function requireFilter(where: unknown, command: DmlCommand): void {
  if (where === null || where === undefined) {
    throw writeDenied(`${command.toUpperCase()} without a WHERE changes every row; add a WHERE (or set writes.allow_unbounded).`);
  }
  if (walkParts({ expressions: [where] }).columnRefs.length === 0) {
    throw writeDenied(`${command.toUpperCase()} needs a WHERE that names a column; a constant condition changes every row.`);
  }
}

