/**
 * Runs one SQLite database in a child process. better-sqlite3 has no interrupt
 * and a worker thread cannot be stopped while SQLite runs native code, so the
 * parent kills this process when a call passes its time limit. It imports nothing
 * of Bastion at run time and loads better-sqlite3 only here.
 */
import type BetterSqlite3 from 'better-sqlite3';

export type WorkerRequest =
  | { type: 'init'; path: string; writes: boolean }
  | { type: 'read'; id: number; sql: string; params: unknown[]; maxRows: number; maxBytes: number }
  | WorkerWriteRequest;

/** One governed write, already planned by the policy; the worker checks its effect on its own. */
export interface WorkerWriteRequest {
  type: 'write';
  id: number;
  kind: 'dml' | 'ddl';
  /** What runs: the statement, or on a DML dry run the same statement with RETURNING *. */
  sql: string;
  params: unknown[];
  dryRun: boolean;
  maxAffectedRows: number;
  sampleRows: number;
  maxBytes: number;
  /** Lower-cased names whose `sqlite_schema` rows a DDL statement may change (SqliteWritePlan.touches). */
  touches: string[];
  /** DDL: the object whose definition to return, read inside the transaction. */
  describe?: string;
}

export interface WorkerColumn {
  name: string;
  type: string;
  database: string | null;
  table: string | null;
  column: string | null;
}

export interface WorkerResult {
  columns: WorkerColumn[];
  rows: unknown[][];
  bytes: number;
  truncatedBy?: 'rows' | 'bytes';
}

export interface WorkerWriteResult {
  /** Rows the statement changed itself (SQLite's changes()); 0 for DDL. */
  affected: number;
  sample?: { columns: WorkerColumn[]; rows: unknown[][]; truncated: boolean };
  definition?: string;
  committed: boolean;
}

/**
 * Why a call failed. The write refusals are the engine's own checks: `not-a-write`
 * (SQLite calls the statement read-only, or it ended the transaction),
 * `schema-changed` (sqlite_schema differs beyond the plan's touches),
 * `rows-changed` (a schema change that changed rows), `breaks-dependents` (a view or
 * trigger outside the plan compiled before a schema change and not after it),
 * `limit` (more rows than allowed).
 */
export type WorkerFailure =
  | 'unavailable' | 'multiple' | 'not-read-only' | 'failed'
  | 'writes-disabled' | 'not-a-write' | 'schema-changed' | 'rows-changed' | 'breaks-dependents' | 'limit';

export type WorkerResponse =
  | { id: number; ok: true; result: WorkerResult }
  | { id: number; ok: true; written: WorkerWriteResult }
  | { id: number; ok: false; failure: WorkerFailure; code?: string; message?: string; changed?: number };

/** Per-value overhead counted on top of the text, as the PostgreSQL collector does. */
const VALUE_OVERHEAD = 4;
/** How long a write waits for another process's lock; the parent's statement timeout still applies on top. */
const BUSY_TIMEOUT_MS = 5_000;
const SNAPSHOT = 'SELECT type, name, tbl_name, sql FROM main.sqlite_schema ORDER BY type, name';
const TOTAL_CHANGES = 'SELECT total_changes()';
const OBJECT_SQL = 'SELECT sql FROM main.sqlite_schema WHERE lower(name) = ? AND sql IS NOT NULL';
const TABLE_INDEXES_SQL = "SELECT sql FROM main.sqlite_schema WHERE type = 'index' AND lower(tbl_name) = ? AND lower(name) <> ? AND sql IS NOT NULL ORDER BY name";
const WRITABLE_COLUMNS = 'SELECT name FROM pragma_table_xinfo(?, ?) WHERE hidden = 0';
const FOREIGN_PARENTS = 'SELECT DISTINCT "table" FROM pragma_foreign_key_list(?, ?)';

type Database = BetterSqlite3.Database;
type Statement = BetterSqlite3.Statement<unknown[]>;
type DatabaseConstructor = new (path: string, options: BetterSqlite3.Options) => Database;
type SchemaRow = [type: string, name: string, tblName: string, sql: string | null];

