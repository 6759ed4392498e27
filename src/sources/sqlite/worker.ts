/**
 * Runs one SQLite database in a child process. better-sqlite3 has no interrupt
 * and a worker thread cannot be stopped while SQLite runs native code, so the
 * parent kills this process when a call passes its time limit. It imports nothing
 * of Bastion at run time and loads better-sqlite3 only here.
 */
import type BetterSqlite3 from 'better-sqlite3';

export type WorkerRequest =
  | { type: 'init'; path: string }
  | { type: 'read'; id: number; sql: string; params: unknown[]; maxRows: number; maxBytes: number };

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

export type WorkerFailure = 'unavailable' | 'multiple' | 'not-read-only' | 'failed';

export type WorkerResponse =
  | { id: number; ok: true; result: WorkerResult }
  | { id: number; ok: false; failure: WorkerFailure; code?: string; message?: string };

/** Per-value overhead counted on top of the text, as the PostgreSQL collector does. */
const VALUE_OVERHEAD = 4;

type Database = BetterSqlite3.Database;
type DatabaseConstructor = new (path: string, options: BetterSqlite3.Options) => Database;

let path: string | undefined;
let db: Database | undefined;
let driver: DatabaseConstructor | undefined;

async function open(): Promise<Database> {
  if (db !== undefined) return db;
  if (path === undefined) throw Object.assign(new Error('not initialised'), { failure: 'unavailable' });
  driver ??= ((await import('better-sqlite3')) as unknown as { default: DatabaseConstructor }).default;
  let opened: Database;
  try {
    opened = new driver(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    throw Object.assign(error as Error, { failure: 'unavailable' });
  }
  // Second and third guard rails besides the read-only open: no writes on this
  // connection, and no function in the schema (views, defaults) runs with trust.
  opened.pragma('query_only = ON');
  opened.pragma('trusted_schema = OFF');
  db = opened;
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

async function read(request: Extract<WorkerRequest, { type: 'read' }>): Promise<WorkerResult> {
  const database = await open();
  let statement: BetterSqlite3.Statement<unknown[]>;
  try {
    statement = database.prepare(request.sql);
  } catch (error) {
    if (error instanceof RangeError) throw Object.assign(error, { failure: 'multiple' });
    throw error;
  }
  // SQLite's own verdict, independent of the guard: it must only read and return rows.
  if (!statement.readonly || !statement.reader) throw Object.assign(new Error('not read-only'), { failure: 'not-read-only' });
  statement.raw(true);
  statement.safeIntegers(true);
  const columns = statement.columns().map((c) => ({
    name: c.name,
    type: c.type?.toLowerCase() ?? 'unknown',
    database: c.database,
    table: c.table,
    column: c.column,
  }));
  const rows: unknown[][] = [];
  let bytes = 0;
  let truncatedBy: 'rows' | 'bytes' | undefined;
  const iterator = bind(statement, request.params.map(bindable));
  try {
    for (const raw of iterator as Iterable<unknown[]>) {
      if (rows.length >= request.maxRows) {
        truncatedBy = 'rows';
        break;
      }
      const row = raw.map(toValue);
      const size = row.reduce<number>((sum, v) => sum + VALUE_OVERHEAD + textLength(v), 0);
      if (bytes + size > request.maxBytes) {
        truncatedBy = 'bytes';
        break;
      }
      bytes += size;
      rows.push(row);
    }
  } finally {
    iterator.return?.();
  }
  return truncatedBy === undefined ? { columns, rows, bytes } : { columns, rows, bytes, truncatedBy };
}

/**
 * Binds `?` parameters in order. better-sqlite3 treats `?NNN` as named, bound from an
 * object keyed by NNN; binding fails before anything runs, so trying both is safe.
 */
function bind(statement: BetterSqlite3.Statement<unknown[]>, values: unknown[]): IterableIterator<unknown> {
  try {
    return statement.iterate(...values);
  } catch (error) {
    if (!(error instanceof RangeError) || values.length === 0) throw error;
    return statement.iterate(Object.fromEntries(values.map((v, i) => [String(i + 1), v])));
  }
}

function failure(id: number, error: unknown): WorkerResponse {
  const e = (error ?? {}) as { failure?: WorkerFailure; code?: unknown; message?: unknown };
  return {
    id,
    ok: false,
    failure: e.failure ?? 'failed',
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.message === 'string' ? { message: e.message } : {}),
  };
}

if (process.send !== undefined) {
  const send = (response: WorkerResponse): void => {
    process.send?.(response);
  };
  process.on('disconnect', () => process.exit(0));
  process.on('message', (request: WorkerRequest) => {
    if (request.type === 'init') {
      path = request.path;
      return;
    }
    read(request).then(
      (result) => send({ id: request.id, ok: true, result }),
      (error: unknown) => send(failure(request.id, error)),
    );
  });
}
