import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { redactText } from '../../src/log/redact.js';
import { withDatabase } from './url.js';

/**
 * Integration tests run against a real PostgreSQL when one answers at
 * BASTION_TEST_PG_URL (default: the local server, database `test`). Each suite gets
 * a database of its own, seeded with the demo data, and drops it afterwards.
 */
export const PG_ADMIN_URL = process.env['BASTION_TEST_PG_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

export async function probePostgres(): Promise<{ ok: true } | { ok: false; reason: string }> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: `PostgreSQL not reachable at ${redactText(PG_ADMIN_URL)} (${(error as Error).message})` };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Whether the PostgreSQL suites run; reported once by the global setup. */
export const postgres = await probePostgres();

export interface TestDatabase {
  url: string;
  name: string;
  /** Runs SQL as the admin user, outside Bastion, to set up or check effects. */
  admin(sql: string, params?: unknown[]): Promise<pg.QueryResult>;
  drop(): Promise<void>;
}

export async function createTestDatabase(options: { seed?: boolean } = {}): Promise<TestDatabase> {
  const name = `bastion_t_${randomBytes(5).toString('hex')}`;
  const root = new pg.Client({ connectionString: PG_ADMIN_URL });
  await root.connect();
  await root.query(`CREATE DATABASE ${name}`);
  await root.end();
  const url = withDatabase(PG_ADMIN_URL, name);
  const admin = new pg.Client({ connectionString: url });
  admin.on('error', () => undefined);
  await admin.connect();
  if (options.seed !== false) {
    await admin.query(readFileSync(new URL('../../demo/seed.sql', import.meta.url), 'utf8'));
  }
  return {
    url,
    name,
    admin: (sql, params) => admin.query(sql, params),
    async drop() {
      await admin.end();
      const r = new pg.Client({ connectionString: PG_ADMIN_URL });
      await r.connect();
      await r.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await r.end();
    },
  };
}
