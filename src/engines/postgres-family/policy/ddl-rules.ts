import { INDEX_METHODS, describeStatement, isSystemSchema } from './nodes.js';
import { changedRelation, featureDenied, listOf, namesOf, onlyFields, unwrap, writeDenied, type Node } from './write-nodes.js';
import type { WriteWalker } from './write-walker.js';
import type { RelationRef, DdlKind, DdlObject, DdlObjectType } from '../../../engine/policy.js';

/** What a schema change is and what it acts on; write-policy adds what it reads. */
export interface DdlShape {
  readonly kind: DdlKind;
  readonly object: DdlObject;
  readonly table?: RelationRef;
  readonly newName?: string;
  readonly newSchema?: string;
  readonly column?: string;
  readonly constraint?: string;
}

type SchemaChangeRule = (node: Node, walker: WriteWalker) => DdlShape;

/**
 * The schema changes change_schema allows, each on an object named with the
 * prefix. Anything else — TRUNCATE, GRANT, roles, functions, triggers, rules,
 * policies, extensions, schemas, sequences, DO, SET, COPY, transaction control —
 * is not on this list and is refused whatever it is called.
 */
const SCHEMA_CHANGES: Readonly<Record<string, SchemaChangeRule>> = {
  CreateStmt: createTable,
  CreateTableAsStmt: createTableAs,
  ViewStmt: createView,
  IndexStmt: createIndex,
  AlterTableStmt: alterTable,
  AlterObjectSchemaStmt: setSchema,
  RenameStmt: rename,
  CommentStmt: comment,
  DropStmt: drop,
  RefreshMatViewStmt: refresh,
};

export function isSchemaChange(nodeType: string): boolean {
  return SCHEMA_CHANGES[nodeType] !== undefined;
}

export function checkSchemaChange(nodeType: string, node: Node, walker: WriteWalker): DdlShape {
  const rule = SCHEMA_CHANGES[nodeType];
  if (rule !== undefined) return rule(node, walker);
  if (nodeType === 'SelectStmt' && node['intoClause'] !== undefined) {
    throw writeDenied('SELECT ... INTO is not allowed; use CREATE TABLE ... AS SELECT.');
  }
  const hint = ['InsertStmt', 'UpdateStmt', 'DeleteStmt', 'MergeStmt'].includes(nodeType) ? ' (data changes go through execute)' : '';
  throw writeDenied(`change_schema does not allow ${describeStatement(nodeType)}${hint}.`);
}

const OBJECT_TYPES: Readonly<Record<string, DdlObjectType>> = {
  OBJECT_TABLE: 'table',
  OBJECT_VIEW: 'view',
  OBJECT_MATVIEW: 'materialized_view',
  OBJECT_INDEX: 'index',
};

function objectType(value: unknown, allowed: readonly DdlObjectType[], what: string): DdlObjectType {
  const type = typeof value === 'string' ? OBJECT_TYPES[value] : undefined;
  if (type === undefined || !allowed.includes(type)) {
    const shown = typeof value === 'string' ? value.replace('OBJECT_', '').replaceAll('_', ' ') : 'this object';
    throw writeDenied(`${what} of ${shown} is not allowed; change_schema works on tables, views, materialized views and indexes.`);
  }
  return type;
}

/** A relation this statement creates: permanent, and named with the prefix. */
function created(value: unknown, type: DdlObjectType, what: string, walker: WriteWalker): DdlObject {
  const relation = changedRelation(value, what);
  // TEMP objects live in pg_temp, outside writes.schemas, and would shadow real
  // tables for the next statement on that pooled connection; UNLOGGED ones are not needed.
  if ((value as Node)['relpersistence'] !== 'p') throw writeDenied(`${what}: TEMPORARY and UNLOGGED objects are not allowed.`);
  return { schema: relation.schema, name: walker.owned(relation.name, what), type };
}

/** An existing relation this statement changes: named with the prefix. */
function existing(value: unknown, type: DdlObjectType, what: string, walker: WriteWalker): DdlObject {
  const relation = changedRelation(value, what);
  return { schema: relation.schema, name: walker.owned(relation.name, what), type };
}

