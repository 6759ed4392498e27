import type { RelationRef, CheckedDdl, DdlObjectType, WritePolicyOptions } from '../../engine/policy.js';
import { isWord, type Token } from './lexer.js';
import { walkParts } from './walk.js';
import type { SqliteWritePlan } from './write-plan.js';
import {
  Cursor, NO_READS, asciiLower, checkParsedFunctions, featureDenied, listOf, onlyKeys, relation, sameName, selectWords, writeDenied,
  type NameAt, type Node,
} from './write-rules.js';

type Parse = (type: string) => Node;

const INDEX_KEYS = new Set(['type', 'index_type', 'keyword', 'if_not_exists', 'index', 'on_kw', 'table', 'index_columns', 'where']);
const TABLE_KEYS = new Set(['type', 'keyword', 'if_not_exists', 'table', 'create_definitions', 'table_options', 'as', 'query_expr']);
const VIEW_KEYS = new Set(['type', 'keyword', 'if_not_exists', 'columns', 'select', 'view']);
const ALTER_KEYS = new Set(['type', 'table', 'expr']);
const COLUMN_KEYS = new Set([
  'column', 'definition', 'resource', 'primary_key', 'nullable', 'default_val', 'check', 'reference_definition', 'generated',
  'unique', 'auto_increment', 'collate', 'action', 'keyword', 'type',
]);
const CONSTRAINT_KEYS = new Set(['constraint', 'definition', 'constraint_type', 'keyword', 'index', 'index_type', 'resource', 'reference_definition', 'index_options']);
const TABLE_OPTIONS = new Set(['strict', 'without rowid']);

/**
 * `change_schema` on SQLite: one CREATE TABLE (columns or AS SELECT), CREATE VIEW,
 * CREATE [UNIQUE] INDEX … ON, ALTER TABLE (ADD, RENAME or DROP a column, RENAME
 * TO) or DROP TABLE / VIEW / INDEX, of one object named with the prefix, in
 * `main`. The statement's shape and every name come from SQLite's tokens;
 * node-sql-parser's tree must agree, and every clause in it must be one this
 * policy reviewed. `touches` tells the engine which rows of sqlite_schema may change.
 */
