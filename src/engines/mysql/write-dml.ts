import { BastionError } from '../../errors/codes.js';
import type { RelationRef, DmlCommand, WritePolicyOptions } from '../../engine/policy.js';
import type { ScannedSql } from './lexer.js';
import { isPunct, isWord, nameAt, type Token } from './tokens.js';
import { MysqlReadWalker } from './walker.js';
import { checkCalls, featureDenied, isSystemDatabase, listOf, onlyKeys, refuseWords, relationOf, stringOf, writeDenied, type MysqlWritePlan, type Node } from './write-rules.js';

/** Words that never belong in execute's statement, wherever the parser puts them (or drops them). */
const DENIED_WORDS = new Map([
  ['IGNORE', 'IGNORE turns errors into warnings and skips rows silently; it is not allowed.'],
  ['LOW_PRIORITY', 'LOW_PRIORITY, HIGH_PRIORITY and DELAYED are not allowed.'],
  ['HIGH_PRIORITY', 'LOW_PRIORITY, HIGH_PRIORITY and DELAYED are not allowed.'],
  ['DELAYED', 'LOW_PRIORITY, HIGH_PRIORITY and DELAYED are not allowed.'],
  ['PARTITION', 'PARTITION clauses are not allowed: write to the table as a whole.'],
  ['DUPLICATE', 'INSERT ... ON DUPLICATE KEY UPDATE is not allowed: it changes existing rows the statement does not name; use UPDATE ... WHERE.'],
  ['RETURNING', 'RETURNING is not supported on MySQL/MariaDB writes.'],
  ['OUTFILE', 'INTO OUTFILE writes a file on the server; it is not allowed.'],
  ['DUMPFILE', 'INTO DUMPFILE writes a file on the server; it is not allowed.'],
  ['PROCEDURE', 'PROCEDURE runs a procedure; it is not allowed.'],
  ['LOCK', 'Locking clauses are not allowed in a write.'],
  ['HANDLER', 'HANDLER is not allowed.'],
]);

/** Keywords written before `(` in a plain INSERT besides function names. */
const DML_PAREN_WORDS: ReadonlySet<string> = new Set(['VALUES', 'VALUE']);

const INSERT_KEYS = new Set(['type', 'table', 'columns', 'values', 'set', 'prefix']);
const UPDATE_KEYS = new Set(['type', 'table', 'set', 'where', 'orderby', 'limit']);
const DELETE_KEYS = new Set(['type', 'table', 'from', 'where', 'orderby', 'limit']);
const TABLE_KEYS = new Set(['db', 'table', 'as', 'addition']);
const SET_ITEM_KEYS = new Set(['column', 'value', 'table']);

/**
 * execute on MySQL/MariaDB: exactly one single-table INSERT [INTO] t [(cols)]
 * VALUES/SELECT/SET, UPDATE t SET ... WHERE, or DELETE FROM t WHERE. No REPLACE,
 * ON DUPLICATE KEY UPDATE, IGNORE or priority modifiers, multi-table forms or
 * joins, PARTITION, WITH before the statement, or RETURNING. Every expression and
 * subquery passes the read rules. The parser's tree and the tokens must name the
 * same target in the same shape.
 */
