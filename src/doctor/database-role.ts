import type { BastionConfig, MysqlSourceConfig, PostgresSourceConfig } from '../config/schema.js';
import { fail, pass, warn, type Check } from './check.js';

/**
 * `database-role`: what the login role of each server source could do if every
 * other control failed. A superuser, or a member of the roles that read and write
 * server files or run programs, turns one missed SQL check into the host. Drivers
 * load only when such a source is configured; connections are short and read-only.
 */

const PROBE_TIMEOUT_MS = 3000;
const PG_FILE_ROLES = ['pg_read_server_files', 'pg_write_server_files', 'pg_execute_server_program'];
const FIX_PG = 'Connect as a dedicated role without SUPERUSER or the pg_*_server_* roles, granted SELECT on what the assistant needs.';
const FIX_MYSQL = 'Connect as a dedicated user granted SELECT on the needed schemas only, without FILE or ALL PRIVILEGES ON *.*.';

/** `connecting` is told each source's name before its probe (a progress line; up to 3 s each when unreachable). */
export async function checkDatabaseRoles(config: BastionConfig, connecting?: (name: string) => void): Promise<Check[]> {
  const checks: Check[] = [];
  for (const [name, source] of Object.entries(config.sources)) {
    if (source.engine !== 'postgres' && source.engine !== 'mysql') continue;
    connecting?.(name);
    checks.push(source.engine === 'postgres' ? await checkPostgresRole(name, source) : await checkMysqlRole(name, source));
  }
  if (checks.length > 0) return checks;
  return [pass('database-role', 'Database roles', 'No PostgreSQL or MySQL source (embedded engines have no server roles).')];
}

function unreachable(name: string, engine: string): Check {
  return warn(
    'database-role',
    `Database role of ${name}`,
    `Could not connect to the ${engine} source ${name} to check its role.`,
    'Run doctor where the database is reachable, with the same environment as the server.',
  );
}

export async function checkPostgresRole(name: string, source: PostgresSourceConfig): Promise<Check> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({
    connectionString: source.url,
    connectionTimeoutMillis: PROBE_TIMEOUT_MS,
    query_timeout: PROBE_TIMEOUT_MS,
    options: '-c default_transaction_read_only=on',
  });
  client.on('error', () => undefined);
  let row: { role: string; superuser: boolean; file_roles: string[] | null } | undefined;
  try {
    await client.connect();
    const result = await client.query<{ role: string; superuser: boolean; file_roles: string[] | null }>(
      `SELECT current_user AS role,
              (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) AS superuser,
              (SELECT array_agg(rolname::text ORDER BY rolname) FROM pg_catalog.pg_roles
                 WHERE rolname = ANY($1::text[]) AND pg_catalog.pg_has_role(current_user, oid, 'MEMBER')) AS file_roles`,
      [PG_FILE_ROLES],
    );
    row = result.rows[0];
  } catch {
    return unreachable(name, 'PostgreSQL');
  } finally {
    await client.end().catch(() => undefined);
  }
  const title = `Database role of ${name}`;
  if (row === undefined) return unreachable(name, 'PostgreSQL');
  if (row.superuser) {
    return fail('database-role', title, `Source ${name} connects as ${row.role}, a superuser: it can read and write any file and run programs on the database host.`, FIX_PG);
  }
  const roles = row.file_roles ?? [];
  if (roles.length > 0) {
    return fail('database-role', title, `Source ${name} connects as ${row.role}, a member of ${roles.join(', ')}.`, FIX_PG);
  }
  return pass('database-role', title, `Source ${name} connects as ${row.role}: not a superuser, no server-file roles.`);
}

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

export async function checkMysqlRole(name: string, source: MysqlSourceConfig): Promise<Check> {
  const title = `Database role of ${name}`;
  let grants: string[];
  try {
    const mysql = await import('mysql2/promise');
    const connection = (await mysql.createConnection({ uri: source.url, connectTimeout: PROBE_TIMEOUT_MS })) as unknown as MysqlGrantConnection;
    try {
      const [rows] = await connection.query('SHOW GRANTS');
      grants = (rows as Record<string, unknown>[]).map((row) => String(Object.values(row)[0]));
    } finally {
      await connection.end().catch(() => undefined);
    }
  } catch {
    return unreachable(name, 'MySQL/MariaDB');
  }
  if (grants.some(dangerousMysqlGrant)) {
    return fail('database-role', title, `Source ${name} connects as a user holding FILE or ALL PRIVILEGES on *.*: it can read and write files on the database host.`, FIX_MYSQL);
  }
  return pass('database-role', title, `Source ${name}: no FILE or global ALL PRIVILEGES grant.`);
}
