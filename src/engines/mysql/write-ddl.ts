import { BastionError } from '../../errors/codes.js';
import type { WritePolicyOptions } from '../../engine/policy.js';
import type { ScannedSql } from './lexer.js';
import { isWord, nameAt, skipWords, type Token } from './tokens.js';
import { createIndex, createTable, createView, engine, sameName, type Shape } from './write-ddl-create.js';
import { DdlParts, columnName } from './write-ddl-parts.js';
import {
  checkCalls, featureDenied, isSystemDatabase, listOf, lowerOf, onlyKeys, owned, refuseWords, relationOf, stringOf, writeDenied,
  type MysqlWritePlan, type Node,
} from './write-rules.js';

/** Words that never belong in change_schema's statement, wherever the parser puts them (or drops them). */
const DENIED_WORDS = new Map([
  ['TEMPORARY', 'TEMPORARY tables are not allowed: they live outside writes.schemas and would shadow real tables on a pooled connection.'],
  ['DEFINER', 'DEFINER is not allowed: a view runs with its creator\u2019s rights by default, and naming another account would borrow that account\u2019s.'],
  ['DIRECTORY', 'DATA DIRECTORY and INDEX DIRECTORY put table files elsewhere on the server; they are not allowed.'],
  ['CONNECTION', 'CONNECTION points a table at another server; it is not allowed.'],
  ['TABLESPACE', 'Tablespace options are not allowed.'],
  ['PARTITION', 'Partitioning is not allowed.'],
  ['PARTITIONS', 'Partitioning is not allowed.'],
  ['SUBPARTITION', 'Partitioning is not allowed.'],
  ['ENCRYPTION', 'Encryption options are not allowed.'],
  ['ENCRYPTED', 'Encryption options are not allowed.'],
  ['INSERT_METHOD', 'MERGE tables are not allowed.'],
  ['OUTFILE', 'INTO OUTFILE writes a file on the server; it is not allowed.'],
  ['DUMPFILE', 'INTO DUMPFILE writes a file on the server; it is not allowed.'],
  ['INTO', 'SELECT ... INTO writes files or variables; it is not allowed.'],
  ['PROCEDURE', 'Procedures are not allowed.'],
  ['IGNORE', 'IGNORE is not allowed.'],
]);

/** Keywords written before `(` in a schema change besides function, table, column and type names. */
const DDL_PAREN_WORDS: ReadonlySet<string> = new Set(['KEY', 'INDEX', 'UNIQUE', 'CHECK', 'DEFAULT', 'FULLTEXT', 'SPATIAL', 'ADD', 'MODIFY', 'CHANGE']);

/**
 * change_schema on MySQL/MariaDB: exactly one CREATE TABLE (columns, LIKE, or AS
 * SELECT), CREATE VIEW, CREATE INDEX, ALTER TABLE (columns, keys, constraints,
 * RENAME TO), DROP TABLE, DROP VIEW or DROP INDEX ... ON, on objects whose name
 * carries the prefix. The tokens must show the statement in that shape and name
 * the same objects as the parser's tree; anything either view cannot place is refused.
 */
export function inspectDdl(scanned: ScannedSql, tokens: readonly Token[], parse: () => Node, options: WritePolicyOptions): MysqlWritePlan {
  statementKind(scanned);
  if (scanned.variables) throw featureDenied('User and system variables (@x, @@x) and account names are not allowed.');
  if (scanned.placeholders > 0) throw featureDenied('change_schema takes no parameters; write the values into the statement.');
  const parts = new DdlParts(options.prefix);
  const shape = shapeOf(parse(), tokens, parts);
  const reads = parts.walker.reads(0);
  for (const relation of reads.relations) {
    if (relation.schema !== undefined && isSystemDatabase(relation.schema)) {
      throw new BastionError('DENIED_BY_POLICY', `A schema change may not read ${relation.schema}.${relation.name}: system databases are never read by a write.`);
    }
  }
  for (const name of parts.walker.cteNames) parts.note(name);
  checkCalls(scanned, DDL_PAREN_WORDS, parts.names);
  const { show, ...ddl } = shape;
  return {
    checked: { sql: scanned.text, tool: 'change_schema', ...ddl, reads, references: parts.references, paramCount: 0, sampleSql: undefined, sampleNeedsPg17: false },
    expectations: parts.expectations,
    show,
  };
}

