/**
 * The built binary over stdio, driven by the official MCP SDK client exactly as
 * Claude Desktop or Cursor would: `node dist/cli/main.js serve` with no config
 * (the embedded PGlite demo database), and `--db postgres://…` when a PostgreSQL
 * server answers. Everything is judged by what crosses the process boundary:
 * stdout (JSON-RPC only), stderr (JSON log lines) and the database afterwards.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCode, rowsOf } from '../helpers/bastion.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';
import {
  cleanup,
  makeTempDir,
  parseLogLines,
  POLL,
  PROCESS_DEADLINE_MS,
  REPO_ROOT,
  STACK_TRACE,
  spawnBastion,
  startStdio,
  type StdioBastion,
} from '../helpers/spawn.js';

const READ_TOOLS = ['describe_table', 'explain', 'list_schemas', 'list_sources', 'list_tables', 'query'];
const ATTACK = 'SELECT 1; COMMIT; DROP TABLE shop.orders';

interface Structured {
  columns: { name: string; type: string }[];
  rows: unknown[][];
  row_count: number;
  truncated: boolean;
  truncated_by?: string;
}

function textOf(result: CallToolResult): string {
  return result.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
}

function structured<T = Structured>(result: CallToolResult): T {
  if (result.isError) throw new Error(`tool failed: ${textOf(result)}`);
  return result.structuredContent as T;
}

/** What an error result must never carry: internals a client has no business seeing. */
function expectNoInternals(result: CallToolResult): void {
  const everything = JSON.stringify(result);
  expect(everything).not.toMatch(STACK_TRACE);
  expect(everything).not.toContain(REPO_ROOT);
  expect(everything).not.toContain('/work');
  expect(everything).not.toContain('node_modules');
  expect(everything).not.toContain('file://');
  expect(everything).not.toContain('postgres://');
  expect(everything).not.toContain('postgresql://');
}

/** The correlation id of an error result: in the text and in _meta, and the same in both. */
function correlationIdOf(result: CallToolResult): string {
  const fromText = /\(correlation id: ([A-Za-z0-9_-]{8,})\)/.exec(textOf(result))?.[1];
  const meta = (result._meta as Record<string, { code: string; correlation_id: string }> | undefined)?.['bastion/error'];
  expect(fromText).toBeDefined();
  expect(meta?.correlation_id).toBe(fromText);
  return fromText!;
}