export function inspectDml(scanned: ScannedSql, tokens: readonly Token[], parse: () => Node, options: WritePolicyOptions): MysqlWritePlan {
  const command = dmlCommand(scanned);
  refuseWords(scanned, DENIED_WORDS);
  if (scanned.variables) throw featureDenied('User and system variables (@x, @@x) are not allowed.');
  if (scanned.words.filter((w) => w === 'INTO').length > (command === 'insert' && scanned.words[1] === 'INTO' ? 1 : 0)) {
    throw writeDenied('INTO may appear once, in INSERT INTO; SELECT ... INTO writes files or variables.');
  }
  const root = parse();
  if (root['type'] !== command) {
    throw new BastionError('SQL_PARSE_ERROR', `The statement does not parse as one ${command.toUpperCase()} (or uses syntax the checker does not know).`);
  }
  const walker = new MysqlReadWalker();
  const { target, filtersOnColumns } = command === 'insert' ? insert(root, walker) : command === 'update' ? update(root, walker) : remove(root, walker);
  const shown = tokenTarget(tokens, command, isWord(tokens[1], 'INTO'));
  if (shown.schema !== target.schema || shown.name !== target.name || (shown.alias ?? null) !== (target.alias ?? null)) {
    throw featureDenied('The statement could not be checked: its target reads differently to the checker and to the server.');
  }
  // WHERE true or WHERE 1 = 1 names no column and bounds nothing: it counts as no WHERE.
  if (command !== 'insert' && !options.allowUnbounded && !filtersOnColumns) {
    throw writeDenied(`${command.toUpperCase()} without a WHERE clause that names a column would change every row; add one (the source's writes.allow_unbounded lifts this).`);
  }
  const reads = walker.reads(scanned.placeholders);
  for (const relation of reads.relations) {
    if (relation.schema !== undefined && isSystemDatabase(relation.schema)) {
      throw new BastionError('DENIED_BY_POLICY', `A write may not read ${relation.schema}.${relation.name}: system databases are never read by a write.`);
    }
  }
  const names = new Set([target.name.toUpperCase(), ...[...walker.cteNames].map((n) => n.toUpperCase())]);
  checkCalls(scanned, DML_PAREN_WORDS, names);
  return {
    checked: {
      sql: scanned.text,
      tool: 'execute',
      command,
      target,
      reads,
      paramCount: scanned.placeholders,
      hasReturning: false,
      // MySQL has no RETURNING for UPDATE: a dry run reports the affected-row count only.
      sampleSql: undefined,
      sampleNeedsPg17: false,
      assigns: assignedColumns(root),
    },
    // The second layer: the target must be a base table whose engine really rolls back.
    expectations: [{ kind: 'relation', schema: target.schema, name: target.name, state: 'table', transactional: true }],
  };
}

function dmlCommand(scanned: ScannedSql): DmlCommand {
  const [first, second] = scanned.words;
  // INSERT's modifiers (IGNORE, LOW_PRIORITY, DELAYED, HIGH_PRIORITY) are reserved words, refused wherever they stand.
  if (first === 'INSERT') return 'insert';
  if (first === 'UPDATE') return 'update';
  if (first === 'DELETE' && second === 'FROM') return 'delete';
  if (first === 'DELETE') throw writeDenied(`Write DELETE FROM t WHERE ...: modifiers such as QUICK and multi-table forms are not allowed.`);
  if (first === 'REPLACE') throw writeDenied('REPLACE deletes and re-inserts existing rows; it is not allowed. Use INSERT or UPDATE.');
  if (first === 'WITH') throw featureDenied('WITH before a write is not allowed; use a subquery.');
  if (first === 'SELECT') throw writeDenied('execute takes one INSERT, UPDATE or DELETE; reads go through query.');
  if (['CREATE', 'ALTER', 'DROP', 'RENAME', 'TRUNCATE'].includes(first ?? '')) {
    throw writeDenied(`execute takes one INSERT, UPDATE or DELETE; ${first ?? ''} is not allowed (schema changes go through change_schema).`);
  }
  throw writeDenied(`execute takes one INSERT, UPDATE or DELETE; ${first ?? 'this statement'} is not allowed.`);
}

interface Shape {
  readonly target: RelationRef;
  readonly filtersOnColumns: boolean;
}

/** The one table written: `[{ db, table, as }]`, nothing joined to it. */
function singleTarget(value: unknown, what: string): RelationRef {
  const tables = listOf(value);
  if (tables.length !== 1) throw writeDenied(`${what} writes exactly one table; multi-table forms and joins are not allowed.`);
  const node = tables[0] as Node;
  onlyKeys(node, TABLE_KEYS, what);
  return relationOf(node, what);
}

function insert(root: Node, walker: MysqlReadWalker): Shape {
  onlyKeys(root, INSERT_KEYS, 'INSERT');
  if (root['prefix'] !== 'into' && root['prefix'] !== '') throw writeDenied('Write INSERT INTO t ...; modifiers are not allowed.');
  const target = singleTarget(root['table'], 'INSERT');
  if (target.alias !== undefined) throw featureDenied('INSERT: an alias on the target is not allowed.');
  for (const column of listOf(root['columns'])) {
    if (typeof column !== 'string') throw featureDenied('INSERT: the column list could not be checked.');
  }
  const values = root['values'] as Node | null | undefined;
  if (values?.['type'] === 'values') {
    onlyKeys(values, new Set(['type', 'values']), 'INSERT ... VALUES');
    walker.visitExpression(values['values']);
  } else if (values?.['type'] === 'select') {
    walker.visitStatement(values);
  } else if (values !== null && values !== undefined) {
    throw featureDenied('INSERT: this form is not allowed; use VALUES, SELECT or SET.');
  }
  setList(root['set'], target, walker, 'INSERT ... SET');
  if ((values === null || values === undefined) && listOf(root['set']).length === 0) throw featureDenied('INSERT inserts nothing.');
  return { target, filtersOnColumns: true };
}