/** What may follow CREATE, ALTER and DROP; anything else (USER, TRIGGER, DATABASE, EVENT, ...) is refused by its words. */
const SECOND_WORDS: Readonly<Record<string, ReadonlySet<string>>> = {
  CREATE: new Set(['TABLE', 'VIEW', 'INDEX', 'UNIQUE', 'FULLTEXT', 'SPATIAL', 'OR', 'ALGORITHM', 'SQL']),
  ALTER: new Set(['TABLE']),
  DROP: new Set(['TABLE', 'VIEW', 'INDEX']),
};

/** CREATE, ALTER or DROP of a table, view or index; a denied word gets its own message before the second word is judged. */
function statementKind(scanned: ScannedSql): void {
  const [first, second] = scanned.words;
  const allowed = SECOND_WORDS[first ?? ''];
  if (allowed !== undefined) {
    refuseWords(scanned, DENIED_WORDS);
    if (allowed.has(second ?? '')) return;
    throw writeDenied(`change_schema does not allow ${first ?? ''} ${second ?? ''}: only CREATE, ALTER and DROP of tables, views and indexes the AI owns.`);
  }
  if (first === 'INSERT' || first === 'UPDATE' || first === 'DELETE' || first === 'REPLACE') {
    throw writeDenied(`change_schema does not allow ${first} (data changes go through execute).`);
  }
  if (first === 'RENAME') throw writeDenied('RENAME TABLE is not allowed; use ALTER TABLE ai_x RENAME TO ai_y.');
  throw writeDenied(`change_schema does not allow ${first ?? 'this statement'}: only CREATE, ALTER and DROP of tables, views and indexes the AI owns.`);
}

function shapeOf(root: Node, tokens: readonly Token[], parts: DdlParts): Shape {
  const type = root['type'];
  const keyword = lowerOf(root['keyword']);
  const head = isWord(tokens[0], 'CREATE') ? 'create' : isWord(tokens[0], 'ALTER') ? 'alter' : 'drop';
  if (type !== head) throw new BastionError('SQL_PARSE_ERROR', 'The statement does not parse as the schema change it starts as (or uses syntax the checker does not know).');
  if (type === 'create' && keyword === 'table') return createTable(root, tokens, parts);
  if (type === 'create' && keyword === 'view') return createView(root, tokens, parts);
  if (type === 'create' && keyword === 'index') return createIndex(root, tokens, parts);
  if (type === 'alter' && isWord(tokens[1], 'TABLE')) return alterTable(root, tokens, parts);
  if (type === 'drop' && (keyword === 'table' || keyword === 'view')) return dropRelation(root, tokens, parts, keyword);
  if (type === 'drop' && keyword === 'index') return dropIndex(root, tokens, parts);
  const what = `${String(type).toUpperCase()} ${keyword.toUpperCase()}`.trim();
  throw writeDenied(`change_schema does not allow ${what}: only CREATE, ALTER and DROP of tables, views and indexes the AI owns.`);
}