let path: string | undefined;
let writesEnabled = false;
let db: Database | undefined;
let writer: Database | undefined;
let driver: DatabaseConstructor | undefined;

function refused(failure: WorkerFailure, message: string, changed?: number): Error {
  return Object.assign(new Error(message), { failure, ...(changed !== undefined ? { changed } : {}) });
}

async function connect(options: BetterSqlite3.Options): Promise<Database> {
  if (path === undefined) throw refused('unavailable', 'not initialised');
  driver ??= ((await import('better-sqlite3')) as unknown as { default: DatabaseConstructor }).default;
  try {
    return new driver(path, { ...options, fileMustExist: true });
  } catch (error) {
    throw Object.assign(error as Error, { failure: 'unavailable' });
  }
}

async function open(): Promise<Database> {
  if (db !== undefined) return db;
  const opened = await connect({ readonly: true });
  // Second and third guard rails besides the read-only open: no writes on this
  // connection, and no function in the schema (views, defaults) runs with trust.
  opened.pragma('query_only = ON');
  opened.pragma('trusted_schema = OFF');
  db = opened;
  return opened;
}

/**
 * The read-write connection, opened on the first write (or recovery) of a source
 * with writes enabled, never otherwise. No function in the schema runs with trust;
 * foreign_keys stays at better-sqlite3's default (on), so the constraints the file
 * declares are enforced; better-sqlite3's defensive mode keeps writable_schema off.
 */
async function openWriter(): Promise<Database> {
  if (writer !== undefined) return writer;
  if (!writesEnabled) throw refused('writes-disabled', 'writes are not enabled');
  const opened = await connect({ timeout: BUSY_TIMEOUT_MS });
  opened.pragma('trusted_schema = OFF');
  writer = opened;
  return opened;
}

function toValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  return value;
}

/** Length of a value as text (toValue leaves only strings, numbers and null). */
function textLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  return typeof value === 'number' ? String(value).length : 0;
}

function bindable(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return value;
}

function prepareOne(database: Database, sql: string): Statement {
  try {
    return database.prepare(sql);
  } catch (error) {
    if (error instanceof RangeError) throw Object.assign(error, { failure: 'multiple' });
    throw error;
  }
}

function columnsOf(statement: Statement): WorkerColumn[] {
  return statement.columns().map((c) => ({ name: c.name, type: c.type?.toLowerCase() ?? 'unknown', database: c.database, table: c.table, column: c.column }));
}

interface Collected {
  rows: unknown[][];
  bytes: number;
  truncatedBy?: 'rows' | 'bytes';
  /** Rows the statement produced, kept or not. */
  seen: number;
}

/** Keeps rows up to the caps; `drain` reads on past them only to count (a write's RETURNING rows). */
function collect(iterator: IterableIterator<unknown>, maxRows: number, maxBytes: number, drain: boolean): Collected {
  const collected: Collected = { rows: [], bytes: 0, seen: 0 };
  try {
    for (const raw of iterator as Iterable<unknown[]>) {
      collected.seen++;
      if (collected.truncatedBy !== undefined) continue;
      const row = collected.rows.length < maxRows ? raw.map(toValue) : undefined;
      const size = row?.reduce<number>((sum, v) => sum + VALUE_OVERHEAD + textLength(v), 0) ?? 0;
      if (row === undefined || collected.bytes + size > maxBytes) {
        collected.truncatedBy = row === undefined ? 'rows' : 'bytes';
        if (!drain) break;
        continue;
      }
      collected.bytes += size;
      collected.rows.push(row);
    }
  } finally {
    iterator.return?.();
  }
  return collected;
}

async function read(request: Extract<WorkerRequest, { type: 'read' }>): Promise<WorkerResult> {
  try {
    return readOnce(await open(), request);
  } catch (error) {
    // A write cut off by its time limit leaves a hot journal, which only a writable connection may roll back.
    if (!writesEnabled || !/^SQLITE_READONLY_(ROLLBACK|RECOVERY)$/.test(String((error as { code?: unknown }).code))) throw error;
    (await openWriter()).prepare('SELECT count(*) FROM main.sqlite_schema').get();
    return readOnce(await open(), request);
  }
}