/** A dotted name as a list of strings (DROP, COMMENT): `name` or `schema.name`. */
function named(value: unknown, type: DdlObjectType, what: string, walker: WriteWalker): DdlObject {
  const parts = namesOf((value as { List?: { items?: unknown } } | undefined)?.List?.items);
  if (parts.length < 1 || parts.length > 2) throw featureDenied(`${what}: give the object as name or schema.name.`);
  const rangeVar = parts.length === 2 ? { schemaname: parts[0], relname: parts[1] } : { relname: parts[0] };
  return existing(rangeVar, type, what, walker);
}

const LIKE_INCLUDING_DEFAULTS = 1 << 3;

function createTable(node: Node, walker: WriteWalker): DdlShape {
  if (node['partbound'] !== undefined) throw writeDenied('CREATE TABLE ... PARTITION OF is not allowed: the new table would become part of another table.');
  if (node['inhRelations'] !== undefined) throw writeDenied('CREATE TABLE ... INHERITS is not allowed: the parent table would show and count the new rows.');
  onlyFields(node, new Set(['relation', 'tableElts', 'oncommit', 'if_not_exists']), 'CREATE TABLE');
  if (node['oncommit'] !== undefined && node['oncommit'] !== 'ONCOMMIT_NOOP') throw featureDenied('CREATE TABLE ... ON COMMIT is not allowed.');
  const object = created(node['relation'], 'table', 'CREATE TABLE', walker);
  for (const element of listOf(node['tableElts'])) {
    const [type, body] = unwrap(element) ?? ['nothing', {}];
    if (type === 'ColumnDef') walker.columnDef(body, 'CREATE TABLE');
    else if (type === 'Constraint') walker.constraint(element, 'CREATE TABLE');
    else if (type === 'TableLikeClause') {
      onlyFields(body, new Set(['relation', 'options']), 'CREATE TABLE ... LIKE');
      const options = typeof body['options'] === 'number' ? body['options'] : 0;
      if ((options & LIKE_INCLUDING_DEFAULTS) !== 0) {
        throw featureDenied('LIKE ... INCLUDING DEFAULTS (or ALL) is not allowed: a copied default could call a function or a sequence the AI does not own.');
      }
      walker.readWholeRelation(body['relation']);
    } else throw featureDenied(`CREATE TABLE: ${type} is not allowed.`);
  }
  return { kind: 'create_table', object };
}

function createTableAs(node: Node, walker: WriteWalker): DdlShape {
  onlyFields(node, new Set(['query', 'into', 'objtype', 'if_not_exists']), 'CREATE TABLE AS');
  const matview = node['objtype'] === 'OBJECT_MATVIEW';
  if (!matview && node['objtype'] !== 'OBJECT_TABLE') throw writeDenied('Only CREATE TABLE AS and CREATE MATERIALIZED VIEW are allowed here.');
  const what = matview ? 'CREATE MATERIALIZED VIEW' : 'CREATE TABLE AS';
  const into = (node['into'] ?? {}) as Node;
  onlyFields(into, new Set(['rel', 'colNames', 'onCommit', 'skipData']), what);
  if (into['onCommit'] !== undefined && into['onCommit'] !== 'ONCOMMIT_NOOP') throw featureDenied(`${what} ... ON COMMIT is not allowed.`);
  const object = created(into['rel'], matview ? 'materialized_view' : 'table', what, walker);
  walker.query(node['query'], `The query of ${what}`);
  return { kind: matview ? 'create_matview' : 'create_table_as', object };
}

function createView(node: Node, walker: WriteWalker): DdlShape {
  onlyFields(node, new Set(['view', 'aliases', 'query', 'replace', 'withCheckOption']), 'CREATE VIEW');
  const object = created(node['view'], 'view', 'CREATE VIEW', walker);
  walker.query(node['query'], 'The query of CREATE VIEW');
  return { kind: 'create_view', object };
}

