/**
 * Denial follows data through views on SQLite (always) and MariaDB/MySQL (when one
 * answers). These engines tell which tables a view reads, not which columns, so a view
 * reading a table with any denied or masked column is denied as a whole; a view over
 * a table without rules stays, and a view a rule names exactly is allowed. Judged by
 * effect: the planted values never appear in any answer or error.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, rowsOf, startBastion, type TestBastion } from '../helpers/bastion.js';
import { createMysqlDatabase, mariadb, type TestMysqlDatabase } from '../helpers/mariadb.js';
import { ensureWorkerBuilt } from '../helpers/sqlite-worker.js';

const TOKEN = 'tok_planted_0001';
const EMAIL = 'planted.person@corp.example';

const TABLES = [
  'CREATE TABLE people (id INTEGER PRIMARY KEY, name VARCHAR(50), email VARCHAR(80), ssn VARCHAR(20))',
  'CREATE TABLE secrets (id INTEGER PRIMARY KEY, token VARCHAR(50))',
  'CREATE TABLE orders (id INTEGER PRIMARY KEY, total INTEGER)',
  `INSERT INTO people VALUES (1, 'Person 1', '${EMAIL}', '123-45-6789')`,
  `INSERT INTO secrets VALUES (1, '${TOKEN}')`,
  'INSERT INTO orders VALUES (1, 10), (2, 20)',
  'CREATE VIEW v_tokens AS SELECT token FROM secrets',
  'CREATE VIEW v_token_count AS SELECT count(*) AS n FROM secrets',
  'CREATE VIEW v_tokens_again AS SELECT * FROM v_tokens',
  'CREATE VIEW v_emails AS SELECT name, email FROM people',
  "CREATE VIEW v_filtered AS SELECT name FROM people WHERE ssn LIKE '1%'",
  'CREATE VIEW v_totals AS SELECT sum(total) AS v_totals FROM orders',
  'CREATE VIEW v_blessed AS SELECT token FROM secrets',
];
const DENIED = ['v_tokens', 'v_token_count', 'v_tokens_again', 'v_emails', 'v_filtered'];
/** MariaDB/MySQL only: a view over a stored function, whose body the view's definition does not show. */
const MYSQL_ONLY = [
  'CREATE FUNCTION leak() RETURNS VARCHAR(50) READS SQL DATA RETURN (SELECT token FROM secrets ORDER BY id LIMIT 1)',
  'CREATE VIEW v_via_function AS SELECT leak() AS k',
];

function rolesFor(schema: string): Record<string, unknown> {
  return {
    analyst: {
      tools: ['list_*', 'describe_table', 'query'],
      tables: { allow: [`${schema}.*`, `${schema}.v_blessed`], deny: [`${schema}.secrets`] },
      columns: { deny: [`${schema}.people.ssn`], mask: { [`${schema}.people.email`]: 'partial' } },
    },
  };
}
const ANALYST = { id: 'p:analyst', kind: 'api_key' as const, role: 'analyst', scopes: [] };

function leaks(result: CallToolResult): boolean {
  const text = JSON.stringify(result);
  return text.includes(TOKEN) || text.includes(EMAIL) || text.includes('123-45-6789');
}

function suite(label: string, open: () => Promise<{ schema: string; source: Record<string, unknown>; done: () => Promise<void> }>, denied = DENIED): void {
  describe(label, () => {
    let bastion: TestBastion;
    let done: () => Promise<void>;
    beforeAll(async () => {
      const opened = await open();
      done = opened.done;
      bastion = await startBastion({ sources: { main: opened.source }, roles: rolesFor(opened.schema) }, ANALYST);
    }, 60_000);
    afterAll(async () => {
      await bastion.close();
      await done();
    });

    it.each(denied)('a view over denied or protected data (%s) returns nothing and is hidden like a denied table', async (view) => {
      const result = await bastion.call('query', { sql: `SELECT * FROM ${view}` });
      expect(errorCode(result)).toBe('TABLE_NOT_FOUND');
      expect(leaks(result)).toBe(false);
      expect(errorCode(await bastion.call('describe_table', { table: view }))).toBe('TABLE_NOT_FOUND');
    });

    it('list_tables shows the views over allowed data and the one named by a rule, none of the others', async () => {
      const listed = await bastion.call('list_tables', {});
      const names = (listed.structuredContent as { tables: { name: string }[] }).tables.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['v_totals', 'v_blessed', 'orders', 'people']));
      for (const view of denied) expect(names).not.toContain(view);
      expect(leaks(listed)).toBe(false);
    });

    it('a view over a table without rules answers, even when a column carries its own name', async () => {
      expect(rowsOf(await bastion.call('query', { sql: 'SELECT v_totals FROM v_totals' })).map((r) => Number(r[0]))).toEqual([30]);
    });

    it('a view named exactly by a rule is allowed', async () => {
      expect(rowsOf(await bastion.call('query', { sql: 'SELECT token FROM v_blessed' }))).toEqual([[TOKEN]]);
    });
  });
}

suite('views on SQLite', () => {
  ensureWorkerBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'bastion-views-'));
  const path = join(dir, 'views.db');
  const db = new Database(path);
  for (const sql of TABLES) db.exec(sql);
  db.close();
  return Promise.resolve({ schema: 'main', source: { engine: 'sqlite', path }, done: () => Promise.resolve(rmSync(dir, { recursive: true, force: true })) });
});

describe.skipIf(!mariadb.ok)('views on MariaDB/MySQL', () => {
  let db: TestMysqlDatabase;
  suite('views on MariaDB/MySQL', async () => {
    db = await createMysqlDatabase();
    for (const sql of [...TABLES, ...MYSQL_ONLY]) await db.admin(sql);
    return { schema: db.name, source: { engine: 'mysql', url: db.url }, done: () => db.drop() };
  }, [...DENIED, 'v_via_function']);
});
