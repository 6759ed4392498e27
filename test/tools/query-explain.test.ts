/**
 * `query` takes an EXPLAIN exactly as the `explain` tool does, on every engine:
 * the same plan comes back, and whatever explain refuses — ANALYZE (which runs the
 * statement), an EXPLAIN of a write, a denied column — query refuses too. The
 * attacks are judged by effect: the rows are still there and the function with a
 * side effect never ran.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, rowsOf, startBastion, type TestBastion } from '../helpers/bastion.js';
import { createMysqlDatabase, mariadb } from '../helpers/mariadb.js';
import { createTestDatabase, postgres } from '../helpers/postgres.js';
import { cleanup, makeTempDir } from '../helpers/spawn.js';

interface EngineCase {
  source: Record<string, unknown>;
  sql?: Record<string, unknown>;
  /** A column the analyst role may not read, as schema.table.column. */
  deniedColumn: string;
  /** An EXPLAIN the explain tool accepts, with its parameters. */
  plan: { sql: string; params: unknown[] };
  /** An EXPLAIN that names the denied column. */
  deniedPlan: string;
  /** Statements that would change data if they ran. */
  attacks: string[];
  /** Rows and side effects observed outside Bastion; must not change. */
  state: () => Promise<unknown>;
  drop: () => Promise<void>;
}

const ADMIN = { id: 'p:admin', kind: 'api_key' as const, role: 'admin', scopes: [] };
const ANALYST = { id: 'p:analyst', kind: 'api_key' as const, role: 'analyst', scopes: [] };
const QUERY_ONLY = { id: 'p:query', kind: 'api_key' as const, role: 'query_only', scopes: [] };

afterAll(async () => cleanup());

function explainSuite(label: string, enabled: boolean, setup: () => Promise<EngineCase>): void {
  describe.skipIf(!enabled)(label, () => {
    let engine: EngineCase;
    const servers: Record<string, TestBastion> = {};
    beforeAll(async () => {
      engine = await setup();
      const roles = {
        analyst: { tools: ['query', 'explain'], columns: { deny: [engine.deniedColumn] } },
        query_only: { tools: ['query'] },
      };
      const config = { sources: { main: engine.source }, roles, ...(engine.sql === undefined ? {} : { sql: engine.sql }) };
      servers['admin'] = await startBastion(config, ADMIN);
      servers['analyst'] = await startBastion(config, ANALYST);
      servers['query_only'] = await startBastion(config, QUERY_ONLY);
    });
    afterAll(async () => {
      for (const server of Object.values(servers)) await server.close();
      await engine?.drop();
    });
    const as = (who: string): TestBastion => servers[who] as TestBastion;

    it('query answers an EXPLAIN with the plan the explain tool answers', async () => {
      const args = { sql: engine.plan.sql, params: engine.plan.params };
      const viaQuery = rowsOf(await as('admin').call('query', args));
      expect(viaQuery.length).toBeGreaterThan(0);
      expect(viaQuery).toEqual(rowsOf(await as('admin').call('explain', args)));
    });

    it('EXPLAIN ANALYZE and EXPLAIN of a write are refused through query as through explain, and change nothing', async () => {
      const before = await engine.state();
      for (const sql of engine.attacks) {
        const viaQuery = await as('admin').call('query', { sql });
        expect(errorCode(viaQuery), sql).toBeDefined();
        expect(errorCode(viaQuery), sql).toBe(errorCode(await as('admin').call('explain', { sql })));
      }
      expect(await engine.state()).toEqual(before);
    });

    it('an EXPLAIN naming a denied column is refused through query as through explain, with no plan', async () => {
      const viaQuery = await as('analyst').call('query', { sql: engine.deniedPlan });
      const viaExplain = await as('analyst').call('explain', { sql: engine.deniedPlan });
      // Refused by name (MySQL, SQLite), or unknown to the statement because the PostgreSQL
      // family removes a denied column before the statement sees the table.
      expect(['DENIED_BY_POLICY', 'QUERY_FAILED']).toContain(errorCode(viaQuery));
      expect(errorCode(viaExplain)).toBe(errorCode(viaQuery));
      expect(viaQuery.structuredContent).toBeUndefined();
      expect(viaExplain.structuredContent).toBeUndefined();
    });

    it('a role without the explain tool gets no plan through query', async () => {
      const refused: CallToolResult = await as('query_only').call('query', { sql: engine.plan.sql, params: engine.plan.params });
      expect(errorCode(refused)).toBe('TOOL_NOT_ALLOWED');
      expect(refused.structuredContent).toBeUndefined();
    });
  });
}

explainSuite('EXPLAIN through query on PGlite', true, async () => {
  // The demo database is in memory and private to each server: its rows are read through one of them.
  let probe: TestBastion | undefined;
  return {
    source: { engine: 'pglite' },
    deniedColumn: 'hr.employees.ssn',
    plan: { sql: 'EXPLAIN (FORMAT JSON) SELECT id, total FROM shop.orders WHERE id = $1', params: [7] },
    deniedPlan: 'EXPLAIN VERBOSE SELECT ssn FROM hr.employees',
    attacks: ['EXPLAIN ANALYZE DELETE FROM shop.order_items', 'EXPLAIN (ANALYZE, FORMAT JSON) DELETE FROM shop.order_items', 'EXPLAIN DELETE FROM shop.order_items', 'EXPLAIN ANALYZE SELECT count(*) FROM shop.orders'],
    state: async () => {
      probe ??= await startBastion({ sources: { main: { engine: 'pglite' } } }, ADMIN);
      return rowsOf(await probe.call('query', { sql: 'SELECT count(*) FROM shop.order_items' }));
    },
    drop: async () => probe?.close(),
  };
});

