/**
 * Caps are enforced while reading, and runaway statements are stopped by the
 * engine (PostgreSQL's statement_timeout) or by terminating PGlite's worker.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Source } from '../../src/engine/source.js';
import { errorCode, rowsOf, startBastion, type TestBastion } from '../helpers/bastion.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';

function capSuite(label: string, setup: () => Promise<{ bastion: TestBastion; cleanup: () => Promise<void> }>): void {
  describe(label, () => {
    let bastion: TestBastion;
    let cleanup: () => Promise<void>;
    let source: Source;
    beforeAll(async () => {
      ({ bastion, cleanup } = await setup());
      source = bastion.ctx.sources.list()[0]!.source;
    });
    afterAll(async () => cleanup());

    it('stops at the row cap and says the result is truncated', async () => {
      const result = await bastion.call('query', { sql: 'SELECT * FROM shop.order_items ORDER BY order_id, product_id' });
      const structured = result.structuredContent as { row_count: number; truncated: boolean; truncated_by: string };
      expect(structured.row_count).toBe(50);
      expect(structured.truncated).toBe(true);
      expect(structured.truncated_by).toBe('rows');
    });

    it('max_rows lowers the cap but can never raise it', async () => {
      const low = await bastion.call('query', { sql: 'SELECT id FROM shop.orders', max_rows: 3 });
      expect(rowsOf(low)).toHaveLength(3);
      const high = await bastion.call('query', { sql: 'SELECT id FROM shop.orders', max_rows: 5000 });
      expect(errorCode(high)).toBe('INVALID_ARGUMENT');
    });

    it('a result that fits is returned whole, not truncated', async () => {
      const result = await bastion.call('query', { sql: 'SELECT id FROM shop.orders WHERE id <= 10' });
      expect(rowsOf(result)).toHaveLength(10);
      expect((result.structuredContent as { truncated: boolean }).truncated).toBe(false);
    });

    it('a result larger than the first batch but under the caps comes back whole, every time', async () => {
      for (let i = 0; i < 3; i++) {
        const result = await source.read({ sql: 'SELECT id FROM shop.orders WHERE id <= 250 ORDER BY id', params: [], maxRows: 1000, maxBytes: 1 << 20 });
        expect(result.truncated).toBe(false);
        expect(result.rows).toHaveLength(250);
        expect(result.rows.at(-1)).toEqual([250]);
      }
    });

    it('stops at the byte cap before building the rest', async () => {
      const result = await source.read({ sql: "SELECT repeat('x', 1000) FROM generate_series(1, 100)", params: [], maxRows: 1000, maxBytes: 10_000 });
      expect(result.truncated).toBe(true);
      expect(result.truncatedBy).toBe('bytes');
      expect(result.rows.length).toBeLessThan(10);
      expect(result.bytes).toBeLessThanOrEqual(10_000);
    });

    it('an endless result set is cut off at the cap instead of being read whole', async () => {
      // The recursive CTE never ends; only a read that stops at the cap can answer at all.
      const result = await bastion.call('query', { sql: 'WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) SELECT n FROM r' });
      expect(rowsOf(result)).toHaveLength(50);
      expect((result.structuredContent as { truncated: boolean }).truncated).toBe(true);
    });

    it('a runaway statement is cancelled with QUERY_TIMEOUT and the source keeps working', async () => {
      const result = await bastion.call('query', { sql: 'SELECT count(*) FROM generate_series(1, 10000000000) AS g' });
      expect(errorCode(result)).toBe('QUERY_TIMEOUT');
      const after = await bastion.call('query', { sql: 'SELECT count(*) AS n FROM shop.customers' });
      expect(rowsOf(after)).toEqual([[500]]);
    });

    it('parameters are bound as values, never spliced into the SQL', async () => {
      const result = await bastion.call('query', {
        sql: 'SELECT count(*) FROM shop.customers WHERE email = $1',
        params: ["' OR 1=1 --"],
      });
      expect(rowsOf(result)).toEqual([[0]]);
      const arrays = await bastion.call('query', { sql: 'SELECT count(*) FROM shop.customers WHERE id = ANY($1::int[])', params: [[1, 2, 3]] });
      expect(rowsOf(arrays)).toEqual([[3]]);
    });

    it('the wrong number of parameters is refused before the database sees it', async () => {
      const result = await bastion.call('query', { sql: 'SELECT $1::int', params: [] });
      expect(errorCode(result)).toBe('INVALID_ARGUMENT');
    });

    it('values keep their precision: numeric stays exact text, json is parsed', async () => {
      const result = await bastion.call('query', {
        sql: "SELECT 12345678901234567890.123::numeric AS n, 9007199254740993::int8 AS big, 42::int8 AS small, '{\"a\":1}'::jsonb AS j, true AS b, NULL::text AS z",
      });
      expect(rowsOf(result)).toEqual([['12345678901234567890.123', '9007199254740993', 42, { a: 1 }, true, null]]);
    });
  });
}

const LIMITS = { max_rows: 50, max_bytes: 1024 * 1024 };

capSuite('PGlite: caps and timeouts', async () => {
  const bastion = await startBastion({ sources: { demo: { engine: 'pglite', statement_timeout_ms: 1500 } }, limits: LIMITS });
  return { bastion, cleanup: () => bastion.close() };
});

describe.skipIf(!postgres.ok)('PostgreSQL', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => db.drop());

  capSuite('PostgreSQL: caps and timeouts', async () => {
    const bastion = await startBastion({ sources: { main: { engine: 'postgres', url: db.url, statement_timeout_ms: 1500 } }, limits: LIMITS });
    return { bastion, cleanup: () => bastion.close() };
  });

  it('a statement run again batch by batch gets what is left of the time limit, not a second one', async () => {
    // More rows than the first batch, and a sort that computes every row before the first:
    // each run of it takes at least 300 × 6 ms. Within 2.5 s in all there is no room for two.
    const bastion = await startBastion({ sources: { main: { engine: 'postgres', url: db.url, statement_timeout_ms: 2500 } } });
    try {
      const source = bastion.ctx.sources.resolve('main').source;
      const sql = 'SELECT g FROM generate_series(1, 300) g WHERE pg_sleep(0.006) IS NOT NULL ORDER BY g DESC';
      const outcome = await source.read({ sql, params: [], maxRows: 1000, maxBytes: 1 << 20 }).then(
        (result) => `${result.rows.length} rows`,
        (error: unknown) => (error as { code?: string }).code,
      );
      expect(outcome).toBe('QUERY_TIMEOUT');
      // Nothing of it is left running on the server.
      const running = await db.admin("SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND query LIKE '%pg_sleep(0.006)%' AND state = 'active' AND pid <> pg_backend_pid()", [db.name]);
      expect((running.rows[0] as { n: number }).n).toBe(0);
    } finally {
      await bastion.close();
    }
  });

  it('a connection that saw an error is discarded, and the pool keeps serving read-only', async () => {
    const bastion = await startBastion({ sources: { main: { engine: 'postgres', url: db.url, pool: { max: 1 } } } });
    try {
      const source = bastion.ctx.sources.resolve('main').source;
      const readPid = async (): Promise<unknown> => (await source.read({ sql: 'SELECT pg_backend_pid()', params: [], maxRows: 1, maxBytes: 100 })).rows[0]?.[0];
      const first = await readPid();
      expect(await readPid()).toBe(first); // a clean call returns its connection to the pool
      const failed = await bastion.call('query', { sql: 'SELECT 1/0' });
      expect(errorCode(failed)).toBe('QUERY_FAILED');
      const afterError = await readPid();
      expect(afterError).not.toBe(first); // the connection that failed was destroyed
      const ro = await source.read({ sql: "SELECT current_setting('transaction_read_only')", params: [], maxRows: 1, maxBytes: 100 });
      expect(ro.rows[0]?.[0]).toBe('on');
    } finally {
      await bastion.close();
    }
  });
});