function createIndex(node: Node, walker: WriteWalker): DdlShape {
  if (node['concurrent'] === true) {
    throw writeDenied('CREATE INDEX CONCURRENTLY cannot run inside a transaction, so it could not be rolled back; leave out CONCURRENTLY.');
  }
  onlyFields(
    node,
    new Set(['idxname', 'relation', 'accessMethod', 'indexParams', 'indexIncludingParams', 'whereClause', 'unique', 'nulls_not_distinct', 'if_not_exists']),
    'CREATE INDEX',
  );
  if (typeof node['idxname'] !== 'string') {
    throw writeDenied(`CREATE INDEX needs a name starting with ${walker.prefix}; an unnamed index would get a name the database makes up.`);
  }
  const name = walker.owned(node['idxname'], 'The index');
  const table = existing(node['relation'], 'table', 'The table of the index', walker);
  const method = typeof node['accessMethod'] === 'string' ? node['accessMethod'] : 'btree';
  if (!INDEX_METHODS.has(method)) throw featureDenied(`The index method ${method} is not allowed; use one built into PostgreSQL.`);
  for (const elem of [...listOf(node['indexParams']), ...listOf(node['indexIncludingParams'])]) walker.indexElem(elem, 'CREATE INDEX');
  walker.expression(node['whereClause']);
  // An index always lives in the schema of its table.
  return { kind: 'create_index', object: { schema: table.schema, name, type: 'index' }, table: { schema: table.schema, name: table.name } };
}

/** ALTER TABLE commands allowed on an owned table, view or materialized view. */
const ALTER_COMMANDS: ReadonlySet<string> = new Set([
  'AT_AddColumn', 'AT_DropColumn', 'AT_AlterColumnType', 'AT_ColumnDefault', 'AT_SetNotNull', 'AT_DropNotNull',
  'AT_AddConstraint', 'AT_DropConstraint', 'AT_ValidateConstraint',
]);

function alterTable(node: Node, walker: WriteWalker): DdlShape {
  onlyFields(node, new Set(['relation', 'cmds', 'objtype', 'missing_ok']), 'ALTER');
  const type = objectType(node['objtype'], ['table', 'view', 'materialized_view'], 'ALTER');
  const object = existing(node['relation'], type, 'ALTER', walker);
  for (const item of listOf(node['cmds'])) {
    const [nodeType, cmd] = unwrap(item) ?? ['nothing', {}];
    const subtype = typeof cmd['subtype'] === 'string' ? cmd['subtype'] : '?';
    if (nodeType !== 'AlterTableCmd' || !ALTER_COMMANDS.has(subtype)) {
      throw writeDenied(`ALTER ... ${alterCommandName(subtype)} is not allowed; change_schema may add, drop and alter columns and constraints.`);
    }
    if (cmd['behavior'] === 'DROP_CASCADE') throw writeDenied('CASCADE is not allowed: it would drop dependent objects, whatever their name.');
    onlyFields(cmd, new Set(['subtype', 'name', 'def', 'behavior', 'missing_ok']), 'ALTER');
    const def = cmd['def'];
    if (subtype === 'AT_AddColumn' || subtype === 'AT_AlterColumnType') {
      const [defType, column] = unwrap(def) ?? ['nothing', {}];
      if (defType !== 'ColumnDef') throw featureDenied(`ALTER: ${defType} is not allowed here.`);
      walker.columnDef(column, 'ALTER');
    } else if (subtype === 'AT_AddConstraint') walker.constraint(def, 'ALTER');
    else if (subtype === 'AT_ColumnDefault') walker.expression(def);
    else if (def !== undefined) throw featureDenied(`ALTER ... ${alterCommandName(subtype)}: unexpected definition.`);
  }
  return { kind: 'alter', object };
}

/** `AT_ChangeOwner` → `OWNER TO`; others by their words (`AT_SetRelOptions` → `SET REL OPTIONS`). */
function alterCommandName(subtype: string): string {
  const known: Record<string, string> = {
    AT_ChangeOwner: 'OWNER TO',
    AT_SetTableSpace: 'SET TABLESPACE',
    AT_AttachPartition: 'ATTACH PARTITION',
    AT_DetachPartition: 'DETACH PARTITION',
    AT_EnableRowSecurity: 'ENABLE ROW LEVEL SECURITY',
    AT_DisableRowSecurity: 'DISABLE ROW LEVEL SECURITY',
    AT_ForceRowSecurity: 'FORCE ROW LEVEL SECURITY',
    AT_NoForceRowSecurity: 'NO FORCE ROW LEVEL SECURITY',
  };
  if (known[subtype] !== undefined) return known[subtype];
  if (/^AT_(Enable|Disable)(Always|Replica)?Trig/.test(subtype)) return 'ENABLE/DISABLE TRIGGER';
  if (/^AT_(Enable|Disable)(Always|Replica)?Rule/.test(subtype)) return 'ENABLE/DISABLE RULE';
  return subtype.replace(/^AT_/, '').replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
}

