/**
 * One reader's statement must not end the server for everyone, on MySQL/MariaDB and SQLite
 * too (PostgreSQL: huge-values.test.ts). Through the built binary over HTTP, a reader asks
 * for rows far larger than the byte cap: the call answers truncated with no such row, the
 * statement no longer runs on the database (MariaDB's process list) 3 s later, and another
 * principal's call on the same server is answered right after.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, rowsOf } from '../helpers/bastion.js';
import { createMysqlDatabase, mariadb, type TestMysqlDatabase } from '../helpers/mariadb.js';
import { cleanup, dirWithConfig, runCli, startHttp, type HttpBastion } from '../helpers/spawn.js';

async function createKey(cwd: string, name: string): Promise<string> {
  const run = await runCli(['keys', 'create', '--name', name, '--role', 'reader'], { cwd });
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.trim();
}

async function connect(url: string, key: string): Promise<Client> {
  const client = new Client({ name: 'huge-values-engines', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  return client;
}

function structured(result: CallToolResult): Record<string, unknown> {
  return result.structuredContent ?? {};
}

describe.skipIf(!mariadb.ok)('huge values over HTTP on MariaDB and SQLite (built binary)', () => {
  let db: TestMysqlDatabase;
  let server: HttpBastion;
  let alice: Client;
  let bob: Client;

  beforeAll(async () => {
    db = await createMysqlDatabase();
    await db.admin('CREATE TABLE t (n INT PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3)');
    const cwd = dirWithConfig(
      ['sources:', '  shop:', '    engine: mysql', `    url: ${db.url}`, '  lite:', '    engine: sqlite', '    path: ./lite.db', 'state:', '  dir: ./state', ''].join('\n'),
    );
    const lite = new Database(join(cwd, 'lite.db'));
    lite.exec('CREATE TABLE t (n INTEGER PRIMARY KEY); INSERT INTO t VALUES (1), (2), (3)');
    lite.close();
    const aliceKey = await createKey(cwd, 'alice');
    const bobKey = await createKey(cwd, 'bob');
    server = await startHttp([], { cwd, auth: true });
    alice = await connect(server.url, aliceKey);
    bob = await connect(server.url, bobKey);
  });
  afterAll(async () => {
    await alice?.close().catch(() => undefined);
    await bob?.close().catch(() => undefined);
    await cleanup();
    await db?.drop();
  });

  async function bobStillServed(source: string): Promise<void> {
    const answer = (await bob.callTool({ name: 'query', arguments: { source, sql: 'SELECT 42 AS answer' } })) as CallToolResult;
    expect(errorCode(answer)).toBeUndefined();
    expect(rowsOf(answer)).toEqual([[42]]);
    expect(server.child.exitCode).toBeNull();
    expect(server.child.signalCode).toBeNull();
  }

  it('MariaDB: rows of 15 MiB answer truncated at the byte cap, the statement is gone 3 s later, and another principal is served', async () => {
    const sql = "SELECT n, REPEAT('x', 15 * 1024 * 1024) AS huge_e2e_marker FROM t ORDER BY n";
    const answer = (await alice.callTool({ name: 'query', arguments: { source: 'shop', sql } })) as CallToolResult;
    expect(errorCode(answer)).toBeUndefined();
    expect(structured(answer)['truncated_by']).toBe('bytes');
    expect(rowsOf(answer)).toEqual([]);
    expect(JSON.stringify(answer)).not.toContain('xxxxxxxxxxxxxxxx');
    await bobStillServed('shop');
    const running = async (): Promise<number> =>
      Number((await db.admin("SELECT COUNT(*) AS n FROM information_schema.PROCESSLIST WHERE INFO LIKE '%huge_e2e_marker%' AND ID <> CONNECTION_ID() AND COMMAND <> 'Sleep'"))[0]?.['n']);
    await expect.poll(running, { timeout: 3000, interval: 100 }).toBe(0);
  }, 60_000);

  it('SQLite: a 300 MB string fails or answers truncated, never reaching the server process, and another principal is served', async () => {
    const sql = "SELECT n, printf('%.*c', 300000000, 'y') AS v FROM t";
    const answer = (await alice.callTool({ name: 'query', arguments: { source: 'lite', sql } })) as CallToolResult;
    // Truncated (the worker measured the value before sending it), or failed: SQLite out of the
    // worker's memory (QUERY_FAILED), or a string SQLite built that the worker's JavaScript heap
    // could not take (the worker ends: SOURCE_UNAVAILABLE, and the next call starts a new one).
    const code = errorCode(answer);
    if (code !== undefined) expect(code).toMatch(/^(QUERY_FAILED|SOURCE_UNAVAILABLE)$/);
    else {
      expect(structured(answer)['truncated_by']).toBe('bytes');
      expect(rowsOf(answer)).toEqual([]);
    }
    expect(JSON.stringify(answer)).not.toContain('yyyyyyyyyyyyyyyy');
    await bobStillServed('lite');
  }, 90_000);
});
