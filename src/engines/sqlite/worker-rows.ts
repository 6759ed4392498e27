// Statements and rows inside the SQLite worker process: preparing, binding, reading
// within the caps. Only type imports (erased at run time) besides node built-ins.
import type BetterSqlite3 from 'better-sqlite3';
import type { WorkerColumn, WorkerFailure } from './worker-protocol.js';

export type Database = BetterSqlite3.Database;
export type Statement = BetterSqlite3.Statement<unknown[]>;

/** Per-value overhead counted on top of the text, as the PostgreSQL collector does. */
const VALUE_OVERHEAD = 4;

/** An error the parent maps by its `failure` (see WorkerFailure). */
export function refused(failure: WorkerFailure, message: string, changed?: number): Error {
  return Object.assign(new Error(message), { failure, ...(changed !== undefined ? { changed } : {}) });
}

function toValue(value: unknown): unknown {
  if (typeof value === 'bigint') return Number.isSafeInteger(Number(value)) ? Number(value) : value.toString();
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  return value;
}

/**
 * Length of a raw value as text, without making the text: a blob is `\\x` and two hex digits a
 * byte. Checked before toValue, so a value past the byte budget is never turned into a string
 * twice its size.
 */
function rawLength(value: unknown): number {
  if (value instanceof Uint8Array) return 2 + 2 * value.length;
  return typeof value === 'string' ? value.length : 0;
}

/** Length of a value as text (toValue leaves only strings, numbers and null). */
function textLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  return typeof value === 'number' ? String(value).length : 0;
}

export function bindable(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return value;
}

export function prepareOne(database: Database, sql: string): Statement {
  try {
    return database.prepare(sql);
  } catch (error) {
    if (error instanceof RangeError) throw Object.assign(error, { failure: 'multiple' });
    throw error;
  }
}

export function columnsOf(statement: Statement): WorkerColumn[] {
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
export function collect(iterator: IterableIterator<unknown>, maxRows: number, maxBytes: number, drain: boolean): Collected {
  const collected: Collected = { rows: [], bytes: 0, seen: 0 };
  try {
    for (const raw of iterator as Iterable<unknown[]>) {
      collected.seen++;
      if (collected.truncatedBy !== undefined) continue;
      const full = collected.rows.length >= maxRows;
      const tooBig = !full && raw.reduce<number>((sum, v) => sum + rawLength(v), 0) > maxBytes - collected.bytes;
      const row = full || tooBig ? undefined : raw.map(toValue);
      const size = row?.reduce<number>((sum, v) => sum + VALUE_OVERHEAD + textLength(v), 0) ?? 0;
      if (row === undefined || collected.bytes + size > maxBytes) {
        collected.truncatedBy = full ? 'rows' : 'bytes';
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

/**
 * Binds `?` parameters in order. better-sqlite3 treats `?NNN` as named, bound from an
 * object keyed by NNN; binding fails before anything runs, so trying both is safe.
 */
export function bound<T>(values: unknown[], call: (...args: unknown[]) => T): T {
  try {
    return call(...values);
  } catch (error) {
    if (!(error instanceof RangeError) || values.length === 0) throw error;
    return call(Object.fromEntries(values.map((v, i) => [String(i + 1), v])));
  }
}