function setSchema(node: Node, walker: WriteWalker): DdlShape {
  const type = objectType(node['objectType'], ['table', 'view', 'materialized_view'], 'ALTER ... SET SCHEMA');
  onlyFields(node, new Set(['objectType', 'relation', 'newschema', 'missing_ok']), 'ALTER ... SET SCHEMA');
  const object = existing(node['relation'], type, 'ALTER ... SET SCHEMA', walker);
  const newSchema = typeof node['newschema'] === 'string' ? node['newschema'] : '';
  if (newSchema === '' || isSystemSchema(newSchema)) throw writeDenied(`ALTER ... SET SCHEMA ${newSchema}: objects never move into a system schema.`);
  return { kind: 'alter', object, newSchema };
}

function rename(node: Node, walker: WriteWalker): DdlShape {
  onlyFields(node, new Set(['renameType', 'relationType', 'relation', 'subname', 'newname', 'behavior', 'missing_ok']), 'RENAME');
  const newName = typeof node['newname'] === 'string' ? node['newname'] : '';
  const subname = typeof node['subname'] === 'string' ? node['subname'] : '';
  switch (node['renameType']) {
    case 'OBJECT_COLUMN': {
      const type = objectType(node['relationType'], ['table', 'view', 'materialized_view'], 'RENAME COLUMN');
      return { kind: 'rename', object: existing(node['relation'], type, 'RENAME COLUMN', walker), column: subname, newName };
    }
    case 'OBJECT_TABCONSTRAINT':
      return { kind: 'rename', object: existing(node['relation'], 'table', 'RENAME CONSTRAINT', walker), constraint: subname, newName };
    default: {
      const type = objectType(node['renameType'], ['table', 'view', 'materialized_view', 'index'], 'RENAME');
      const object = existing(node['relation'], type, 'RENAME', walker);
      return { kind: 'rename', object, newName: walker.owned(newName, 'The new name') };
    }
  }
}

function comment(node: Node, walker: WriteWalker): DdlShape {
  onlyFields(node, new Set(['objtype', 'object', 'comment']), 'COMMENT');
  if (node['objtype'] !== 'OBJECT_COLUMN') {
    const type = objectType(node['objtype'], ['table', 'view', 'materialized_view', 'index'], 'COMMENT ON');
    return { kind: 'comment', object: named(node['object'], type, 'COMMENT ON', walker) };
  }
  const parts = namesOf((node['object'] as { List?: { items?: unknown } } | undefined)?.List?.items);
  const column = parts.pop() ?? '';
  const object = named({ List: { items: parts.map((sval) => ({ String: { sval } })) } }, 'table', 'COMMENT ON COLUMN', walker);
  return { kind: 'comment', object, column };
}

function drop(node: Node, walker: WriteWalker): DdlShape {
  if (node['concurrent'] === true) throw writeDenied('DROP INDEX CONCURRENTLY cannot run inside a transaction, so it could not be rolled back; leave out CONCURRENTLY.');
  if (node['behavior'] === 'DROP_CASCADE') throw writeDenied('DROP ... CASCADE is not allowed: it would drop dependent objects, whatever their name.');
  onlyFields(node, new Set(['objects', 'removeType', 'behavior', 'missing_ok']), 'DROP');
  const type = objectType(node['removeType'], ['table', 'view', 'materialized_view', 'index'], 'DROP');
  const objects = listOf(node['objects']);
  if (objects.length !== 1) throw writeDenied(`DROP takes exactly one object per call; this one names ${objects.length}.`);
  return { kind: 'drop', object: named(objects[0], type, 'DROP', walker) };
}

function refresh(node: Node, walker: WriteWalker): DdlShape {
  onlyFields(node, new Set(['relation', 'concurrent', 'skipData']), 'REFRESH MATERIALIZED VIEW');
  return { kind: 'refresh', object: existing(node['relation'], 'materialized_view', 'REFRESH MATERIALIZED VIEW', walker) };
}
