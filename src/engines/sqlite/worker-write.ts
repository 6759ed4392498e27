// A governed write inside the SQLite worker process, checked by its effect on the file.
import type { WorkerWriteRequest, WorkerWriteResult } from './worker-protocol.js';
import { bindable, bound, collect, columnsOf, prepareOne, refused, type Database } from './worker-rows.js';
import { brokenSince, definitionOf, dependents, schemaChanges, snapshot, totalChanges } from './worker-schema.js';

/**
 * One write in one IMMEDIATE transaction on the writable connection: committed on
 * a real run that passed every check, rolled back on a dry run, a refusal or an error.
 */
export function writeChecked(database: Database, request: WorkerWriteRequest): WorkerWriteResult {
  database.exec('BEGIN IMMEDIATE');
  try {
    const result = runChecked(database, request);
    database.exec(request.dryRun ? 'ROLLBACK' : 'COMMIT');
    return { ...result, committed: !request.dryRun };
  } catch (error) {
    // A constraint declared ON CONFLICT ROLLBACK may have ended the transaction already.
    if (database.inTransaction) database.exec('ROLLBACK');
    throw error;
  }
}

/**
 * The engine's own checks, independent of the policy: SQLite must call the statement
 * a write; `sqlite_schema` is snapshotted before and after it, and a DML statement
 * must leave it exactly as it was, a DDL statement may change only the rows of the
 * objects it touches; a DDL statement changes no rows; more changed rows than
 * allowed (counting those changed by triggers and foreign-key actions) is refused.
 */
function runChecked(database: Database, request: WorkerWriteRequest): Omit<WorkerWriteResult, 'committed'> {
  const before = snapshot(database);
  const compiledBefore = request.kind === 'ddl' ? dependents(database, before, request.touches) : undefined;
  const changesBefore = totalChanges(database);
  const statement = prepareOne(database, request.sql);
  // Transaction control (COMMIT, SAVEPOINT ...) is read-only to SQLite, so it never runs here.
  if (statement.readonly) throw refused('not-a-write', 'SQLite reports the statement as read-only');
  const params = request.params.map(bindable);
  let affected: number;
  let sample: WorkerWriteResult['sample'];
  if (statement.reader) {
    // RETURNING: SQLite makes every change on the first step; rows are read to the end to count them.
    statement.raw(true);
    statement.safeIntegers(true);
    const columns = columnsOf(statement);
    const collected = collect(bound(params, (...args) => statement.iterate(...args)), request.sampleRows, request.maxBytes, true);
    affected = collected.seen;
    sample = { columns, rows: collected.rows, truncated: collected.truncatedBy !== undefined };
  } else {
    affected = Number(bound(params, (...args) => statement.run(...args)).changes);
  }
  if (!database.inTransaction) throw refused('not-a-write', 'the statement ended the transaction');
  const changed = Math.max(affected, totalChanges(database) - changesBefore);
  const after = snapshot(database);
  if (request.kind === 'dml') {
    const moved = schemaChanges(before, after, []);
    if (moved.length > 0) throw refused('schema-changed', `sqlite_schema changed: ${moved.join(', ')}`);
    if (changed > request.maxAffectedRows) throw refused('limit', `${changed} rows changed`, changed);
    return sample === undefined ? { affected } : { affected, sample };
  }
  const outside = schemaChanges(before, after, request.touches);
  if (outside.length > 0) throw refused('schema-changed', `sqlite_schema changed outside the plan: ${outside.join(', ')}`);
  if (changed > 0) throw refused('rows-changed', `${changed} rows changed`, changed);
  const broken = brokenSince(compiledBefore ?? new Map<string, string | undefined>(), dependents(database, after, request.touches));
  if (broken.length > 0) throw refused('breaks-dependents', `no longer compiles: ${broken.join(', ')}`);
  const definition = request.describe === undefined ? undefined : definitionOf(database, request.describe, request.touches, request.maxBytes);
  return definition === undefined ? { affected: 0 } : { affected: 0, definition };
}