function alterTable(root: Node, tokens: readonly Token[], parts: DdlParts): Shape {
  onlyKeys(root, new Set(['type', 'table', 'expr']), 'ALTER TABLE');
  const tables = listOf(root['table']);
  if (tables.length !== 1) throw featureDenied('ALTER TABLE changes one table.');
  const table = relationOf(tables[0], 'ALTER TABLE');
  const name = owned(table.name, parts.prefix, 'ALTER TABLE');
  parts.note(name);
  sameName(tokens, 2, table);
  /** A column that must exist (or be free); `leaves`: it goes away or changes its name. */
  const column = (field: unknown, exists: boolean, leaves = false): void => {
    const columnNameOf = columnName(field);
    if (columnNameOf === undefined) throw featureDenied('ALTER TABLE: a column name could not be checked.');
    parts.note(columnNameOf);
    parts.expectations.push({ kind: 'column', schema: table.schema, table: name, name: columnNameOf, exists });
    // A column that goes away or changes its name must not be one a view, trigger or routine uses.
    if (leaves) parts.expectations.push({ kind: 'unreferenced', schema: table.schema, name, part: columnNameOf });
  };
  let newName: string | undefined;
  for (const item of listOf(root['expr'])) {
    const action = stringOf(item['action']);
    const resource = stringOf(item['resource']);
    if (resource === 'column' && (action === 'add' || action === 'modify' || action === 'change')) {
      const added = parts.column(item, 'ALTER TABLE');
      const old = action === 'change' ? columnName(item['old_column']) : undefined;
      if (action === 'change') column(item['old_column'], true, old?.toLowerCase() !== added.toLowerCase());
      // CHANGE b b ... keeps the name; CHANGE b c ... needs c to be free, like ADD.
      if (action !== 'change' || old?.toLowerCase() !== added.toLowerCase()) {
        parts.expectations.push({ kind: 'column', schema: table.schema, table: name, name: added, exists: action === 'modify' });
      }
    } else if (resource === 'column' && action === 'drop') {
      onlyKeys(item, new Set(['action', 'column', 'keyword', 'resource', 'type']), 'ALTER TABLE ... DROP COLUMN');
      column(item['column'], true, true);
    } else if (resource === 'column' && action === 'rename') {
      onlyKeys(item, new Set(['action', 'type', 'resource', 'keyword', 'old_column', 'prefix', 'column']), 'ALTER TABLE ... RENAME COLUMN');
      column(item['old_column'], true, true);
      column(item['column'], false);
    } else if (resource === 'index' && action === 'add') {
      const index = parts.index(item, 'ALTER TABLE ... ADD INDEX');
      if (index !== undefined) parts.expectations.push({ kind: 'index', schema: table.schema, table: name, name: index, exists: false });
    } else if ((resource === 'index' || resource === 'key' || resource === 'constraint') && action === 'drop') {
      onlyKeys(item, new Set(['action', 'index', 'key', 'constraint', 'keyword', 'resource', 'type']), 'ALTER TABLE ... DROP');
      const index = stringOf(item['index']);
      if (index !== undefined) {
        parts.expectations.push(
          { kind: 'index', schema: table.schema, table: name, name: index, exists: true },
          { kind: 'unreferenced', schema: table.schema, name, part: index },
        );
      }
    } else if (resource === 'constraint' && action === 'add') {
      onlyKeys(item, new Set(['action', 'create_definitions', 'resource', 'type']), 'ALTER TABLE ... ADD CONSTRAINT');
      parts.constraint((item['create_definitions'] ?? {}) as Node, 'ALTER TABLE ... ADD');
    } else if (resource === 'table' && action === 'rename') {
      onlyKeys(item, new Set(['action', 'type', 'resource', 'keyword', 'table']), 'ALTER TABLE ... RENAME');
      if (newName !== undefined) throw featureDenied('ALTER TABLE renames the table once.');
      newName = owned(stringOf(item['table']) ?? '', parts.prefix, 'The new name');
      parts.expectations.push(
        { kind: 'relation', schema: table.schema, name: newName, state: 'absent' },
        { kind: 'unreferenced', schema: table.schema, name },
      );
    } else if (resource === 'algorithm' || resource === 'lock' || resource === 'comment') {
      // How the server builds the change, or the table's comment.
    } else if (resource === 'engine') {
      engine(item['engine'], 'ALTER TABLE');
    } else {
      throw writeDenied(`ALTER TABLE ... ${[action, resource].filter(Boolean).join(' ').toUpperCase()} is not allowed; change_schema may add, drop, modify and rename columns, keys and constraints, and rename the table.`);
    }
  }
  renamesInTokens(tokens, newName);
  parts.expectations.unshift({ kind: 'relation', schema: table.schema, name, state: 'table' });
  for (const reference of parts.references) parts.expectations.push({ kind: 'relation', schema: reference.schema, name: reference.name, state: 'table' });
  const object = { schema: table.schema, name, type: 'table' as const };
  const show = { schema: table.schema, name: newName ?? name, type: 'table' as const };
  return newName === undefined ? { kind: 'alter', object, show } : { kind: 'rename', object, newName, show };
}

