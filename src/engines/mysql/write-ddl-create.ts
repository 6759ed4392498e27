import type { RelationRef, DdlKind, DdlObject } from '../../engine/policy.js';
import { isPunct, isWord, nameAt, skipWords, type Token } from './tokens.js';
import type { DdlParts } from './write-ddl-parts.js';
import { featureDenied, listOf, lowerOf, onlyKeys, owned, relationOf, stringOf, writeDenied, type Node, type ShowTarget } from './write-rules.js';

/** Table options a CREATE or ALTER may set: none of them reaches the file system, another engine or another server. */
const TABLE_OPTIONS = new Set(['engine', 'default charset', 'charset', 'character set', 'default character set', 'collate', 'default collate', 'comment', 'auto_increment', 'row_format']);
/** InnoDB only: a dry run of execute must be able to roll a change back, and other engines reach files or servers. */
const ENGINES = new Set(['INNODB']);
const VIEW_ALGORITHMS = new Set(['UNDEFINED', 'MERGE', 'TEMPTABLE']);
const VIEW_CHECK_OPTIONS = new Set(['with check option', 'with cascaded check option', 'with local check option']);

export interface Shape {
  readonly kind: DdlKind;
  readonly object: DdlObject;
  readonly table?: RelationRef;
  readonly newName?: string;
  readonly show?: ShowTarget;
}

/** The tokens must name the same object as the tree, at `at`; returns where they go on. */
export function sameName(tokens: readonly Token[], at: number, relation: RelationRef): number {
  const name = nameAt(tokens, at);
  if (name === undefined || name.schema !== relation.schema || name.name !== relation.name) {
    throw featureDenied('The statement could not be checked: the object it names reads differently to the checker and to the server.');
  }
  return name.next;
}

function tableOptions(value: unknown, what: string): void {
  for (const option of listOf(value)) {
    const key = lowerOf(option['keyword']);
    if (!TABLE_OPTIONS.has(key)) throw featureDenied(`${what}: the table option ${key.toUpperCase()} is not allowed.`);
    if (key === 'engine') engine(option['value'], what);
  }
}

export function engine(value: unknown, what: string): void {
  const name = lowerOf(value).toUpperCase();
  if (!ENGINES.has(name)) throw featureDenied(`${what}: ENGINE=${name} is not allowed; tables the AI creates use InnoDB (transactional, no files or servers of its own).`);
}

export function createTable(root: Node, tokens: readonly Token[], parts: DdlParts): Shape {
  onlyKeys(root, new Set(['type', 'keyword', 'table', 'if_not_exists', 'as', 'query_expr', 'create_definitions', 'table_options', 'like']), 'CREATE TABLE');
  const tables = listOf(root['table']);
  if (tables.length !== 1) throw featureDenied('CREATE TABLE creates one table.');
  const relation = relationOf(tables[0], 'CREATE TABLE');
  const name = owned(relation.name, parts.prefix, 'CREATE TABLE');
  parts.note(name);
  const ifNotExists = root['if_not_exists'] !== null && root['if_not_exists'] !== undefined;
  sameName(tokens, skipWords(tokens, 2, 'IF', 'NOT', 'EXISTS'), relation);
  tableOptions(root['table_options'], 'CREATE TABLE');
  let kind: DdlKind = 'create_table';
  const like = root['like'] as Node | null | undefined;
  if (like) {
    onlyKeys(like, new Set(['type', 'table']), 'CREATE TABLE ... LIKE');
    const [source, ...more] = listOf(like['table']);
    if (source === undefined || more.length > 0) throw featureDenied('CREATE TABLE ... LIKE copies one table.');
    const copied = relationOf(source, 'CREATE TABLE ... LIKE');
    parts.walker.readWholeRelation(copied.schema, copied.name);
    // LIKE copies the engine and partitioning too: only a plain InnoDB table may be the model.
    parts.expectations.push({ kind: 'relation', schema: copied.schema, name: copied.name, state: 'table', transactional: true });
  }
  for (const definition of listOf(root['create_definitions'])) {
    const resource = definition['resource'];
    if (resource === 'column') parts.column(definition, 'CREATE TABLE');
    else if (resource === 'index') parts.index(definition, 'CREATE TABLE');
    else if (resource === 'constraint') parts.constraint(definition, 'CREATE TABLE');
    else throw featureDenied(`CREATE TABLE: ${String(resource)} definitions are not allowed.`);
  }
  const query = root['query_expr'] as Node | null | undefined;
  if (query) {
    // CREATE TABLE IF NOT EXISTS ... SELECT may insert into an existing table on some servers.
    if (ifNotExists) throw featureDenied('CREATE TABLE IF NOT EXISTS ... SELECT is not allowed; leave out IF NOT EXISTS.');
    if (query['type'] !== 'select') throw writeDenied('The query of CREATE TABLE ... AS must be a SELECT.');
    parts.walker.visitStatement(query);
    kind = 'create_table_as';
  } else if (root['as'] !== null && root['as'] !== undefined) throw featureDenied('CREATE TABLE ... AS needs a SELECT.');
  if (!like && !query && listOf(root['create_definitions']).length === 0) throw featureDenied('CREATE TABLE needs columns, LIKE or AS SELECT.');
  for (const reference of parts.references) {
    const itself = reference.name === name && (reference.schema ?? relation.schema) === relation.schema;
    if (!itself) parts.expectations.push({ kind: 'relation', schema: reference.schema, name: reference.name, state: 'table' });
  }
  if (!ifNotExists) parts.expectations.push({ kind: 'relation', schema: relation.schema, name, state: 'absent' });
  const object = { schema: relation.schema, name, type: 'table' as const };
  return { kind, object, show: { schema: relation.schema, name, type: 'table' } };
}