explainSuite('EXPLAIN through query on PostgreSQL', postgres.ok, async () => {
  const db = await createTestDatabase();
  // Functions the config lets queries call, with a side effect whenever they run: bump writes a row
  // (the READ ONLY transaction would stop that), mark takes a session lock (nothing but the policy stops that).
  await db.admin('CREATE TABLE public.effects (n int)');
  await db.admin("CREATE FUNCTION public.bump() RETURNS int LANGUAGE sql AS 'INSERT INTO public.effects VALUES (1) RETURNING n'");
  await db.admin("CREATE FUNCTION public.mark() RETURNS int LANGUAGE sql AS 'SELECT pg_advisory_lock(424242); SELECT 1'");
  const marks = "(SELECT count(*) FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND objid = 424242 AND database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))";
  return {
    source: { engine: 'postgres', url: db.url },
    sql: { allow_functions: ['public.bump', 'public.mark'] },
    deniedColumn: 'hr.employees.ssn',
    plan: { sql: 'EXPLAIN SELECT id, total FROM shop.orders WHERE id = $1', params: [7] },
    deniedPlan: 'EXPLAIN VERBOSE SELECT ssn FROM hr.employees',
    attacks: [
      'EXPLAIN ANALYZE SELECT public.bump()',
      'EXPLAIN (ANALYZE, FORMAT JSON) SELECT public.bump()',
      'EXPLAIN ANALYZE SELECT public.mark()',
      'EXPLAIN (ANALYZE true, COSTS off) SELECT public.mark()',
      'EXPLAIN ANALYZE DELETE FROM shop.order_items',
      'EXPLAIN (ANALYZE off) DELETE FROM shop.order_items',
      'EXPLAIN DELETE FROM shop.order_items',
    ],
    state: async (): Promise<unknown> => (await db.admin(`SELECT (SELECT count(*) FROM shop.order_items) AS items, (SELECT count(*) FROM public.effects) AS effects, ${marks} AS marks`)).rows as unknown,
    drop: () => db.drop(),
  };
});

explainSuite('EXPLAIN through query on MySQL/MariaDB', mariadb.ok, async () => {
  const db = await createMysqlDatabase();
  await db.admin(`
    CREATE TABLE canary (id INT PRIMARY KEY, label VARCHAR(20) NOT NULL);
    CREATE TABLE secrets (id INT PRIMARY KEY, token VARCHAR(40) NOT NULL);
    CREATE TABLE effects (n INT);
    INSERT INTO canary VALUES (1, 'a'), (2, 'b'), (3, 'c');
    INSERT INTO secrets VALUES (1, 'tok_do_not_leak');`);
  await db.admin('CREATE FUNCTION bump() RETURNS INT MODIFIES SQL DATA BEGIN INSERT INTO effects VALUES (1); RETURN 1; END');
  return {
    source: { engine: 'mysql', url: db.url },
    deniedColumn: `${db.name}.secrets.token`,
    plan: { sql: 'EXPLAIN SELECT label FROM canary WHERE id = ?', params: [2] },
    deniedPlan: 'EXPLAIN SELECT token FROM secrets',
    attacks: ['EXPLAIN ANALYZE SELECT bump()', 'EXPLAIN ANALYZE DELETE FROM canary', 'ANALYZE DELETE FROM canary', 'EXPLAIN DELETE FROM canary', 'EXPLAIN FORMAT=JSON DELETE FROM canary'],
    state: async () => db.admin('SELECT (SELECT COUNT(*) FROM canary) AS canary, (SELECT COUNT(*) FROM effects) AS effects'),
    drop: () => db.drop(),
  };
});

explainSuite('EXPLAIN through query on SQLite', true, async () => {
  const file = join(makeTempDir(), 'explain.db');
  const db = new Database(file);
  db.exec(`CREATE TABLE canary (id INTEGER PRIMARY KEY, label TEXT NOT NULL);
           CREATE TABLE secrets (id INTEGER PRIMARY KEY, token TEXT NOT NULL);
           INSERT INTO canary (label) VALUES ('a'), ('b'), ('c');
           INSERT INTO secrets (token) VALUES ('tok_do_not_leak');`);
  db.close();
  return {
    source: { engine: 'sqlite', path: file },
    deniedColumn: 'main.secrets.token',
    plan: { sql: 'EXPLAIN QUERY PLAN SELECT label FROM canary WHERE id = ?', params: [2] },
    deniedPlan: 'EXPLAIN QUERY PLAN SELECT token FROM secrets',
    attacks: ['EXPLAIN DELETE FROM canary', 'EXPLAIN QUERY PLAN DELETE FROM canary', 'EXPLAIN ANALYZE DELETE FROM canary'],
    state: async () => {
      const check = new Database(file, { readonly: true });
      try {
        return check.prepare('SELECT count(*) AS n, group_concat(label) AS labels FROM canary').get();
      } finally {
        check.close();
      }
    },
    drop: async () => undefined,
  };
});