export function inspectSqliteDdl(sql: string, tokens: readonly Token[], parse: Parse, options: WritePolicyOptions): SqliteWritePlan {
  const cursor = new Cursor(tokens);
  const owned = (at: NameAt, what: string): NameAt => {
    const name = asciiLower(at.name);
    if (name.startsWith('sqlite_') || !name.startsWith(asciiLower(options.prefix))) {
      throw writeDenied(`${what}: "${at.name}" does not start with ${options.prefix}; change_schema only creates, changes and drops objects named ${options.prefix}… (compared as SQLite compares names, ignoring ASCII case).`);
    }
    return at;
  };
  const base = { sql, tool: 'change_schema' as const, reads: NO_READS, references: [] as RelationRef[], paramCount: 0 as const, sampleSql: undefined, sampleNeedsPg17: false as const };
  const plan = (checked: CheckedDdl, ...touched: NameAt[]): SqliteWritePlan => ({ checked, touches: [...new Set(touched.map((t) => asciiLower(t.name)))] });

  if (cursor.word('DROP')) {
    const type = dropType(cursor);
    if (cursor.word('IF')) cursor.expect('DROP … IF takes EXISTS.', 'EXISTS');
    const at = owned(cursor.name(`DROP ${type.toUpperCase()}`), `DROP ${type.toUpperCase()}`);
    if (!cursor.atEnd()) throw featureDenied('DROP takes one object and nothing after it (no list, no CASCADE).');
    return plan({ ...base, kind: 'drop', object: object(at, type) }, at);
  }
  if (cursor.word('ALTER')) return plan(...alter(cursor, parse, base, owned));
  if (!cursor.word('CREATE')) {
    const first = (tokens[0]?.text ?? '').toUpperCase();
    throw writeDenied(`change_schema takes one CREATE, ALTER or DROP; ${first === '' ? 'this' : first} is not allowed.`);
  }
  const unique = cursor.word('UNIQUE');
  if (cursor.word('INDEX')) {
    ifNotExists(cursor);
    const index = owned(cursor.name('CREATE INDEX'), 'CREATE INDEX');
    cursor.expect('CREATE INDEX takes ON and a table.', 'ON');
    const table = owned(cursor.name('CREATE INDEX … ON'), 'CREATE INDEX on a table');
    const root = parse('create');
    onlyKeys(root, INDEX_KEYS, 'CREATE INDEX');
    const indexNode = (root['index'] ?? {}) as Node;
    const agrees = root['keyword'] === 'index' && typeof indexNode['name'] === 'string' && asciiLower(indexNode['name']) === asciiLower(index.name) && sameName(root['table'], table);
    if (!agrees || (root['index_type'] !== null && root['index_type'] !== undefined) !== unique) throw featureDenied('The CREATE INDEX does not read the same to both checkers.');
    expressionsOnly(tokens, [root['index_columns'], root['where']]);
    return plan({ ...base, kind: 'create_index', object: object(index, 'index'), table: relation(table) }, index, table);
  }
  if (unique) throw featureDenied('UNIQUE goes with CREATE INDEX only.');
  if (cursor.word('VIEW')) {
    ifNotExists(cursor);
    const view = owned(cursor.name('CREATE VIEW'), 'CREATE VIEW');
    const root = parse('create');
    onlyKeys(root, VIEW_KEYS, 'CREATE VIEW');
    if (root['keyword'] !== 'view' || !sameName(root['view'], view, 'view')) throw featureDenied('The CREATE VIEW does not read the same to both checkers.');
    return plan({ ...base, kind: 'create_view', object: object(view, 'view'), reads: body(tokens, root['select']) }, view);
  }
  cursor.expect('change_schema creates tables, views and indexes only (no triggers, virtual or temporary tables).', 'TABLE');
  ifNotExists(cursor);
  const table = owned(cursor.name('CREATE TABLE'), 'CREATE TABLE');
  const root = parse('create');
  onlyKeys(root, TABLE_KEYS, 'CREATE TABLE');
  const tables = listOf(root['table']);
  if (root['keyword'] !== 'table' || tables.length !== 1 || !sameName(tables[0], table)) throw featureDenied('The CREATE TABLE does not read the same to both checkers.');
  if (isWord(cursor.peek(), 'AS')) {
    return plan({ ...base, kind: 'create_table_as', object: object(table, 'table'), reads: body(tokens, root['query_expr']) }, table);
  }
  for (const option of listOf(root['table_options'])) {
    if (!TABLE_OPTIONS.has(String(option['keyword']).toLowerCase())) throw featureDenied('CREATE TABLE takes only the STRICT and WITHOUT ROWID options.');
  }
  const definitions = listOf(root['create_definitions']);
  if (definitions.length === 0) throw featureDenied('CREATE TABLE needs its columns.');
  for (const definition of definitions) checkDefinition(definition);
  expressionsOnly(tokens, definitions);
  const references = referencesOf(tokens, definitions, owned);
  return plan({ ...base, kind: 'create_table', object: object(table, 'table'), references }, table);
}

function dropType(cursor: Cursor): DdlObjectType {
  if (cursor.word('TABLE')) return 'table';
  if (cursor.word('VIEW')) return 'view';
  if (cursor.word('INDEX')) return 'index';
  throw featureDenied('DROP takes TABLE, VIEW or INDEX (no triggers).');
}

function ifNotExists(cursor: Cursor): void {
  if (!cursor.word('IF')) return;
  cursor.expect('IF takes NOT EXISTS here.', 'NOT');
  cursor.expect('IF NOT takes EXISTS.', 'EXISTS');
}

function object(at: NameAt, type: DdlObjectType): CheckedDdl['object'] {
  return { schema: at.schema, name: asciiLower(at.name), type };
}

type Base = Omit<CheckedDdl, 'kind' | 'object'>;