describe('stdio e2e: built binary, embedded PGlite demo database, SDK client', () => {
  let bastion: StdioBastion;

  beforeAll(async () => {
    bastion = await startStdio([], { cwd: makeTempDir() });
  });

  afterAll(async () => {
    await bastion?.close();
    await cleanup();
  });

  const call = async (name: string, args: Record<string, unknown> = {}): Promise<CallToolResult> =>
    (await bastion.client.callTool({ name, arguments: args })) as CallToolResult;

  it('tools/list offers exactly the six read tools and no write tool', async () => {
    const { tools } = await bastion.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(READ_TOOLS);
    for (const tool of tools) expect(tool.annotations?.readOnlyHint).toBe(true);
  });

  it('tools/list answers byte-identically on two calls (stable tool contract)', async () => {
    const first = JSON.stringify(await bastion.client.listTools());
    const second = JSON.stringify(await bastion.client.listTools());
    expect(second).toBe(first);
  });

  it('list_sources shows exactly one source, the pglite demo, in read-only mode', async () => {
    const { sources } = structured<{ sources: { name: string; engine: string; mode: string }[] }>(await call('list_sources'));
    expect(sources).toHaveLength(1);
    expect(sources[0]).toMatchObject({ engine: 'pglite', mode: 'read-only' });
  });

  it('list_tables for schema shop lists customers, orders, products and order_items with row estimates', async () => {
    const { tables } = structured<{ tables: { schema: string; name: string; row_estimate: number | null }[] }>(
      await call('list_tables', { schema: 'shop' }),
    );
    expect(tables.map((t) => t.name).sort()).toEqual(['customers', 'order_items', 'orders', 'products']);
    for (const t of tables) {
      expect(t.schema).toBe('shop');
      expect(t.row_estimate).toBeGreaterThan(0);
    }
    expect(tables.find((t) => t.name === 'orders')?.row_estimate).toBe(3000);
    expect(tables.find((t) => t.name === 'order_items')?.row_estimate).toBe(6000);
  });

  it('describe_table shop.orders shows its columns, the primary key on id and the foreign key to shop.customers', async () => {
    const table = structured<{
      schema: string;
      name: string;
      columns: { name: string; type: string }[];
      constraints: { type: string; definition: string }[];
    }>(await call('describe_table', { table: 'shop.orders' }));
    expect(table).toMatchObject({ schema: 'shop', name: 'orders' });
    expect(table.columns.map((c) => c.name)).toEqual(['id', 'customer_id', 'status', 'ordered_at', 'total']);
    expect(table.columns.find((c) => c.name === 'total')?.type).toBe('numeric(12,2)');
    const pk = table.constraints.filter((c) => c.type === 'primary key');
    expect(pk.map((c) => c.definition)).toEqual(['PRIMARY KEY (id)']);
    const fks = table.constraints.filter((c) => c.type === 'foreign key').map((c) => c.definition);
    expect(fks).toContainEqual(expect.stringMatching(/FOREIGN KEY \(customer_id\) REFERENCES shop\.customers\(id\)/));
  });

  it('query with $1/$2 params returns structuredContent {columns, rows, row_count, truncated} and a text table', async () => {
    const result = await call('query', {
      sql: 'SELECT id, status FROM shop.orders WHERE id BETWEEN $1 AND $2 ORDER BY id',
      params: [10, 12],
    });
    const data = structured(result);
    expect(data.columns.map((c) => c.name)).toEqual(['id', 'status']);
    expect(data.rows.map((r) => r[0])).toEqual([10, 11, 12]);
    expect(data.row_count).toBe(3);
    expect(data.truncated).toBe(false);
    const text = textOf(result);
    // the rows sit inside the untrusted-data fence as JSON lines: notice, opening marker, the column names, one row per line
    const lines = text.split('\n');
    expect(lines[1]).toMatch(/^<untrusted-data-[A-Za-z0-9_-]+>$/);
    expect(lines[2]).toBe('["id","status"]');
    expect(lines.slice(3, 6).map((line) => JSON.parse(line) as unknown[])).toEqual(data.rows);
    expect(lines[6]).toMatch(/^<\/untrusted-data-[A-Za-z0-9_-]+>$/);
    expect(lines[7]).toMatch(/^3 rows as JSON lines/);
  });

  it('SELECT * FROM shop.order_items (6000 rows) is capped at the default 1000 rows with truncated: true', async () => {
    const data = structured(await call('query', { sql: 'SELECT * FROM shop.order_items' }));
    expect(data.rows).toHaveLength(1000);
    expect(data.row_count).toBe(1000);
    expect(data.truncated).toBe(true);
    expect(data.truncated_by).toBe('rows');
  });

  it('max_rows 5 returns exactly 5 rows with truncated: true', async () => {
    const data = structured(await call('query', { sql: 'SELECT * FROM shop.order_items', max_rows: 5 }));
    expect(data.rows).toHaveLength(5);
    expect(data.truncated).toBe(true);
  });

  it('explain returns a query plan without running the statement', async () => {
    const data = structured(await call('explain', { sql: 'EXPLAIN SELECT * FROM shop.orders WHERE id = $1', params: [7] }));
    expect(data.columns.map((c) => c.name)).toEqual(['QUERY PLAN']);
    const plan = data.rows.map((r) => String(r[0])).join('\n');
    expect(plan).toMatch(/Scan/);
    expect(plan).toMatch(/orders/);
  });

  it('the stacked attack "SELECT 1; COMMIT; DROP TABLE shop.orders" is refused with SQL_MULTIPLE_STATEMENTS and a correlation id, and shop.orders still has 3000 rows', async () => {
    const result = await call('query', { sql: ATTACK });
    expect(result.isError).toBe(true);
    expect(errorCode(result)).toBe('SQL_MULTIPLE_STATEMENTS');
    const id = correlationIdOf(result);
    expectNoInternals(result);

    const after = await call('query', { sql: 'SELECT count(*) AS n FROM shop.orders' });
    expect(Number(rowsOf(after)[0]?.[0])).toBe(3000);

    // The same id ties the client's error to the server log line.
    await expect.poll(() => parseLogLines(bastion.stderr()).some((l) => l['correlationId'] === id), POLL).toBe(true);
  });

  it('error results (policy refusal, database error, unknown table, bad params) carry no stack trace, file path or connection URL', async () => {
    const failures = [
      await call('query', { sql: ATTACK }),
      await call('query', { sql: 'SELECT no_such_column FROM shop.orders' }),
      await call('query', { sql: 'SELECT 1/0' }),
      await call('query', { sql: 'SELECT $1::int', params: [] }),
      await call('describe_table', { table: 'shop.no_such_table' }),
      await call('query', { sql: 'SELECT pg_read_file($1)', params: ['/etc/passwd'] }),
      await call('query', { source: 'nope', sql: 'SELECT 1' }),
    ];
    for (const result of failures) {
      expect(result.isError).toBe(true);
      expect(errorCode(result)).toMatch(/^[A-Z_]+$/);
      expectNoInternals(result);
    }
  });

  it('stderr carries only JSON log lines, with no stack trace for the failed queries', async () => {
    const id = correlationIdOf(await call('query', { sql: 'SELECT no_such_column FROM shop.orders' }));
    await expect.poll(() => parseLogLines(bastion.stderr()).some((l) => l['correlationId'] === id), POLL).toBe(true);
    const lines = parseLogLines(bastion.stderr());
    expect(lines.filter((l) => 'unparsed' in l)).toEqual([]);
    expect(lines.some((l) => l['msg'] === 'bastion serving over stdio')).toBe(true);
    const failed = lines.filter((l) => l['msg'] === 'tool call failed');
    expect(failed.map((l) => l['code'])).toContain('QUERY_FAILED');
    expect(failed.map((l) => l['code'])).toContain('SQL_MULTIPLE_STATEMENTS');
    for (const line of failed) expect(JSON.stringify(line)).not.toMatch(STACK_TRACE);
  });

  it('stdout carried nothing but JSON-RPC: the SDK client reported no transport error in the whole session', () => {
    expect(bastion.transportErrors).toEqual([]);
  });
});