export function createView(root: Node, tokens: readonly Token[], parts: DdlParts): Shape {
  onlyKeys(root, new Set(['type', 'keyword', 'replace', 'algorithm', 'sql_security', 'columns', 'select', 'view', 'with']), 'CREATE VIEW');
  const relation = relationOf(root['view'], 'CREATE VIEW', 'view');
  const name = owned(relation.name, parts.prefix, 'CREATE VIEW');
  parts.note(name);
  const algorithm = stringOf(root['algorithm'])?.toUpperCase();
  if (algorithm !== undefined && !VIEW_ALGORITHMS.has(algorithm)) throw featureDenied(`CREATE VIEW: ALGORITHM=${algorithm} is not allowed.`);
  const security = stringOf(root['sql_security'])?.toUpperCase();
  if (security !== undefined && security !== 'INVOKER') throw featureDenied('CREATE VIEW: only SQL SECURITY INVOKER may be written; SQL SECURITY DEFINER is the default anyway.');
  const check = stringOf(root['with'])?.toLowerCase();
  if (check !== undefined && !VIEW_CHECK_OPTIONS.has(check)) throw featureDenied('CREATE VIEW: this WITH option is not allowed.');
  for (const column of listOf(root['columns'])) {
    if (typeof column !== 'string') throw featureDenied('CREATE VIEW: the column list could not be checked.');
    parts.note(column);
  }
  let i = skipWords(tokens, 1, 'OR', 'REPLACE');
  if (isWord(tokens[i], 'ALGORITHM') && isPunct(tokens[i + 1], '=')) i += 3;
  i = skipWords(tokens, i, 'SQL', 'SECURITY', 'INVOKER');
  if (!isWord(tokens[i], 'VIEW')) throw featureDenied('CREATE VIEW: write CREATE [OR REPLACE] [ALGORITHM = ...] [SQL SECURITY INVOKER] VIEW name AS SELECT ...');
  sameName(tokens, i + 1, relation);
  const select = root['select'] as Node | null | undefined;
  if (!select || select['type'] !== 'select') throw writeDenied('The query of CREATE VIEW must be a SELECT.');
  parts.walker.visitStatement(select);
  const replace = root['replace'] !== null && root['replace'] !== undefined;
  parts.expectations.push({ kind: 'relation', schema: relation.schema, name, state: replace ? 'view_or_absent' : 'absent' });
  // OR REPLACE may drop or rename the columns of a view that a view, trigger or routine uses.
  if (replace) parts.expectations.push({ kind: 'unreferenced', schema: relation.schema, name });
  return { kind: 'create_view', object: { schema: relation.schema, name, type: 'view' }, show: { schema: relation.schema, name, type: 'view' } };
}

export function createIndex(root: Node, tokens: readonly Token[], parts: DdlParts): Shape {
  onlyKeys(root, new Set(['type', 'index_type', 'keyword', 'index', 'on_kw', 'table', 'index_columns', 'index_using', 'algorithm_option', 'lock_option']), 'CREATE INDEX');
  const indexType = stringOf(root['index_type'])?.toLowerCase();
  if (indexType !== undefined && !['unique', 'fulltext', 'spatial'].includes(indexType)) throw featureDenied(`CREATE ${indexType.toUpperCase()} INDEX is not allowed.`);
  const using = root['index_using'] as Node | null | undefined;
  if (using && !['btree', 'hash'].includes(lowerOf(using['type']))) throw featureDenied('CREATE INDEX: this index method is not allowed.');
  alterOptions([root['algorithm_option'], root['lock_option']], 'CREATE INDEX');
  const index = stringOf(root['index']);
  if (index === undefined) throw writeDenied(`CREATE INDEX needs a name starting with ${parts.prefix}.`);
  owned(index, parts.prefix, 'The index');
  const table = relationOf(root['table'], 'The table of the index');
  owned(table.name, parts.prefix, 'The table of the index');
  parts.note(table.name);
  let i = skipWords(tokens, 1, indexType?.toUpperCase() ?? 'INDEX');
  if (indexType !== undefined && !isWord(tokens[i], 'INDEX')) throw featureDenied('CREATE INDEX: write CREATE [UNIQUE] INDEX name ON table (...).');
  if (indexType !== undefined) i++;
  const written = nameAt(tokens, i);
  if (written === undefined || written.schema !== undefined || written.name !== index) throw featureDenied('The statement could not be checked: the index name reads differently to the checker and to the server.');
  i = written.next;
  if (isWord(tokens[i], 'USING')) i += 2;
  if (!isWord(tokens[i], 'ON')) throw featureDenied('CREATE INDEX: write CREATE [UNIQUE] INDEX name ON table (...).');
  sameName(tokens, i + 1, table);
  const columns = parts.keyParts(root['index_columns'], 'CREATE INDEX');
  parts.expectations.push(
    { kind: 'relation', schema: table.schema, name: table.name, state: 'table' },
    { kind: 'index', schema: table.schema, table: table.name, name: index, exists: false },
    ...columns.map((column) => ({ kind: 'column' as const, schema: table.schema, table: table.name, name: column, exists: true })),
  );
  // An index lives with its table.
  return {
    kind: 'create_index',
    object: { schema: table.schema, name: index, type: 'index' },
    table: { schema: table.schema, name: table.name },
    show: { schema: table.schema, name: table.name, type: 'table' },
  };
}

/** ALGORITHM= and LOCK= only change how the server builds the change. */
function alterOptions(options: unknown[], what: string): void {
  for (const option of options) {
    if (option === null || option === undefined) continue;
    const node = option as Node;
    if (node['resource'] !== 'algorithm' && node['resource'] !== 'lock') throw featureDenied(`${what}: this option is not allowed.`);
  }
}