function update(root: Node, walker: MysqlReadWalker): Shape {
  onlyKeys(root, UPDATE_KEYS, 'UPDATE');
  const target = singleTarget(root['table'], 'UPDATE');
  setList(root['set'], target, walker, 'UPDATE');
  return { target, filtersOnColumns: filter(root, walker) };
}

function remove(root: Node, walker: MysqlReadWalker): Shape {
  onlyKeys(root, DELETE_KEYS, 'DELETE');
  const target = singleTarget(root['table'], 'DELETE');
  const from = listOf(root['from']);
  const [only] = from;
  // DELETE FROM t (single-table) is `addition: true` with the same table in `from`; DELETE t FROM t JOIN u is not.
  if ((root['table'] as Node[])[0]?.['addition'] !== true || from.length !== 1 || only === undefined) {
    throw writeDenied('DELETE writes exactly one table: DELETE FROM t WHERE ...; multi-table forms and joins are not allowed.');
  }
  onlyKeys(only, new Set(['db', 'table', 'as']), 'DELETE');
  const source = relationOf(only, 'DELETE');
  if (source.schema !== target.schema || source.name !== target.name || source.alias !== target.alias) throw writeDenied('DELETE writes exactly one table.');
  return { target, filtersOnColumns: filter(root, walker) };
}

/** The target's columns an INSERT or UPDATE assigns (its column list or SET); every column for INSERT ... VALUES/SELECT without a list. */
function assignedColumns(root: Node): readonly string[] | 'all' {
  const listed = (Array.isArray(root['columns']) ? (root['columns'] as unknown[]) : []).filter((c): c is string => typeof c === 'string');
  const set = listOf(root['set']).flatMap((item) => {
    const column = item['column'];
    return typeof column === 'string' ? [column] : [];
  });
  if (root['type'] === 'insert' && listed.length === 0 && set.length === 0) return 'all';
  return [...listed, ...set];
}

/** SET a = expr, ...: each value checked like a read, each column of the target. */
function setList(value: unknown, target: RelationRef, walker: MysqlReadWalker, what: string): void {
  for (const item of listOf(value)) {
    onlyKeys(item, SET_ITEM_KEYS, what);
    const qualifier = stringOf(item['table']);
    if (typeof item['column'] !== 'string') throw featureDenied(`${what}: a SET column could not be checked.`);
    if (qualifier !== undefined && qualifier !== (target.alias ?? target.name)) throw writeDenied(`${what} may only set columns of ${target.name}.`);
    walker.visitExpression(item['value']);
  }
}

/** WHERE, ORDER BY and LIMIT checked like a read; true when the WHERE names a column. */
function filter(root: Node, walker: MysqlReadWalker): boolean {
  const before = walker.columnMentions;
  walker.visitExpression(root['where']);
  const names = walker.columnMentions > before;
  walker.visitExpression(root['orderby']);
  walker.visitExpression(root['limit']);
  return names;
}

/** The target as the tokens show it: INSERT [INTO] t (...|VALUES|SELECT|SET, UPDATE t [[AS] a] SET, DELETE FROM t [[AS] a] [WHERE|ORDER|LIMIT]. */
function tokenTarget(tokens: readonly Token[], command: DmlCommand, into: boolean): RelationRef {
  const start = command === 'update' || (command === 'insert' && !into) ? 1 : 2;
  const name = nameAt(tokens, start);
  const unclear = featureDenied('The statement could not be checked: its target is not written as one table name.');
  if (name === undefined) throw unclear;
  let i = name.next;
  if (command === 'insert') {
    const next = tokens[i];
    if (!isPunct(next, '(') && !['VALUES', 'VALUE', 'SELECT', 'SET', 'WITH'].some((w) => isWord(next, w))) throw unclear;
    return { schema: name.schema, name: name.name, alias: undefined };
  }
  let alias: string | undefined;
  if (isWord(tokens[i], 'AS')) i++;
  const end = command === 'update' ? ['SET'] : ['WHERE', 'ORDER', 'LIMIT'];
  const next = tokens[i];
  if (next !== undefined && (next.kind === 'word' || next.kind === 'quoted') && !end.some((w) => isWord(next, w))) {
    alias = next.text;
    i++;
  }
  const after = tokens[i];
  if (after === undefined ? command === 'update' : !end.some((w) => isWord(after, w))) throw unclear;
  return { schema: name.schema, name: name.name, alias };
}
