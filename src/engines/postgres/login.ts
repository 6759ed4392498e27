import type { PostgresSourceConfig } from '../../config/schema.js';
import { LOGIN_PROBE_TIMEOUT_MS, type LoginPowers } from '../../engine/login.js';
import { readTempFileLimit } from './temp-file-limit.js';

const PG_FILE_ROLES = ['pg_read_server_files', 'pg_write_server_files', 'pg_execute_server_program'];

/** The source's login role: superuser or not, and its memberships of the roles that read and write server files or run programs. */
export async function probePostgresLogin(source: PostgresSourceConfig): Promise<LoginPowers | undefined> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({
    connectionString: source.url,
    connectionTimeoutMillis: LOGIN_PROBE_TIMEOUT_MS,
    query_timeout: LOGIN_PROBE_TIMEOUT_MS,
    options: '-c default_transaction_read_only=on',
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const result = await client.query<{ role: string; superuser: boolean; file_roles: string[] | null }>(
      `SELECT current_user AS role,
              (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) AS superuser,
              (SELECT array_agg(rolname::text ORDER BY rolname) FROM pg_catalog.pg_roles
                 WHERE rolname = ANY($1::text[]) AND pg_catalog.pg_has_role(current_user, oid, 'MEMBER')) AS file_roles`,
      [PG_FILE_ROLES],
    );
    const row = result.rows[0];
    if (row === undefined) return undefined;
    const tempFiles = await readTempFileLimit((sql) => client.query<Record<string, unknown>>(sql).then((r) => r.rows));
    return { engine: 'postgres', role: row.role, superuser: row.superuser, fileRoles: row.file_roles ?? [], tempFiles };
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}
