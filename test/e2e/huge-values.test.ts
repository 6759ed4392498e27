/**
 * One reader's statement must not end the server for everyone. A value longer than
 * V8's longest string (PostgreSQL makes it; the test never holds it) used to end the
 * built server while the driver decoded the row. Now the wire gate sees the row's
 * length before anything is read into memory: the call answers truncated (or fails),
 * its backend is stopped, and another principal's call on the same server succeeds.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, rowsOf } from '../helpers/bastion.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';
import { cleanup, dirWithConfig, POLL, runCli, startHttp, type HttpBastion } from '../helpers/spawn.js';

/** 600 million characters: more than the 0x1fffffe8 a V8 string may hold. */
const HUGE = 600_000_000;

async function createKey(cwd: string, name: string): Promise<string> {
  const run = await runCli(['keys', 'create', '--name', name, '--role', 'reader'], { cwd });
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.trim();
}

async function connect(url: string, key: string): Promise<Client> {
  const client = new Client({ name: 'huge-values', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  return client;
}

function structured(result: CallToolResult): Record<string, unknown> {
  return (result.structuredContent ?? {});
}

describe.skipIf(!postgres.ok)('a huge value over HTTP (built binary, PostgreSQL)', () => {
  let db: TestDatabase;
  let server: HttpBastion;
  let alice: Client;
  let bob: Client;

  beforeAll(async () => {
    db = await createTestDatabase({ seed: false });
    const cwd = dirWithConfig(
      ['sources:', '  main:', '    engine: postgres', `    url: ${db.url}`, '    statement_timeout_ms: 60000', 'state:', '  dir: ./state', ''].join('\n'),
    );
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

  /** Backends of the test database still running a statement of this test (never the admin's own). */
  async function stillRunning(): Promise<number> {
    const result = await db.admin(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE '%repeat(%'",
      [db.name],
    );
    return (result.rows[0] as { n: number }).n;
  }

  async function bobStillServed(): Promise<void> {
    const answer = (await bob.callTool({ name: 'query', arguments: { source: 'main', sql: 'SELECT 42 AS answer' } })) as CallToolResult;
    expect(errorCode(answer)).toBeUndefined();
    expect(rowsOf(answer)).toEqual([[42]]);
    expect(server.child.exitCode).toBeNull();
    expect(server.child.signalCode).toBeNull();
  }

  it('a single 600 MB value answers truncated at the byte cap with no row, and the server keeps serving another principal', async () => {
    const answer = (await alice.callTool({ name: 'query', arguments: { source: 'main', sql: `SELECT repeat('x', ${HUGE}) AS v` } })) as CallToolResult;
    expect(errorCode(answer)).toBeUndefined();
    expect(structured(answer)['truncated']).toBe(true);
    expect(structured(answer)['truncated_by']).toBe('bytes');
    expect(rowsOf(answer)).toEqual([]);
    expect(JSON.stringify(answer)).not.toContain('xxxxxxxxxxxxxxxx');
    await bobStillServed();
    // The statement was stopped on the database, not left to send the rest.
    await expect.poll(stillRunning, POLL).toBe(0);
  }, 120_000);

  it('rows before the huge one are kept; the read ends at it', async () => {
    const sql = `SELECT n, CASE WHEN n = 3 THEN repeat('y', ${HUGE}) ELSE 'small' END AS v FROM generate_series(1, 5) AS n`;
    const answer = (await alice.callTool({ name: 'query', arguments: { source: 'main', sql } })) as CallToolResult;
    expect(errorCode(answer)).toBeUndefined();
    expect(rowsOf(answer)).toEqual([
      [1, 'small'],
      [2, 'small'],
    ]);
    expect(structured(answer)['truncated_by']).toBe('bytes');
    await bobStillServed();
    await expect.poll(stillRunning, POLL).toBe(0);
  }, 120_000);

  it('an error message quoting a large value fails the call without reading the message, and the server keeps serving', async () => {
    // invalid input syntax for type integer: "xxxx…" — the server quotes the whole 8 MB value.
    const answer = (await alice.callTool({ name: 'query', arguments: { source: 'main', sql: "SELECT repeat('x', 8000000)::int AS v" } })) as CallToolResult;
    expect(errorCode(answer)).toBe('QUERY_FAILED');
    expect(JSON.stringify(answer)).not.toContain('xxxxxxxxxxxxxxxx');
    await bobStillServed();
  }, 60_000);
});