describe('stdio e2e: raw stdout of the built binary', () => {
  afterAll(cleanup);

  it('every byte on stdout is a newline-delimited JSON-RPC 2.0 message, tools/list results are byte-identical, and closing stdin ends the server with exit code 0', async () => {
    const child = spawnBastion(['serve'], { cwd: makeTempDir() });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((resolve) => child.once('close', (code) => resolve(code)));
    let exitCode: number | null = null;
    const deadline = setTimeout(() => child.kill('SIGKILL'), PROCESS_DEADLINE_MS);
    const send = (message: unknown): boolean => child.stdin.write(`${JSON.stringify(message)}\n`);
    const responses = (): Record<string, unknown>[] =>
      stdout
        .split('\n')
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    try {
      send({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } });
      send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      send({ jsonrpc: '2.0', id: 2, method: 'tools/list' });
      send({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'query', arguments: { sql: ATTACK } } });
      send({ jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'query', arguments: { sql: 'SELECT no_such_column FROM shop.orders' } } });
      send({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'query', arguments: { sql: 'SELECT count(*) FROM shop.orders' } } });
      send({ jsonrpc: '2.0', id: 6, method: 'tools/list' });
      await expect.poll(() => stdout.split('\n').filter((l) => l.length > 0).length, { timeout: PROCESS_DEADLINE_MS, interval: 50 }).toBe(6);
      child.stdin.end();
      exitCode = await exited;
    } finally {
      clearTimeout(deadline);
      child.kill('SIGKILL');
    }

    expect(stdout.endsWith('\n')).toBe(true);
    const messages = responses();
    for (const m of messages) {
      expect(m['jsonrpc']).toBe('2.0');
      expect('result' in m || 'error' in m).toBe(true);
    }
    expect(messages.map((m) => m['id']).sort()).toEqual([1, 2, 3, 4, 5, 6]);
    const lines = stdout.split('\n').filter((l) => l.length > 0);
    const listLine = (id: number): string => lines.find((l) => (JSON.parse(l) as { id: unknown }).id === id)!.replace(`"id":${id}`, '"id":_');
    expect(listLine(6)).toBe(listLine(2));
    // The server ended by itself, cleanly, when its stdin closed; its stderr held only JSON lines.
    expect(exitCode).toBe(0);
    expect(parseLogLines(stderr).filter((l) => 'unparsed' in l)).toEqual([]);
  });
});