function readOnce(database: Database, request: Extract<WorkerRequest, { type: 'read' }>): WorkerResult {
  const statement = prepareOne(database, request.sql);
  // SQLite's own verdict, independent of the guard: it must only read and return rows.
  if (!statement.readonly || !statement.reader) throw refused('not-read-only', 'not read-only');
  statement.raw(true);
  statement.safeIntegers(true);
  const columns = columnsOf(statement);
  const { rows, bytes, truncatedBy } = collect(bound(request.params.map(bindable), (...args) => statement.iterate(...args)), request.maxRows, request.maxBytes, false);
  return truncatedBy === undefined ? { columns, rows, bytes } : { columns, rows, bytes, truncatedBy };
}

/**
 * Binds `?` parameters in order. better-sqlite3 treats `?NNN` as named, bound from an
 * object keyed by NNN; binding fails before anything runs, so trying both is safe.
 */
function bound<T>(values: unknown[], call: (...args: unknown[]) => T): T {
  try {
    return call(...values);
  } catch (error) {
    if (!(error instanceof RangeError) || values.length === 0) throw error;
    return call(Object.fromEntries(values.map((v, i) => [String(i + 1), v])));
  }
}

/**
 * One write in one IMMEDIATE transaction on the writable connection: committed on
 * a real run that passed every check, rolled back on a dry run, a refusal or an error.
 */
