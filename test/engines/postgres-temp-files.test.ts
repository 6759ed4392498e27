/**
 * Read-only statements can still fill the database's disk: a huge sort, hash or
 * materialised series spills to pgsql_tmp. Every call sets temp_file_limit (when the
 * login may) and work_mem. By effect on the real server: the bombs end with SQLSTATE
 * 53400, the backend's temporary files never grew past the limit while they ran, and a
 * login that may not set the limit still works (without it), while one granted SET
 * ON PARAMETER gets it.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceSchema, type PostgresSourceConfig } from '../../src/config/schema.js';
import { BastionError } from '../../src/errors/codes.js';
import { PostgresSource } from '../../src/engines/postgres/source.js';
import { createLogger } from '../../src/log/logger.js';
import { createTestDatabase, PG_ADMIN_URL, postgres, type TestDatabase } from '../helpers/postgres.js';

const log = createLogger('silent');
const LIMIT_MB = 64;

describe.skipIf(!postgres.ok)('PostgreSQL: temp_file_limit and work_mem per call', () => {
  let db: TestDatabase;
  const sources: PostgresSource[] = [];
  const role = `bastion_tmp_${randomBytes(4).toString('hex')}`;
  let version = 0;

  beforeAll(async () => {
    db = await createTestDatabase({ seed: false });
    version = Number((await db.admin("SELECT current_setting('server_version_num') AS v")).rows[0].v);
    await db.admin(`CREATE ROLE ${role} LOGIN`);
  });
  afterAll(async () => {
    for (const source of sources) await source.close();
    if (version >= 150000) await db?.admin(`REVOKE SET ON PARAMETER temp_file_limit FROM ${role}`).catch(() => undefined);
    await db?.drop();
    if (!postgres.ok) return;
    const root = new pg.Client({ connectionString: PG_ADMIN_URL });
    await root.connect();
    await root.query(`DROP ROLE IF EXISTS ${role}`).finally(() => root.end());
  });

  function source(options: Record<string, unknown> = {}, user?: string): PostgresSource {
    const url = new URL(db.url);
    if (user !== undefined) url.username = user;
    const config = sourceSchema.parse({ engine: 'postgres', url: url.toString(), temp_file_limit_mb: LIMIT_MB, statement_timeout_ms: 60_000, ...options }) as PostgresSourceConfig;
    const made = new PostgresSource('main', config, log);
    sources.push(made);
    return made;
  }

  /** Bytes in pgsql_tmp of the test database's backends now running a statement other than ours. */
  async function tempBytesOfCalls(): Promise<number> {
    const result = await db.admin(
      `SELECT coalesce(sum(t.size), 0)::bigint AS bytes
         FROM pg_catalog.pg_ls_tmpdir() AS t
         JOIN pg_catalog.pg_stat_activity AS a ON t.name LIKE 'pgsql_tmp' || a.pid || '.%'
        WHERE a.datname = $1 AND a.pid <> pg_backend_pid()`,
      [db.name],
    );
    return Number((result.rows[0] as { bytes: string }).bytes);
  }

  /** Runs the read while sampling its backend's temporary files; the largest sample and how the read ended. */
  async function readWhileSampling(target: PostgresSource, sql: string): Promise<{ error: unknown; peak: number; samples: number }> {
    let done = false;
    let peak = 0;
    let samples = 0;
    const sampler = (async () => {
      while (!done) {
        peak = Math.max(peak, await tempBytesOfCalls());
        samples++;
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    })();
    const error = await target.read({ sql, params: [], maxRows: 10, maxBytes: 10_000 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    done = true;
    await sampler;
    return { error, peak, samples };
  }

  async function stillRunning(): Promise<number> {
    const result = await db.admin("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND state = 'active'", [db.name]);
    return (result.rows[0] as { n: number }).n;
  }

  const BOMBS = {
    'a 2e10-row series (materialised)': 'SELECT count(*) FROM generate_series(1, 2e10)',
    'a large sort': 'SELECT g FROM generate_series(1, 30000000) AS g ORDER BY md5(g::text) OFFSET 29999999',
    'a hash aggregate over many groups': 'SELECT count(*) FROM (SELECT g % 20000000 AS k, count(*) FROM generate_series(1, 40000000) AS g GROUP BY 1) AS s',
  };

  for (const [name, sql] of Object.entries(BOMBS)) {
    it(`${name} ends with temp_file_limit exceeded, never above the limit on disk`, async () => {
      const { error, peak } = await readWhileSampling(source(), sql);
      expect(error).toBeInstanceOf(BastionError);
      expect((error as BastionError).code).toBe('QUERY_FAILED');
      expect((error as BastionError).message).toContain('temp_file_limit');
      expect(((error as BastionError).detail as { code?: string }).code).toBe('53400');
      expect(peak).toBeLessThanOrEqual(LIMIT_MB * 1024 * 1024);
      await expect.poll(stillRunning, { timeout: 15_000, interval: 50 }).toBe(0);
      expect(await tempBytesOfCalls()).toBe(0);
    }, 90_000);
  }

  it('the limits are set per call, before SET LOCAL ROLE (a role without any power still gets them)', async () => {
    const result = await source({ role, work_mem_mb: 32 }).read({
      sql: "SELECT current_setting('temp_file_limit') AS t, current_setting('work_mem') AS w, current_user AS u",
      params: [],
      maxRows: 1,
      maxBytes: 1000,
    });
    expect(result.rows).toEqual([[`${LIMIT_MB}MB`, '32MB', role]]);
  });

  it('a login that may not set temp_file_limit still reads (without it); granted SET ON PARAMETER it gets the limit', async () => {
    const settings = "SELECT current_setting('temp_file_limit') AS t, current_setting('work_mem') AS w";
    const plain = await source({}, role).read({ sql: settings, params: [], maxRows: 1, maxBytes: 1000 });
    expect(plain.rows).toEqual([['-1', '16MB']]);
    if (version < 150000) return;
    await db.admin(`GRANT SET ON PARAMETER temp_file_limit TO ${role}`);
    const granted = source({}, role);
    expect((await granted.read({ sql: settings, params: [], maxRows: 1, maxBytes: 1000 })).rows).toEqual([[`${LIMIT_MB}MB`, '16MB']]);
    const { error } = await readWhileSampling(granted, BOMBS['a 2e10-row series (materialised)']);
    expect(((error as BastionError).detail as { code?: string }).code).toBe('53400');
  }, 90_000);
});
