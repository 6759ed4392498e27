/**
 * A resource corpus on MariaDB, by effect, like PostgreSQL's (postgres-temp-files.test.ts).
 * Read-only statements that sort, group, recurse or multiply tables without end pass the
 * guard and are ended by the server's own time limit (max_statement_time): the call answers
 * promptly and 3 s later nothing of it runs on the server. Statements that build huge values
 * answer an error, a truncation or the server's own refusal (NULL past max_allowed_packet), and
 * the next call is answered. MariaDB 10.11 has no per-session bound on temporary-table disk
 * (SECURITY.md, known limits): the time limit is what ends a spilling statement.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sourceSchema, type MysqlSourceConfig } from '../../src/config/schema.js';
import { BastionError } from '../../src/errors/codes.js';
import type { EngineParts } from '../../src/engine/parts.js';
import type { ReadResult } from '../../src/engine/source.js';
import { openMysqlEngine } from '../../src/engines/mysql/index.js';
import { createLogger } from '../../src/log/logger.js';
import { createMysqlDatabase, mariadb, type TestMysqlDatabase } from '../helpers/mariadb.js';

const log = createLogger('silent');
const LIMIT_MS = 2000;
const CAP = { maxRows: 100, maxBytes: 1 << 20 };

async function outcomeOf(promise: Promise<ReadResult>): Promise<{ code?: string; result?: ReadResult }> {
  try {
    return { result: await promise };
  } catch (error) {
    return { code: error instanceof BastionError ? error.code : `RAW ${String(error)}` };
  }
}

describe.skipIf(!mariadb.ok)('MariaDB: a resource corpus by effect', () => {
  let db: TestMysqlDatabase;
  let parts: EngineParts;

  beforeAll(async () => {
    db = await createMysqlDatabase();
    await db.admin('CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(100) NOT NULL) ENGINE=InnoDB; INSERT INTO t SELECT seq, MD5(seq) FROM seq_1_to_1000');
    const config = sourceSchema.parse({ engine: 'mysql', url: db.url, statement_timeout_ms: LIMIT_MS, pool: { max: 3 } }) as MysqlSourceConfig;
    parts = await openMysqlEngine('resources', config, log);
  });
  afterAll(async () => {
    await parts?.source.close();
    await db?.drop();
  });

  /** Server threads still running a statement that carries `marker` (never the admin's own). */
  async function running(marker: string): Promise<number> {
    const rows = await db.admin("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE ? AND ID <> CONNECTION_ID() AND COMMAND <> 'Sleep'", [`%${marker}%`]);
    return Number(rows[0]?.['n']);
  }

  /** The statement as the query tool runs it: through the guard, which must let it pass. */
  function read(sql: string): Promise<ReadResult> {
    const checked = parts.guard.checkRead(sql, 'query');
    return parts.source.read({ sql: checked.sql, params: [], ...CAP });
  }

  async function nextCallAnswered(): Promise<void> {
    expect((await read('SELECT COUNT(*) AS n FROM t')).rows).toEqual([[1000]]);
  }

  const RUNAWAYS: [string, (marker: string) => string][] = [
    ['a sort of a billion rows (filesort to disk)', (m) => `SELECT a.id AS ${m} FROM t a, t b, t c ORDER BY MD5(a.id + b.id + c.id) LIMIT 1`],
    ['a grouping over a billion rows (temporary table to disk)', (m) => `SELECT COUNT(*) AS ${m} FROM (SELECT a.id * 1000000 + b.id * 1000 + c.id AS k, COUNT(*) AS n FROM t a, t b, t c GROUP BY k) AS s`],
    ['a cartesian product', (m) => `SELECT COUNT(*) AS ${m} FROM t a, t b, t c, t d`],
    ['a distinct over a billion rows', (m) => `SELECT COUNT(DISTINCT CONCAT(a.v, b.v, c.v)) AS ${m} FROM t a, t b, t c`],
    ['a recursive CTE', (m) => `WITH RECURSIVE n (x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n, t WHERE x < 1000000000) SELECT COUNT(*) AS ${m} FROM n`],
  ];
  for (const [name, build] of RUNAWAYS) {
    it(`${name} ends by the time limit, nothing of it runs 3 s later, and the next call is answered`, async () => {
      const marker = `res_${randomBytes(3).toString('hex')}`;
      const started = Date.now();
      const outcome = await outcomeOf(read(build(marker)));
      const elapsed = Date.now() - started;
      // The recursive CTE may also stop at max_recursive_iterations, with an answer.
      if (outcome.code !== undefined) expect(outcome.code).toBe('QUERY_TIMEOUT');
      expect(elapsed).toBeLessThan(LIMIT_MS + 4000);
      await expect.poll(() => running(marker), { timeout: 3000, interval: 100 }).toBe(0);
      console.log(`mariadb corpus: ${name}: ${outcome.code ?? 'answered'} after ${elapsed} ms`);
      await nextCallAnswered();
    }, 30_000);
  }

  const HUGE: [string, string][] = [
    ['a 200 MiB REPEAT (past max_allowed_packet: the server answers NULL)', "SELECT REPEAT('x', 200 * 1024 * 1024) AS v"],
    ['a 15 MiB REPEAT per row', "SELECT id, REPEAT('x', 15 * 1024 * 1024) AS v FROM t"],
    ['GROUP_CONCAT of a thousand 1 MB values (group_concat_max_len)', "SELECT GROUP_CONCAT(REPEAT('x', 1000000)) AS v FROM t"],
    ['a JSON array of a thousand 1 MB values', "SELECT JSON_ARRAYAGG(REPEAT('x', 1000000)) AS v FROM t"],
    ['LPAD to 1 GB', "SELECT LPAD('x', 1000000000, 'y') AS v"],
  ];
  for (const [name, sql] of HUGE) {
    it(`${name}: an error, a truncation or a small answer, and the next call is answered`, async () => {
      const outcome = await outcomeOf(read(sql));
      if (outcome.code !== undefined) expect(outcome.code).toMatch(/^(QUERY_FAILED|QUERY_TIMEOUT)$/);
      else expect(outcome.result?.bytes).toBeLessThanOrEqual(CAP.maxBytes);
      const answered = outcome.result === undefined ? outcome.code : `${outcome.result.rows.length} rows, ${outcome.result.bytes} bytes, truncated_by ${outcome.result.truncatedBy ?? '-'}`;
      console.log(`mariadb corpus: ${name}: ${String(answered)}`);
      await nextCallAnswered();
    }, 30_000);
  }
});
