/**
 * MySQL/MariaDB and SQLite through the built binary with the official SDK client:
 * `--db mysql://…` and `--db sqlite:FILE` serve the read tools, a write is refused
 * and changes nothing, and a wrong password never reaches the client or the log.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { onlyChainText, recordsOf } from '../helpers/audit-chains.js';
import { createMysqlDatabase, mariadb, type TestMysqlDatabase } from '../helpers/mariadb.js';
import { cleanup, makeTempDir, startStdio, userStateDirFor, type StdioBastion } from '../helpers/spawn.js';

afterAll(async () => cleanup());

async function call(server: StdioBastion, name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await server.client.callTool({ name, arguments: args })) as CallToolResult;
}

describe('SQLite source (built binary)', () => {
  it('reads with ? parameters, refuses a write, and the table is intact', async () => {
    const file = join(makeTempDir(), 'shop.db');
    const db = new Database(file);
    db.exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL); INSERT INTO items (name) VALUES ('a'), ('b'), ('c');");
    db.close();
    const cwd = makeTempDir();
    const server = await startStdio(['--db', `sqlite:${file}`], { cwd });
    try {
      const sources = (await call(server, 'list_sources', {})).structuredContent;
      expect(sources).toEqual({ sources: [{ name: 'main', engine: 'sqlite', mode: 'read-only' }] });
      const rows = (await call(server, 'query', { sql: 'SELECT name FROM items WHERE id > ? ORDER BY id', params: [1] })).structuredContent as { rows: unknown[][] };
      expect(rows.rows).toEqual([['b'], ['c']]);
      expect((await call(server, 'query', { sql: 'DELETE FROM items' })).isError).toBe(true);
      expect((await call(server, 'describe_table', { table: 'items' })).isError).toBeFalsy();
    } finally {
      await server.close();
    }
    const check = new Database(file, { readonly: true });
    expect(check.prepare('SELECT count(*) AS n FROM items').get()).toEqual({ n: 3 });
    check.close();
    // Audited, without a PostgreSQL fingerprint of SQLite text.
    const records = recordsOf(onlyChainText(userStateDirFor(cwd)));
    expect(records.filter((r) => r['tool'] === 'query').length).toBeGreaterThanOrEqual(2);
    expect(records.every((r) => r['fingerprint'] === undefined)).toBe(true);
  }, 60_000);
});

describe.skipIf(!mariadb.ok)('MySQL/MariaDB source (built binary)', () => {
  let db: TestMysqlDatabase | undefined;
  afterAll(async () => db?.drop());

  it('reads, lists and describes; a write is refused and changes nothing', async () => {
    db = await createMysqlDatabase();
    await db.admin('CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL)');
    await db.admin("INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    const server = await startStdio(['--db', db.url], { cwd: makeTempDir() });
    try {
      expect((await call(server, 'list_sources', {})).structuredContent).toEqual({ sources: [{ name: 'main', engine: 'mysql', mode: 'read-only' }] });
      const rows = (await call(server, 'query', { sql: 'SELECT name FROM items WHERE id > ? ORDER BY id', params: [1] })).structuredContent as { rows: unknown[][] };
      expect(rows.rows).toEqual([['b'], ['c']]);
      const tables = JSON.stringify((await call(server, 'list_tables', {})).structuredContent);
      expect(tables).toContain('items');
      expect((await call(server, 'describe_table', { table: 'items' })).isError).toBeFalsy();
      expect((await call(server, 'query', { sql: 'DELETE FROM items' })).isError).toBe(true);
    } finally {
      await server.close();
    }
    expect(await db.admin('SELECT count(*) AS n FROM items')).toEqual([{ n: 3 }]);
  }, 60_000);

  it('a wrong password fails the call as SOURCE_UNAVAILABLE without the password anywhere', async () => {
    const url = new URL(db?.url ?? 'mysql://root@127.0.0.1:3306/test');
    url.username = 'root';
    url.password = 'wrong-secret-4417';
    const server = await startStdio(['--db', url.toString()], { cwd: makeTempDir() });
    try {
      const result = await call(server, 'query', { sql: 'SELECT 1' });
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result)).not.toContain('wrong-secret-4417');
      expect(server.stderr()).not.toContain('wrong-secret-4417');
    } finally {
      await server.close();
    }
  }, 60_000);
});
