import type { Pool } from 'mysql2/promise';
import type { ParamValue } from '../../engine/source.js';

/**
 * ANSI_QUOTES and NO_BACKSLASH_ESCAPES change how strings and identifiers are
 * tokenized; the guard scans with both off, so every connection turns them off.
 */
export const SESSION_SQL_MODE = `SET SESSION sql_mode = TRIM(BOTH ',' FROM REPLACE(REPLACE(REPLACE(REPLACE(
  CONCAT(',', @@SESSION.sql_mode, ','), ',ANSI_QUOTES,', ','), ',NO_BACKSLASH_ESCAPES,', ','), ',ANSI,', ','), ',,', ','))`;

/** The slice of the mysql2 module both pools (reads in source.ts, writes in write.ts) use. */
export interface MysqlDriver {
  createPool(options: Record<string, unknown>): Pool;
  Types: Record<string, number>;
}

/** A JSON parameter as the MySQL binary protocol takes it: arrays and objects as JSON text. */
export function encodeParam(value: ParamValue): string | number | null {
  if (value === null || typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  return JSON.stringify(value);
}
