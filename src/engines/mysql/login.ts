import type { MysqlSourceConfig } from '../../config/schema.js';
import { LOGIN_PROBE_TIMEOUT_MS, type LoginPowers } from '../../engine/login.js';

interface MysqlGrantConnection {
  query(sql: string): Promise<[unknown, unknown]>;
  end(): Promise<void>;
}

/** Whether one `SHOW GRANTS` line gives FILE or ALL PRIVILEGES on every database. */
export function dangerousMysqlGrant(grant: string): boolean {
  const match = /^GRANT\s+(.+?)\s+ON\s+(\S+)\s+TO\b/is.exec(grant);
  if (match === null) return false;
  const privileges = (match[1] ?? '').toUpperCase();
  const global = (match[2] ?? '').replace(/`/g, '') === '*.*';
  return global && (/\bALL(?:\s+PRIVILEGES)?\b/.test(privileges) || /(?:^|,)\s*FILE\s*(?:,|$)/.test(privileges));
}

/** The source's login: whether `SHOW GRANTS` gives it FILE or ALL PRIVILEGES on *.*. */
export async function probeMysqlLogin(source: MysqlSourceConfig): Promise<LoginPowers | undefined> {
  try {
    const mysql = await import('mysql2/promise');
    const connection = (await mysql.createConnection({ uri: source.url, connectTimeout: LOGIN_PROBE_TIMEOUT_MS })) as unknown as MysqlGrantConnection;
    try {
      const [rows] = await connection.query('SHOW GRANTS');
      const grants = (rows as Record<string, unknown>[]).map((row) => String(Object.values(row)[0]));
      const [packet] = await connection.query('SELECT @@GLOBAL.max_allowed_packet AS p');
      const maxAllowedPacket = Number((packet as Record<string, unknown>[])[0]?.['p']);
      return { engine: 'mysql', fileGrant: grants.some(dangerousMysqlGrant), ...(Number.isSafeInteger(maxAllowedPacket) ? { maxAllowedPacket } : {}) };
    } finally {
      await connection.end().catch(() => undefined);
    }
  } catch {
    return undefined;
  }
}
