import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { configSchema, type BastionConfig } from '../../src/config/schema.js';
import type { Check } from '../../src/doctor/check.js';
import { checkDatabaseRoles, judgeValueSize } from '../../src/doctor/database-role.js';
import { dangerousMysqlGrant } from '../../src/engines/mysql/login.js';
import { MYSQL_ADMIN_URL, mariadb } from '../helpers/mariadb.js';
import { PG_ADMIN_URL, postgres } from '../helpers/postgres.js';

function config(sources: Record<string, unknown>): BastionConfig {
  return configSchema.parse({ sources });
}

function withUser(url: string, user: string, password: string): string {
  const u = new URL(url);
  u.username = user;
  u.password = password;
  return u.toString();
}

describe('database-role without a server', () => {
  it('embedded engines are skipped and an unreachable server only warns', async () => {
    expect((await checkDatabaseRoles(config({ demo: { engine: 'pglite' } })))[0]?.status).toBe('pass');
    const checks = await checkDatabaseRoles(config({ gone: { engine: 'postgres', url: 'postgres://u:p@127.0.0.1:1/d' }, gone2: { engine: 'mysql', url: 'mysql://u:p@127.0.0.1:1/d' } }));
    expect(checks.map((c) => c.status)).toEqual(['warn', 'warn']);
    expect(JSON.stringify(checks)).not.toContain('u:p@');
  });

  it('SHOW GRANTS lines with FILE or ALL PRIVILEGES on *.* are dangerous, others are not', () => {
    expect(dangerousMysqlGrant('GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION')).toBe(true);
    expect(dangerousMysqlGrant('GRANT SELECT, FILE ON *.* TO `app`@`%`')).toBe(true);
    expect(dangerousMysqlGrant('GRANT USAGE ON *.* TO `app`@`%`')).toBe(false);
    expect(dangerousMysqlGrant('GRANT SELECT ON `shop`.* TO `app`@`%`')).toBe(false);
    expect(dangerousMysqlGrant('GRANT SELECT, PROFILE ON *.* TO `app`@`%`')).toBe(false);
  });
});

describe.skipIf(!postgres.ok)('database-role on PostgreSQL', () => {
  const role = `bastion_doc_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(12).toString('hex');
  const admin = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: PG_ADMIN_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  afterAll(async () => {
    if (postgres.ok) await admin(`DROP ROLE IF EXISTS ${role}`);
  });

  it('connecting as the superuser fails; a plain role passes; a member of pg_read_server_files fails', async () => {
    expect((await checkDatabaseRoles(config({ main: { engine: 'postgres', url: PG_ADMIN_URL } })))[0]?.status).toBe('fail');
    await admin(`CREATE ROLE ${role} LOGIN PASSWORD '${password}'`);
    const low = config({ main: { engine: 'postgres', url: withUser(PG_ADMIN_URL, role, password) } });
    const plain = (await checkDatabaseRoles(low))[0];
    expect(plain?.status).toBe('pass');
    await admin(`GRANT pg_read_server_files TO ${role}`);
    const member = (await checkDatabaseRoles(low))[0];
    expect(member?.status).toBe('fail');
    expect(member?.detail).toContain('pg_read_server_files');
    expect(JSON.stringify(member)).not.toContain(password);
  });

  it('temporary files: a login that may not set temp_file_limit and has none fails with the ALTER ROLE line; its own limit or a GRANT SET passes', async () => {
    const tempRole = `${role}_tmp`;
    const source = config({ main: { engine: 'postgres', url: withUser(PG_ADMIN_URL, tempRole, password) } });
    const tempCheck = async (): Promise<Check | undefined> => (await checkDatabaseRoles(source)).find((c) => c.id === 'database-temp-files');
    try {
      await admin(`CREATE ROLE ${tempRole} LOGIN PASSWORD '${password}'`);
      const none = await tempCheck();
      expect(none?.status).toBe('fail');
      expect(none?.fix).toContain(`ALTER ROLE ${tempRole} SET temp_file_limit = '1GB'`);
      await admin(`ALTER ROLE ${tempRole} SET temp_file_limit = '512MB'`);
      const own = await tempCheck();
      expect(own?.status).toBe('pass');
      expect(own?.detail).toContain('512MB');
      await admin(`ALTER ROLE ${tempRole} RESET temp_file_limit`);
      expect((await tempCheck())?.status).toBe('fail');
      const version = Number((await pgScalar("SELECT current_setting('server_version_num')")) ?? 0);
      if (version >= 150000) {
        await admin(`GRANT SET ON PARAMETER temp_file_limit TO ${tempRole}`);
        expect((await tempCheck())?.status).toBe('pass');
        await admin(`REVOKE SET ON PARAMETER temp_file_limit FROM ${tempRole}`);
      }
    } finally {
      await admin(`DROP ROLE IF EXISTS ${tempRole}`);
    }
  });
});

async function pgScalar(sql: string): Promise<unknown> {
  const client = new pg.Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    return Object.values((await client.query(sql)).rows[0] as Record<string, unknown>)[0];
  } finally {
    await client.end();
  }
}

describe.skipIf(!mariadb.ok)('database-role on MariaDB/MySQL', () => {
  it('connecting as root (ALL PRIVILEGES ON *.*) fails', async () => {
    const checks = await checkDatabaseRoles(config({ shop: { engine: 'mysql', url: MYSQL_ADMIN_URL } }));
    expect(checks[0]?.status).toBe('fail');
  });

  it("reads the server's max_allowed_packet: the default (16 MiB on MariaDB) passes", async () => {
    const checks = await checkDatabaseRoles(config({ shop: { engine: 'mysql', url: MYSQL_ADMIN_URL } }));
    const size = checks.find((check) => check.id === 'database-value-size');
    expect(size?.status).toBe('pass');
    expect(size?.detail).toMatch(/at most \d+ MiB \(max_allowed_packet\)/);
  });
});

describe('database-value-size', () => {
  it('warns when the server builds values past 64 MiB (each connection may hold one), passes at 64 MiB', () => {
    expect(judgeValueSize('shop', 1024 * 1024 * 1024)).toMatchObject({ status: 'warn', detail: expect.stringContaining('1024 MiB') as unknown });
    expect(judgeValueSize('shop', 64 * 1024 * 1024).status).toBe('pass');
  });
});
