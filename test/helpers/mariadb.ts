import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import { redactText } from '../../src/log/redact.js';
import { withDatabase } from './url.js';

/**
 * Integration tests run against a real MariaDB/MySQL when one answers at
 * BASTION_TEST_MYSQL_URL (default: the local server as root with no password).
 * Each suite gets a database of its own and drops it afterwards.
 */
export const MYSQL_ADMIN_URL = process.env['BASTION_TEST_MYSQL_URL'] ?? 'mysql://root@127.0.0.1:3306/';

export async function probeMariadb(): Promise<{ ok: true; version: string } | { ok: false; reason: string }> {
  try {
    const connection = await mysql.createConnection({ uri: MYSQL_ADMIN_URL, connectTimeout: 3000 });
    try {
      const [rows] = await connection.query<mysql.RowDataPacket[]>('SELECT VERSION() AS v');
      return { ok: true, version: String(rows[0]?.['v']) };
    } finally {
      await connection.end().catch(() => undefined);
    }
  } catch (error) {
    return { ok: false, reason: `MariaDB/MySQL not reachable at ${redactText(MYSQL_ADMIN_URL)} (${(error as Error).message})` };
  }
}

/** Whether the MariaDB suites run; reported once by the global setup. */
export const mariadb = await probeMariadb();
if (!mariadb.ok && process.env['BASTION_REQUIRE_MARIADB'] === '1') throw new Error(`BASTION_REQUIRE_MARIADB=1 but ${mariadb.reason}`);

export interface TestMysqlDatabase {
  url: string;
  name: string;
  /** Runs SQL as the admin user, outside Bastion, to set up or check effects. */
  admin(sql: string, params?: unknown[]): Promise<mysql.RowDataPacket[]>;
  drop(): Promise<void>;
}

export async function createMysqlDatabase(): Promise<TestMysqlDatabase> {
  const name = `bastion_t_${randomBytes(5).toString('hex')}`;
  const root = await mysql.createConnection({ uri: MYSQL_ADMIN_URL });
  await root.query(`CREATE DATABASE \`${name}\``);
  await root.end();
  const url = withDatabase(MYSQL_ADMIN_URL, name);
  const admin = await mysql.createConnection({ uri: url, multipleStatements: true });
  admin.on('error', () => undefined);
  return {
    url,
    name,
    admin: async (sql, params) => (await admin.query<mysql.RowDataPacket[]>(sql, params))[0],
    async drop() {
      await admin.end().catch(() => undefined);
      const r = await mysql.createConnection({ uri: MYSQL_ADMIN_URL });
      await r.query(`DROP DATABASE IF EXISTS \`${name}\``);
      await r.end();
    },
  };
}
