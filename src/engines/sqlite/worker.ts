/**
 * Runs one SQLite database in a child process. better-sqlite3 has no interrupt
 * and a worker thread cannot be stopped while SQLite runs native code, so the
 * parent kills this process when a call passes its time limit. At run time it
 * imports only its own worker-*.ts siblings, nothing else of Bastion, and loads
 * better-sqlite3 only here.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { WorkerFailure, WorkerRequest, WorkerResponse, WorkerResult, WorkerWriteRequest, WorkerWriteResult } from './worker-protocol.js';
import { bindable, bound, collect, columnsOf, prepareOne, refused, type Database } from './worker-rows.js';
import { shadowConnection } from './worker-shadow.js';
import { writeChecked } from './worker-write.js';

/** How long a write waits for another process's lock; the parent's statement timeout still applies on top. */
const BUSY_TIMEOUT_MS = 5_000;

type DatabaseConstructor = new (path: string, options: BetterSqlite3.Options) => Database;

let path: string | undefined;
let writesEnabled = false;
let db: Database | undefined;
let writer: Database | undefined;
let driver: DatabaseConstructor | undefined;

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
  const opened = await openReader();
  opened.pragma('query_only = ON');
  db = opened;
  return opened;
}

/**
 * Sorts, GROUP BY, DISTINCT and materialised subqueries that outgrow the page cache spill to
 * temporary files, in the host's temporary folder with no bound but the statement's time
 * limit. In memory they count against the worker's data limit (worker_memory_mb), where too
 * large a one fails with SQLite's out-of-memory error instead of filling a disk.
 */
function boundTemporaryStorage(database: Database): void {
  database.pragma('temp_store = MEMORY');
}

/**
 * A read-only connection on which no function in the schema (views, defaults) runs with
 * trust. The caller switches query_only on (the second guard rail besides the read-only
 * open) once it has made what it needs in `temp` (worker-shadow.ts).
 */
async function openReader(): Promise<Database> {
  const opened = await connect({ readonly: true });
  opened.pragma('trusted_schema = OFF');
  boundTemporaryStorage(opened);
  return opened;
}

/** The connection a read runs on: with TEMP views shadowing protected tables for a role with rules, else the plain one. */
async function readerFor(request: Extract<WorkerRequest, { type: 'read' }>): Promise<Database> {
  return request.shadows === undefined ? open() : shadowConnection(openReader, request.shadows);
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
  boundTemporaryStorage(opened);
  writer = opened;
  return opened;
}

async function read(request: Extract<WorkerRequest, { type: 'read' }>): Promise<WorkerResult> {
  try {
    return readOnce(await readerFor(request), request);
  } catch (error) {
    // A write cut off by its time limit leaves a hot journal, which only a writable connection may roll back.
    if (!writesEnabled || !/^SQLITE_READONLY_(ROLLBACK|RECOVERY)$/.test(String((error as { code?: unknown }).code))) throw error;
    (await openWriter()).prepare('SELECT count(*) FROM main.sqlite_schema').get();
    return readOnce(await readerFor(request), request);
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

/** One governed write on the writable connection (worker-write.ts). */
async function write(request: WorkerWriteRequest): Promise<WorkerWriteResult> {
  return writeChecked(await openWriter(), request);
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
        send({ id: 0, ok: true, ready: true });
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
