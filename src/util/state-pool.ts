import pg from 'pg';
import type { Logger } from '../log/logger.js';

/** The fixed statements behind one table of shared state (approvals, API keys). */
export interface StateTable {
  /** One row, `present`: whether the table is there already. */
  readonly exists: string;
  /** An advisory transaction lock: the first start of several replicas would otherwise race in CREATE TABLE. */
  readonly ddlLock: string;
  readonly create: string;
}

/**
 * A small pool on the state database at `url`, with `table` created if it is missing.
 * An idle connection that fails is logged and discarded, not thrown; a failed
 * creation closes the pool and throws.
 */
export async function openStatePool(url: string, log: Logger | undefined, table: StateTable): Promise<pg.Pool> {
  const pool = new pg.Pool({ connectionString: url, max: 3, application_name: 'bastion-state', connectionTimeoutMillis: 10_000 });
  pool.on('error', (error) => log?.warn({ err: error }, 'idle state database connection failed; it was discarded'));
  try {
    await ensureTable(pool, table);
  } catch (error) {
    await pool.end();
    throw error;
  }
  return pool;
}

const UNIQUE_VIOLATION = '23505';

/** Whether a failed INSERT hit a unique key (SQLSTATE 23505), as a colliding random id does. */
export function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === UNIQUE_VIOLATION;
}

async function ensureTable(pool: pg.Pool, table: StateTable): Promise<void> {
  const client = await pool.connect();
  try {
    // A deployment may create the table itself and grant only DML: then no DDL runs.
    const exists = await client.query<{ present: boolean }>(table.exists);
    if (exists.rows[0]?.present === true) return;
    await client.query('BEGIN');
    await client.query(table.ddlLock);
    await client.query(table.create);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
