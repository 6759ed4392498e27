/**
 * Parse-tree node types a read-only statement may contain. Anything else —
 * a data-modifying statement in a CTE, a locking clause, SELECT INTO, a utility
 * statement — is refused because it is not on this list (deny by default).
 * Node types appear in libpg-query's JSON as keys starting with an upper-case letter.
 */
export const READ_NODE_TYPES: ReadonlySet<string> = new Set([
  'SelectStmt', 'ResTarget', 'A_Const', 'ColumnRef', 'A_Star', 'String', 'Integer', 'Float', 'Boolean',
  'BitString', 'List', 'RangeVar', 'Alias', 'JoinExpr', 'RangeSubselect', 'RangeFunction', 'RangeTableSample',
  'RangeTableFunc', 'RangeTableFuncCol', 'FuncCall', 'A_Expr', 'BoolExpr', 'NullTest', 'BooleanTest', 'SubLink',
  'CaseExpr', 'CaseWhen', 'CoalesceExpr', 'MinMaxExpr', 'TypeCast', 'TypeName', 'SortBy', 'WindowDef',
  'WithClause', 'CommonTableExpr', 'CTESearchClause', 'CTECycleClause', 'ParamRef', 'A_Indirection', 'A_Indices',
  'A_ArrayExpr', 'RowExpr', 'CollateClause', 'SQLValueFunction', 'GroupingSet', 'GroupingFunc', 'XmlExpr',
  'XmlSerialize', 'ColumnDef', 'JsonValueExpr', 'JsonFormat', 'JsonOutput', 'JsonReturning', 'JsonKeyValue',
  'JsonObjectConstructor', 'JsonArrayConstructor', 'JsonArrayQueryConstructor', 'JsonAggConstructor',
  'JsonObjectAgg', 'JsonArrayAgg', 'JsonFuncExpr', 'JsonIsPredicate', 'JsonParseExpr', 'JsonScalarExpr',
  'JsonSerializeExpr', 'JsonTable', 'JsonTableColumn', 'JsonTablePathSpec', 'JsonArgument', 'JsonBehavior',
  'JsonTablePath',
]);

/**
 * Node types the expression parts of a write may contain on top of READ_NODE_TYPES:
 * `SET a = DEFAULT` / `VALUES (DEFAULT)` and `SET (a, b) = (...)`. The grammar
 * produces them nowhere else.
 */
export const WRITE_EXPRESSION_NODE_TYPES: ReadonlySet<string> = new Set(['SetToDefault', 'MultiAssignRef']);

/** Index access methods built into PostgreSQL; an extension's method is refused. */
export const INDEX_METHODS: ReadonlySet<string> = new Set(['btree', 'hash', 'gist', 'spgist', 'gin', 'brin']);

/** Schemas that belong to the system: nothing is ever written or created there. */
export function isSystemSchema(schema: string): boolean {
  return schema.startsWith('pg_') || schema === 'information_schema';
}

/** EXPLAIN options that only describe the plan. ANALYZE (which executes) is absent on purpose. */
export const EXPLAIN_OPTIONS: ReadonlySet<string> = new Set([
  'verbose', 'costs', 'settings', 'format', 'summary', 'generic_plan', 'memory', 'serialize_none',
]);

/** TABLESAMPLE methods built into PostgreSQL. */
export const TABLESAMPLE_METHODS: ReadonlySet<string> = new Set(['system', 'bernoulli']);

/**
 * Catalog relations that expose credentials, other sessions' SQL text, server
 * settings or raw column statistics. Refused even though a read would be harmless
 * to integrity: they are a confidentiality leak.
 */
export const DENIED_SYSTEM_RELATIONS: ReadonlySet<string> = new Set([
  'pg_authid', 'pg_shadow', 'pg_user_mapping', 'pg_user_mappings', 'pg_hba_file_rules',
  'pg_ident_file_mappings', 'pg_file_settings', 'pg_settings', 'pg_db_role_setting', 'pg_config',
  'pg_stat_activity', 'pg_stat_replication', 'pg_stat_wal_receiver', 'pg_stat_subscription', 'pg_subscription',
  'pg_stat_ssl', 'pg_stat_gssapi', 'pg_largeobject', 'pg_largeobject_metadata', 'pg_statistic', 'pg_stats',
  'pg_stats_ext', 'pg_stats_ext_exprs', 'pg_statistic_ext_data', 'pg_backend_memory_contexts',
  'pg_shmem_allocations', 'pg_replication_slots', 'pg_foreign_server', 'pg_foreign_data_wrapper',
  'user_mapping_options', 'user_mappings', 'foreign_server_options',
]);

/** Human names for statement node types, for error messages. */
export function describeStatement(nodeType: string): string {
  const name = nodeType.replace(/Stmt$/, '');
  const known: Record<string, string> = {
    Transaction: 'transaction control (BEGIN/COMMIT/ROLLBACK)',
    VariableSet: 'SET',
    VariableShow: 'SHOW',
    Do: 'DO block',
    Call: 'CALL',
    Prepare: 'PREPARE',
    Execute: 'EXECUTE',
    Deallocate: 'DEALLOCATE',
    Copy: 'COPY',
    Lock: 'LOCK',
    Listen: 'LISTEN',
    Notify: 'NOTIFY',
    Unlisten: 'UNLISTEN',
    Insert: 'INSERT',
    Update: 'UPDATE',
    Delete: 'DELETE',
    Merge: 'MERGE',
    Explain: 'EXPLAIN',
    Create: 'CREATE TABLE',
    CreateTableAs: 'CREATE TABLE AS / CREATE MATERIALIZED VIEW',
    View: 'CREATE VIEW',
    Index: 'CREATE INDEX',
    Rename: 'RENAME',
    Comment: 'COMMENT',
    Drop: 'DROP',
    Truncate: 'TRUNCATE',
    Grant: 'GRANT/REVOKE',
    GrantRole: 'GRANT/REVOKE of a role',
    AlterObjectSchema: 'ALTER ... SET SCHEMA',
    RefreshMatView: 'REFRESH MATERIALIZED VIEW',
    CreateSeq: 'CREATE SEQUENCE',
    AlterSeq: 'ALTER SEQUENCE',
    CreateTrig: 'CREATE TRIGGER',
  };
  return known[name] ?? name.replace(/([a-z])([A-Z])/g, '$1 $2').toUpperCase();
}
