/**
 * The fixed statements that wrap every call. They are constants: nothing from a
 * caller is ever concatenated into them; limits and the role travel as parameters.
 */
export const BEGIN_READ_ONLY = 'BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY';
export const ROLLBACK = 'ROLLBACK';
/** Writes open their transaction read-write explicitly: every session defaults to read-only. */
export const BEGIN_READ_WRITE = 'BEGIN TRANSACTION READ WRITE';
export const COMMIT = 'COMMIT';
/**
 * Appended to the limits of a read whose statement names every relation with its schema
 * (ReadRequest.pinnedNames, the statements of a role with rules): functions, operators and
 * types then resolve to built-ins only, never to an object someone created in a schema on the
 * usual search path. And no index-only scan: after the rewrite a protected column is never
 * filtered, joined or sorted on, but an index that includes one can still be read whole, as an
 * index-only scan — which returns rows in the order of that column's real values.
 */
export const PIN_SEARCH_PATH =
  ", pg_catalog.set_config('search_path', 'pg_catalog, pg_temp', true), pg_catalog.set_config('enable_indexonlyscan', 'off', true)";
/**
 * Appended after PIN_SEARCH_PATH when a relation the statement reads has an index that includes
 * a protected column (ReadRequest.withoutIndexScans): a plain index scan is chosen for the
 * index's leading columns, yet returns rows in the order of all of them — ties on `dept` in the
 * order of the real `salary` of an index on (dept, salary). Bitmap scans stay: they return rows
 * in the table's physical order.
 */
export const NO_INDEX_SCANS = ", pg_catalog.set_config('enable_indexscan', 'off', true)";

/**
 * The transaction-local limits of a call (the same effect as SET LOCAL, values as parameters),
 * one of twelve fixed texts:
 * statement_timeout $1, lock_timeout $2, work_mem $3, then temp_file_limit $4 when the
 * login may set it (superuser, or PostgreSQL 15+ GRANT SET ON PARAMETER; PGlite always), then the role.
 * temp_file_limit comes before the role: PostgreSQL checks who may set it as it is set.
 */
export function setLocalLimits(options: { tempFileLimit: boolean; role: boolean; pinned: boolean; withoutIndexScans?: boolean }): string {
  const settings = ["pg_catalog.set_config('statement_timeout', $1, true)", "pg_catalog.set_config('lock_timeout', $2, true)", "pg_catalog.set_config('work_mem', $3, true)"];
  if (options.tempFileLimit) settings.push("pg_catalog.set_config('temp_file_limit', $4, true)");
  if (options.role) settings.push(`pg_catalog.set_config('role', $${settings.length + 1}, true)`);
  return `SELECT ${settings.join(', ')}${options.pinned ? PIN_SEARCH_PATH : ''}${options.pinned && options.withoutIndexScans === true ? NO_INDEX_SCANS : ''}`;
}