/**
 * Every table RENAME the tokens show must be the one the tree shows: RENAME [TO|AS]
 * one unqualified name. RENAME COLUMN / INDEX / KEY rename parts of the table.
 */
function renamesInTokens(tokens: readonly Token[], newName: string | undefined): void {
  const seen: string[] = [];
  tokens.forEach((token, i) => {
    if (!isWord(token, 'RENAME') || token.depth !== 0) return;
    const next = tokens[i + 1];
    if (isWord(next, 'COLUMN') || isWord(next, 'INDEX') || isWord(next, 'KEY')) return;
    const at = isWord(next, 'TO') || isWord(next, 'AS') ? i + 2 : i + 1;
    const name = nameAt(tokens, at);
    if (name === undefined || name.schema !== undefined) throw featureDenied('ALTER TABLE ... RENAME: the new name must be one unqualified name; tables never move to another database.');
    seen.push(name.name);
  });
  if (seen.length !== (newName === undefined ? 0 : 1) || (newName !== undefined && seen[0] !== newName)) {
    throw featureDenied('The statement could not be checked: its RENAME reads differently to the checker and to the server.');
  }
}

function dropRelation(root: Node, tokens: readonly Token[], parts: DdlParts, keyword: 'table' | 'view'): Shape {
  onlyKeys(root, new Set(['type', 'keyword', 'prefix', 'name']), `DROP ${keyword.toUpperCase()}`);
  const names = listOf(root['name']);
  if (names.length !== 1) throw writeDenied(`DROP takes exactly one object per call; this one names ${names.length}.`);
  const relation = relationOf(names[0], `DROP ${keyword.toUpperCase()}`);
  const name = owned(relation.name, parts.prefix, `DROP ${keyword.toUpperCase()}`);
  const ifExists = root['prefix'] !== null && root['prefix'] !== undefined;
  const end = sameName(tokens, skipWords(tokens, 2, 'IF', 'EXISTS'), relation);
  // Nothing may follow the one name: no list, no CASCADE or RESTRICT.
  if (tokens.length !== end) throw writeDenied('DROP takes exactly one object and nothing after it (no list, CASCADE or RESTRICT).');
  if (!ifExists) parts.expectations.push({ kind: 'relation', schema: relation.schema, name, state: keyword });
  parts.expectations.push({ kind: 'unreferenced', schema: relation.schema, name, ownTriggersGo: keyword === 'table' });
  return { kind: 'drop', object: { schema: relation.schema, name, type: keyword } };
}

function dropIndex(root: Node, tokens: readonly Token[], parts: DdlParts): Shape {
  onlyKeys(root, new Set(['type', 'keyword', 'name', 'table']), 'DROP INDEX');
  const index = columnName(root['name']);
  if (index === undefined) throw featureDenied('DROP INDEX: the index name could not be checked.');
  owned(index, parts.prefix, 'DROP INDEX');
  const table = relationOf(root['table'], 'DROP INDEX ... ON');
  owned(table.name, parts.prefix, 'The table of the index');
  const written = nameAt(tokens, 2);
  if (written === undefined || written.schema !== undefined || written.name !== index || !isWord(tokens[written.next], 'ON')) {
    throw featureDenied('The statement could not be checked: write DROP INDEX name ON table.');
  }
  if (sameName(tokens, written.next + 1, table) !== tokens.length) throw writeDenied('DROP INDEX takes one index and nothing after its table.');
  parts.expectations.push(
    { kind: 'relation', schema: table.schema, name: table.name, state: 'table' },
    { kind: 'index', schema: table.schema, table: table.name, name: index, exists: true },
    { kind: 'unreferenced', schema: table.schema, name: table.name, part: index },
  );
  return { kind: 'drop', object: { schema: table.schema, name: index, type: 'index' }, table: { schema: table.schema, name: table.name } };
}