describe.skipIf(!postgres.ok)('stdio e2e: built binary with --db postgres://', () => {
  let db: TestDatabase;
  let plain: StdioBastion;
  let withPassword: StdioBastion;
  let passwordUrl: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const u = new URL(db.url);
    u.password = 'supersecret';
    passwordUrl = u.toString();
    plain = await startStdio(['--db', db.url], { cwd: makeTempDir() });
    withPassword = await startStdio(['--db', passwordUrl], { cwd: makeTempDir() });
  });

  afterAll(async () => {
    await plain?.close();
    await withPassword?.close();
    await cleanup();
    await db?.drop();
  });

  it('list_sources shows one postgres source in read-only mode, and a parameterised query returns the seeded rows', async () => {
    const sources = (await plain.client.callTool({ name: 'list_sources', arguments: {} })) as CallToolResult;
    expect(structured<{ sources: unknown[] }>(sources).sources).toEqual([{ name: 'main', engine: 'postgres', mode: 'read-only' }]);
    const result = (await plain.client.callTool({
      name: 'query',
      arguments: { sql: 'SELECT count(*)::int AS n FROM shop.orders WHERE id <= $1', params: [100] },
    })) as CallToolResult;
    expect(rowsOf(result)).toEqual([[100]]);
  });

  it('the stacked attack is refused and shop.orders, checked outside Bastion, still has 3000 rows', async () => {
    const result = (await plain.client.callTool({ name: 'query', arguments: { sql: ATTACK } })) as CallToolResult;
    expect(errorCode(result)).toBe('SQL_MULTIPLE_STATEMENTS');
    expectNoInternals(result);
    const { rows } = await db.admin('SELECT count(*)::int AS n FROM shop.orders');
    expect(rows[0]).toEqual({ n: 3000 });
  });

  let failedQueryLog: Record<string, unknown> | undefined;

  it('a failed query on PostgreSQL is logged as one JSON line under the correlation id the client saw', async () => {
    const result = (await plain.client.callTool({ name: 'query', arguments: { sql: 'SELECT 1/0' } })) as CallToolResult;
    expect(errorCode(result)).toBe('QUERY_FAILED');
    const id = correlationIdOf(result);
    await expect.poll(() => parseLogLines(plain.stderr()).some((l) => l['correlationId'] === id), POLL).toBe(true);
    failedQueryLog = parseLogLines(plain.stderr()).find((l) => l['correlationId'] === id);
    expect(failedQueryLog).toMatchObject({ msg: 'tool call failed', code: 'QUERY_FAILED' });
  });

  // pg's DatabaseError carries a stack of driver internals; the logger keeps stacks only for unexpected errors.
  it('the log line of a failed PostgreSQL query carries no stack trace or node_modules path', () => {
    expect(failedQueryLog).toBeDefined();
    const text = JSON.stringify(failedQueryLog);
    expect(text).not.toMatch(STACK_TRACE);
    expect(text).not.toContain('node_modules');
  });

  it('with a password in the database URL, failing queries never show the password in the tool result or the stderr log', async () => {
    const ok = (await withPassword.client.callTool({ name: 'query', arguments: { sql: 'SELECT 1 AS one' } })) as CallToolResult;
    expect(rowsOf(ok)).toEqual([[1]]);
    const failures: CallToolResult[] = [];
    for (const sql of ['SELECT no_such_column FROM shop.orders', 'SELECT 1/0', 'SELECT * FROM no_such_schema.t', ATTACK]) {
      failures.push((await withPassword.client.callTool({ name: 'query', arguments: { sql } })) as CallToolResult);
    }
    failures.push((await withPassword.client.callTool({ name: 'describe_table', arguments: { table: 'shop.nope' } })) as CallToolResult);
    for (const result of failures) {
      expect(result.isError).toBe(true);
      expect(JSON.stringify(result)).not.toContain('supersecret');
      expectNoInternals(result);
    }
    await expect.poll(() => parseLogLines(withPassword.stderr()).filter((l) => l['msg'] === 'tool call failed').length, POLL).toBeGreaterThanOrEqual(4);
    expect(withPassword.stderr()).not.toContain('supersecret');
    expect(parseLogLines(withPassword.stderr()).filter((l) => 'unparsed' in l)).toEqual([]);
    expect(withPassword.transportErrors).toEqual([]);
  });
});