function alter(cursor: Cursor, parse: Parse, base: Base, owned: (at: NameAt, what: string) => NameAt): [CheckedDdl, ...NameAt[]] {
  cursor.expect('ALTER takes TABLE.', 'TABLE');
  const table = owned(cursor.name('ALTER TABLE'), 'ALTER TABLE');
  const root = parse('alter');
  onlyKeys(root, ALTER_KEYS, 'ALTER TABLE');
  const tables = listOf(root['table']);
  const actions = listOf(root['expr']);
  const action = actions[0];
  if (tables.length !== 1 || !sameName(tables[0], table) || actions.length !== 1 || action === undefined) {
    throw featureDenied('ALTER TABLE takes one action on one table.');
  }
  const target = object(table, 'table');
  if (cursor.word('RENAME')) {
    if (cursor.word('TO')) {
      const renamed = owned(cursor.name('RENAME TO'), 'RENAME TO');
      if (!cursor.atEnd() || action['action'] !== 'rename' || action['resource'] !== 'table' || typeof action['table'] !== 'string' || asciiLower(action['table']) !== asciiLower(renamed.name) || renamed.schema !== undefined) {
        throw featureDenied('ALTER TABLE … RENAME TO takes one new, unqualified name.');
      }
      return [{ ...base, kind: 'rename', object: target, newName: asciiLower(renamed.name) }, table, renamed];
    }
    if (action['action'] !== 'rename' || action['resource'] !== 'column') throw featureDenied('ALTER TABLE … RENAME takes a column or TO.');
    const from = columnName(action['old_column']);
    const to = columnName(action['column']);
    return [{ ...base, kind: 'rename', object: target, column: from, newName: to }, table];
  }
  if (cursor.word('DROP')) {
    if (action['action'] !== 'drop' || action['resource'] !== 'column') throw featureDenied('ALTER TABLE … DROP takes a column.');
    return [{ ...base, kind: 'alter', object: target, column: columnName(action['column']) }, table];
  }
  cursor.expect('ALTER TABLE takes ADD, RENAME or DROP.', 'ADD');
  if (action['action'] !== 'add' || action['resource'] !== 'column') throw featureDenied('ALTER TABLE … ADD takes a column.');
  checkDefinition(action);
  expressionsOnly(cursor.tokens, [action]);
  const references = referencesOf(cursor.tokens, [action], owned);
  return [{ ...base, kind: 'alter', object: target, column: columnName(action['column']), references }, table];
}

function columnName(node: unknown): string {
  const column = (node as Node | undefined)?.['column'];
  if (typeof column !== 'string' || column === '') throw featureDenied('A column name could not be read.');
  return asciiLower(column);
}

/** A column or table constraint: only the clauses reviewed here (no ON CONFLICT, no GENERATED STORED as a trick). */
function checkDefinition(definition: Node): void {
  if (definition['resource'] === 'column') onlyKeys(definition, COLUMN_KEYS, 'A column definition');
  else if (definition['resource'] === 'constraint') onlyKeys(definition, CONSTRAINT_KEYS, 'A table constraint');
  else throw featureDenied('Only columns and constraints may be declared.');
}

/**
 * DEFAULT, CHECK, generated columns, index expressions and a partial index's WHERE:
 * expressions only (SQLite allows no subquery in them), every function allowed.
 */
function expressionsOnly(tokens: readonly Token[], parts: unknown[]): void {
  const walked = walkParts({ expressions: parts });
  if (walked.selectCount > 0 || selectWords(tokens) > 0) throw featureDenied('A schema change may not hold a SELECT here.');
  checkParsedFunctions(walked.functions);
}

/** A view's or CREATE TABLE AS's body: a read, authorized like a query by the caller's role. */
function body(tokens: readonly Token[], select: unknown): CheckedDdl['reads'] {
  const walked = walkParts({ selects: [select] });
  if (walked.selectCount !== selectWords(tokens)) throw featureDenied('The statement holds a SELECT the checker could not follow.');
  checkParsedFunctions(walked.functions);
  return { ...walked, paramCount: 0 };
}

/** Every REFERENCES names a prefixed table of main, as the tokens say and the tree agrees (as many as it saw). */
function referencesOf(tokens: readonly Token[], definitions: readonly Node[], owned: (at: NameAt, what: string) => NameAt): RelationRef[] {
  const references: RelationRef[] = [];
  tokens.forEach((token, i) => {
    if (!isWord(token, 'REFERENCES')) return;
    const cursor = new Cursor(tokens);
    cursor.i = i + 1;
    references.push(relation(owned(cursor.name('REFERENCES'), 'A foreign key')));
  });
  const parsed = definitions.filter((d) => d['reference_definition'] !== null && d['reference_definition'] !== undefined).length;
  if (parsed !== references.length) throw featureDenied('A foreign key does not read the same to both checkers.');
  return references;
}