async function write(request: WorkerWriteRequest): Promise<WorkerWriteResult> {
  const database = await openWriter();
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

function snapshot(database: Database): SchemaRow[] {
  return database.prepare(SNAPSHOT).raw(true).all() as SchemaRow[];
}

function totalChanges(database: Database): number {
  return Number(database.prepare(TOTAL_CHANGES).pluck().get());
}

/** SQLite folds only ASCII letters when it compares names. */
function foldName(name: string): string {
  return name.replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
}

/**
 * The `type name` of every sqlite_schema row that appeared, disappeared or changed
 * and whose name and table are both outside `touches`. sqlite_sequence may appear
 * (the first AUTOINCREMENT table creates it), never change or go.
 */
function schemaChanges(before: SchemaRow[], after: SchemaRow[], touches: readonly string[]): string[] {
  const key = (row: SchemaRow): string => `${row[0]} ${row[1]}`;
  const old = new Map(before.map((row) => [key(row), row]));
  const now = new Map(after.map((row) => [key(row), row]));
  const touched = (row: SchemaRow | undefined): boolean => row === undefined || touches.includes(foldName(row[1])) || touches.includes(foldName(row[2]));
  const outside: string[] = [];
  for (const name of new Set([...old.keys(), ...now.keys()])) {
    const was = old.get(name);
    const is = now.get(name);
    if (JSON.stringify(was) === JSON.stringify(is)) continue;
    if (was === undefined && name === 'table sqlite_sequence') continue;
    if (!touched(was) || !touched(is)) outside.push(name);
  }
  return outside;
}

/**
 * SQLite records no dependencies: dropping an owned table, view or index, or
 * changing an owned table, can leave a view or trigger that is not the change's
 * own naming what is gone, and SQLite only notices when that object is next used.
 * So every view and trigger outside `touches` is compiled before and after a
 * schema change: a view by selecting from it, a trigger by preparing (never
 * running) the INSERT, UPDATE of every column and DELETE that would fire it, and a
 * table's foreign keys by finding each parent table (SQLite compiles an INSERT into
 * a table whose parent is gone; the INSERT fails when it runs). The map holds each
 * probe's outcome: undefined when it compiled, else SQLite's error.
 */
function dependents(database: Database, rows: SchemaRow[], touches: readonly string[]): Map<string, string | undefined> {
  const outcomes = new Map<string, string | undefined>();
  const probe = (key: string, sql: () => string): void => {
    if (outcomes.has(key)) return;
    try {
      database.prepare(sql());
      outcomes.set(key, undefined);
    } catch (error) {
      outcomes.set(key, error instanceof Error ? error.message : String(error));
    }
  };
  const tables = new Set(rows.filter(([type]) => type === 'table').map(([, name]) => foldName(name)));
  for (const [type, name, tblName] of rows) {
    // A trigger on a table the change names is probed too (a human trigger on an owned
    // table can break when its columns change); one that goes with its table has no
    // probe after the change, so it does not count.
    if (touches.includes(foldName(name))) continue;
    if (type === 'table') {
      const parents = database.prepare(FOREIGN_PARENTS).pluck().all(name, 'main') as string[];
      const missing = parents.filter((parent) => !tables.has(foldName(parent)));
      outcomes.set(`table ${name} foreign keys`, missing.length === 0 ? undefined : `no such table: ${missing.join(', ')}`);
      // A parent key that lost its unique index fails when the INSERT is prepared ("foreign key mismatch").
      if (parents.length > 0) probe(`table ${name} insert`, () => `INSERT INTO main.${quoteName(name)} DEFAULT VALUES`);
    }
    if (type === 'view') probe(`view ${name}`, () => `SELECT * FROM main.${quoteName(name)} LIMIT 0`);
    if (type !== 'trigger') continue;
    const target = `main.${quoteName(tblName)}`;
    probe(`trigger ${name} insert`, () => `INSERT INTO ${target} DEFAULT VALUES`);
    probe(`trigger ${name} delete`, () => `DELETE FROM ${target} WHERE 0`);
    probe(`trigger ${name} update`, () => {
      const columns = (database.prepare(WRITABLE_COLUMNS).pluck().all(tblName, 'main') as string[]).map(quoteName);
      return `UPDATE ${target} SET ${columns.map((c) => `${c} = ${c}`).join(', ')} WHERE 0`;
    });
  }
  return outcomes;
}

/** The probes that compiled before the change and fail after it. */
function brokenSince(before: Map<string, string | undefined>, after: Map<string, string | undefined>): string[] {
  const broken: string[] = [];
  for (const [key, error] of after) {
    if (error !== undefined && before.has(key) && before.get(key) === undefined) broken.push(`${key} (${error})`);
  }
  return broken;
}

function quoteName(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The SQL of the object (and of a table's indexes) as sqlite_schema holds it now; only an object the plan touches. */
function definitionOf(database: Database, name: string, touches: readonly string[], maxBytes: number): string | undefined {
  const folded = foldName(name);
  if (!touches.includes(folded)) return undefined;
  const own = database.prepare(OBJECT_SQL).pluck().all(folded) as string[];
  if (own.length === 0) return undefined;
  const indexes = database.prepare(TABLE_INDEXES_SQL).pluck().all(folded, folded) as string[];
  const definition = [...own, ...indexes].map((sql) => `${sql};`).join('\n');
  // Past the byte cap the cut is marked, never silent.
  return definition.length <= maxBytes ? definition : `${definition.slice(0, maxBytes)}\n-- [cut at ${maxBytes} characters (limits.max_bytes): the definition goes on]`;
}

function failure(id: number, error: unknown): WorkerResponse {
  const e = (error ?? {}) as { failure?: WorkerFailure; code?: unknown; message?: unknown; changed?: unknown };
  return {
    id,
    ok: false,
    failure: e.failure ?? 'failed',
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.message === 'string' ? { message: e.message } : {}),
    ...(typeof e.changed === 'number' ? { changed: e.changed } : {}),
  };
}

if (process.send !== undefined) {
  const send = (response: WorkerResponse): void => {
    process.send?.(response);
  };
  process.on('disconnect', () => process.exit(0));
  process.on('message', (request: WorkerRequest) => {
    switch (request.type) {
      case 'init':
        path = request.path;
        writesEnabled = request.writes;
        return;
      case 'read':
        read(request).then(
          (result) => send({ id: request.id, ok: true, result }),
          (error: unknown) => send(failure(request.id, error)),
        );
        return;
      case 'write':
        write(request).then(
          (written) => send({ id: request.id, ok: true, written }),
          (error: unknown) => send(failure(request.id, error)),
        );
    }
  });
}
