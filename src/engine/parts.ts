import type { ColumnOrigin } from '../engines/postgres-family/catalog.js';
import type { CheckedStatement, ReadTool } from '../engines/postgres-family/policy/policy.js';
import type { CheckedWrite, WritePolicyOptions, WriteTool } from '../engines/postgres-family/policy/write-policy.js';
import type { SchemaInfo, TableDescription, TableInfo } from '../engines/postgres-family/introspect.js';
import type { Source } from './source.js';

/**
 * What an engine brings besides its Source: the first layer of SQL safety (its own
 * parser's policy), the name resolution the authorize stage uses, and the catalog
 * reads behind list_* and describe_table. PostgreSQL and PGlite share one set; each
 * other engine has its own.
 */
export interface ReadGuard {
  /** Throws a BastionError unless `sql` is exactly one statement this tool may run. */
  checkRead(sql: string, tool: ReadTool): CheckedStatement;
  /** The statement's fingerprint for the audit, where the engine's parser gives one (libpg-query's). */
  fingerprint?(sql: string): string | undefined;
  /**
   * The write policy of `execute` and `change_schema` on this engine's parser:
   * throws a BastionError unless `sql` is exactly one statement `tool` allows.
   * Absent on an engine without governed writes (the config refuses writes.enabled there).
   */
  checkWrite?(sql: string, tool: WriteTool, options: WritePolicyOptions): CheckedWrite;
}

/** Name resolution as the database does it, for the authorize stage. */
export interface Catalog {
  /** The schema an unqualified table or view name resolves to, or undefined. */
  resolve(name: string): Promise<string | undefined>;
  /** A table's columns with the origin ids its result columns carry (ResultColumn.origin). */
  columnOrigins(schema: string, table: string): Promise<ColumnOrigin[]>;
  /** Like resolve, for any relation kind (indexes too). */
  locate(name: string): Promise<string | undefined>;
  /** Where an unqualified CREATE puts a new object. */
  creationSchema(): Promise<string | undefined>;
  /** Forget cached names (after a schema change). */
  invalidate(): void;
  /** Schemas no write or schema change may touch (catalogs, server state); PostgreSQL's when absent. */
  isSystemSchema?(schema: string): boolean;
}

export interface Introspector {
  listSchemas(): Promise<SchemaInfo[]>;
  listTables(filter: { schema?: string | undefined; pattern?: string | undefined }): Promise<TableInfo[]>;
  /** `table` is `name` or `schema.name`; throws TABLE_NOT_FOUND when there is none. */
  describeTable(table: string): Promise<TableDescription>;
}

export interface EngineParts {
  readonly source: Source;
  readonly guard: ReadGuard;
  readonly catalog: Catalog;
  readonly introspector: Introspector;
}
