import type { CheckedWrite, WriteTool } from '../../engine/policy.js';

/**
 * One SQLite write that passed the policy (write-guard.ts), with what the engine
 * needs to check on its own (worker.ts): which rows of `sqlite_schema` the
 * statement may change. The engine snapshots `sqlite_schema` before and after the
 * statement, inside its transaction, and rolls back when anything else differs.
 */
export interface SqliteWritePlan {
  readonly checked: CheckedWrite;
  /**
   * Lower-cased names of the objects in `main` whose `sqlite_schema` rows a schema
   * change may create, change or drop: a row may differ only when its `name` or
   * its `tbl_name` is listed (so a table's indexes and autoindexes go with it). For
   * RENAME TO both the old and the new name. Empty for `execute`: a DML statement
   * must leave `sqlite_schema` exactly as it was.
   */
  readonly touches: readonly string[];
}

/** The policy as the engine calls it: the source's write options are bound in. */
export type PlanSqliteWrite = (sql: string, tool: WriteTool) => SqliteWritePlan;
