/**
 * Governed writes through the whole MCP pipeline, by effect, on the embedded PGlite
 * and on the real PostgreSQL: a dry run changes nothing; a real run without a valid
 * approval (none, pending, denied, expired, reused, for another statement or other
 * parameters) changes nothing; prefix bypasses change nothing; an UPDATE over the
 * cap rolls back entirely; a person approves through MCP elicitation or the store
 * the CLI uses; and the audit trail records every step.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSessionServer } from '../../src/tools/session-server.js';
import { errorCode, openSession, rowsOf, startBastion, type TestBastion } from '../helpers/bastion.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';

const WRITER = { id: 'key:writer-1', kind: 'api_key', role: 'writer', scopes: [] } as const;
/** Elicitation is the stdio path: the local user, whose own client shows the form (a remote principal needs approval: in_client). */
const LOCAL_WRITER = { ...WRITER, kind: 'local' } as const;
const requirePg = process.env['BASTION_REQUIRE_PG'] === '1';

interface Engine {
  name: string;
  source(): Promise<Record<string, unknown>>;
  /** Reads outside the write path: the admin connection on PostgreSQL, the query tool on PGlite. */
  probe(bastion: TestBastion, sql: string): Promise<unknown[][]>;
  done(): Promise<void>;
}

let db: TestDatabase | undefined;
const ENGINES: Engine[] = [
  {
    name: 'PGlite',
    source: () => Promise.resolve({ engine: 'pglite' }),
    // As the unrestricted admin: a role with rules reaches no system catalog (authorize/family.ts).
    probe: async (bastion, sql) => {
      const admin = await openSession(bastion.ctx, { id: 'key:probe', kind: 'api_key', role: 'admin', scopes: [] });
      try {
        return rowsOf(await admin.call('query', { sql }));
      } finally {
        await admin.close();
      }
    },
    done: () => Promise.resolve(),
  },
];
if (postgres.ok || requirePg) {
  ENGINES.push({
    name: 'PostgreSQL',
    source: async () => {
      db ??= await createTestDatabase();
      return { engine: 'postgres', url: db.url };
    },
    probe: async (_bastion, sql) => (await db!.admin(sql)).rows.map((r: Record<string, unknown>) => Object.values(r)),
    done: async () => db?.drop(),
  });
}

function data(result: CallToolResult): Record<string, unknown> {
  if (result.isError) throw new Error(`tool failed: ${JSON.stringify(result.content)}`);
  return result.structuredContent as Record<string, unknown>;
}

async function auditRecords(bastion: TestBastion): Promise<Record<string, unknown>[]> {
  const text = await readFile(join(bastion.auditDir, 'audit.jsonl'), 'utf8');
  return text.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe.each(ENGINES)('governed writes on $name', (engine) => {
  let bastion: TestBastion;
  const config = async (writes: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
    sources: { main: { ...(await engine.source()), writes: { enabled: true, schemas: ['public', 'shop'], ...writes } } },
    ...extra,
  });
  // `on`: the server whose database to look at (each PGlite server has its own).
  const count = async (table: string, on = bastion): Promise<number> => Number((await engine.probe(on, `SELECT count(*) FROM ${table}`))[0]?.[0]);
  const exists = async (name: string, on = bastion): Promise<boolean> =>
    Number((await engine.probe(on, `SELECT count(*) FROM pg_catalog.pg_class WHERE relname = '${name}'`))[0]?.[0]) > 0;

  beforeAll(async () => {
    bastion = await startBastion(await config(), WRITER);
  }, 60_000);
  afterAll(async () => {
    await bastion.close();
    await engine.done();
    db = undefined;
  });

  it('lists execute and change_schema for a writer on a source with writes enabled, and not for a reader', async () => {
    const names = (await bastion.client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['execute', 'change_schema']));
    const reader = await startBastion(await config(), { ...WRITER, id: 'key:r', role: 'reader' });
    try {
      expect((await reader.client.listTools()).tools.map((t) => t.name)).not.toContain('execute');
      expect(errorCode(await reader.call('execute', { sql: 'DELETE FROM shop.customers WHERE id = 1', dry_run: false }))).toBe('TOOL_NOT_ALLOWED');
    } finally {
      await reader.close();
    }
    // The refused DELETE removed nothing: customer 1 is still there.
    expect(await count('shop.customers WHERE id = 1')).toBe(1);
  });

  it('a dry run changes nothing and shows the rows as they would be', async () => {
    const before = await engine.probe(bastion, 'SELECT id, name FROM shop.customers WHERE id <= 3 ORDER BY id');
    const answer = data(await bastion.call('execute', { sql: "UPDATE shop.customers SET name = name || ' (vip)' WHERE id <= $1", params: [3] }));
    expect(answer).toMatchObject({ dry_run: true, affected_rows: 3, committed: false });
    const sample = answer['sample'] as { columns: string[]; rows: unknown[][] };
    const nameAt = sample.columns.indexOf('name');
    expect(sample.rows.every((row) => String(row[nameAt]).endsWith(' (vip)'))).toBe(true);
    expect(await engine.probe(bastion, 'SELECT id, name FROM shop.customers WHERE id <= 3 ORDER BY id')).toEqual(before);
  });

  it('a DDL dry run leaves the catalog unchanged and shows the definition', async () => {
    const answer = data(await bastion.call('change_schema', { sql: 'CREATE TABLE ai_notes (id serial PRIMARY KEY, body text NOT NULL)' }));
    expect(answer['dry_run']).toBe(true);
    expect(String(answer['definition'])).toContain('body');
    expect(await exists('ai_notes')).toBe(false);
  });

  it('the pending answer pairs each updated row with the row it was, and shows the bound values', async () => {
    const sql = 'UPDATE shop.products SET stock = stock + $1 WHERE category = $2 AND id <= $3';
    const stock = await engine.probe(bastion, "SELECT id, stock FROM shop.products WHERE category = 'office' AND id <= 60 ORDER BY id");
    expect(stock.length).toBeGreaterThan(1);
    const pending = data(await bastion.call('execute', { sql, params: [5, 'office', 60], dry_run: false }));
    const summary = String(pending['dry_run_result']);
    expect(summary).toContain('  $1 = 5\n  $2 = "office"\n  $3 = 60\n');
    expect(summary).toContain(`Rows before → after the update (first ${stock.length} of ${stock.length}):`);
    const rows = (tag: string): unknown[][] => summary.split('\n').filter((l) => l.startsWith(tag)).map((l) => JSON.parse(l.slice(tag.length)) as unknown[]);
    const befores = rows('  before: ');
    const afters = rows('  after:  ');
    expect(befores).toHaveLength(stock.length);
    // Each pair is the same product (id, sku, name, price, attributes), stock raised by exactly 5.
    for (const [i, before] of befores.entries()) {
      const after = afters[i] ?? [];
      expect(after[0]).toBe(before[0]);
      expect(after[5]).toBe(Number(before[5]) + 5);
      expect([...after.slice(0, 5), after[6]]).toEqual([...before.slice(0, 5), before[6]]);
    }
    expect(befores.map((r) => [r[0], r[5]]).sort((a, b) => Number(a[0]) - Number(b[0]))).toEqual(stock.map((r) => [Number(r[0]), Number(r[1])]));
    expect(await engine.probe(bastion, "SELECT id, stock FROM shop.products WHERE category = 'office' AND id <= 60 ORDER BY id")).toEqual(stock);
  });

  it('a real run without approval only creates a pending approval; pending, other statements and other parameters change nothing', async () => {
    const sql = 'DELETE FROM shop.order_items WHERE order_id = $1';
    const before = await count('shop.order_items');
    const pending = data(await bastion.call('execute', { sql, params: [1], dry_run: false }));
    expect(pending).toMatchObject({ status: 'pending' });
    const id = pending['approval_id'] as string;
    expect(id).toMatch(/^ap_/);
    expect(await count('shop.order_items')).toBe(before);

    // Still pending: refused.
    expect(errorCode(await bastion.call('execute', { sql, params: [1], dry_run: false, approval_id: id }))).toBe('APPROVAL_INVALID');
    // A person approves (what `bastion approvals approve` does).
    await bastion.ctx.approvals!.decide(id, 'approved', 'alice@test');
    // The approval is bound to the statement and the parameters.
    expect(errorCode(await bastion.call('execute', { sql: 'DELETE FROM shop.order_items WHERE order_id > $1', params: [1], dry_run: false, approval_id: id }))).toBe('APPROVAL_INVALID');
    expect(errorCode(await bastion.call('execute', { sql, params: [2], dry_run: false, approval_id: id }))).toBe('APPROVAL_INVALID');
    expect(await count('shop.order_items')).toBe(before);
    // ... and to the principal: another principal cannot use it.
    const other = await startBastion(await config(), { ...WRITER, id: 'key:writer-2' });
    try {
      expect(errorCode(await other.call('execute', { sql, params: [1], dry_run: false, approval_id: id }))).toBe('APPROVAL_INVALID');
    } finally {
      await other.close();
    }

    const done = data(await bastion.call('execute', { sql, params: [1], dry_run: false, approval_id: id }));
    expect(done).toMatchObject({ dry_run: false, committed: true });
    const removed = done['affected_rows'] as number;
    expect(removed).toBeGreaterThan(0);
    expect(await count('shop.order_items')).toBe(before - removed);
    // Single use.
    expect(errorCode(await bastion.call('execute', { sql, params: [1], dry_run: false, approval_id: id }))).toBe('APPROVAL_INVALID');

    const records = await auditRecords(bastion);
    const states = records.filter((r) => r['tool'] === 'execute').map((r) => (r['approval'] as { state?: string } | undefined)?.state ?? (r['dry_run'] === true ? 'dry_run' : undefined));
    expect(states).toEqual(expect.arrayContaining(['requested', 'refused', 'used']));
    const used = records.find((r) => (r['approval'] as { state?: string } | undefined)?.state === 'used');
    expect(used).toMatchObject({ outcome: 'ok', affected: removed, approval: { id, by: 'alice@test' } });
    expect(records.find((r) => (r['approval'] as { state?: string } | undefined)?.state === 'requested')).toMatchObject({ outcome: 'pending' });
  });

  it('a denied approval changes nothing', async () => {
    const sql = 'DELETE FROM shop.order_items WHERE order_id = 2';
    const before = await count('shop.order_items');
    const id = data(await bastion.call('execute', { sql, dry_run: false }))['approval_id'] as string;
    await bastion.ctx.approvals!.decide(id, 'denied', 'bob@test');
    expect(errorCode(await bastion.call('execute', { sql, dry_run: false, approval_id: id }))).toBe('APPROVAL_INVALID');
    expect(await count('shop.order_items')).toBe(before);
  });

  it('an expired approval changes nothing', async () => {
    const short = await startBastion(await config({ approval_ttl_s: 1 }), WRITER);
    try {
      const sql = 'DELETE FROM shop.order_items WHERE order_id = 3';
      const before = await count('shop.order_items', short);
      const id = data(await short.call('execute', { sql, dry_run: false }))['approval_id'] as string;
      await short.ctx.approvals!.decide(id, 'approved', 'carol@test');
      // Let it expire (a wait, not a timing assertion: the approval lives one second).
      await new Promise((resolve) => setTimeout(resolve, 1500));
      expect(errorCode(await short.call('execute', { sql, dry_run: false, approval_id: id }))).toBe('APPROVAL_INVALID');
      expect(await count('shop.order_items', short)).toBe(before);
    } finally {
      await short.close();
    }
  });

  it('an UPDATE over the affected-row cap rolls back entirely', async () => {
    const capped = await startBastion(await config({ max_affected_rows: 5 }, { roles: { robot: { tools: ['*'], approval: { '*': 'none' } } } }), { ...WRITER, id: 'key:robot', role: 'robot' });
    try {
      const before = await engine.probe(capped, 'SELECT id, stock FROM shop.products ORDER BY id');
      const result = await capped.call('execute', { sql: 'UPDATE shop.products SET stock = stock + 1000 WHERE id > 0', dry_run: false });
      expect(errorCode(result)).toBe('WRITE_LIMIT_EXCEEDED');
      expect(await engine.probe(capped, 'SELECT id, stock FROM shop.products ORDER BY id')).toEqual(before);
      // Within the cap, approval `none` applies it at once, and the audit says so.
      const ok = data(await capped.call('execute', { sql: 'UPDATE shop.products SET stock = stock + 1 WHERE id = 1', dry_run: false }));
      expect(ok).toMatchObject({ affected_rows: 1, committed: true });
      const last = (await auditRecords(capped)).at(-1);
      expect(last).toMatchObject({ tool: 'execute', dry_run: false, approval: { state: 'none' }, affected: 1 });
    } finally {
      await capped.close();
    }
  });

  it('prefix bypass attempts change nothing', async () => {
    const robot = await startBastion(
      await config({}, { roles: { robot: { tools: ['*'], tables: { allow: ['*.*'], deny: ['hr.api_credentials'] }, approval: { '*': 'none' } } } }),
      { ...WRITER, id: 'key:robot2', role: 'robot' },
    );
    try {
      expect(data(await robot.call('change_schema', { sql: 'CREATE TABLE ai_x (id int PRIMARY KEY, note text)', dry_run: false }))).toMatchObject({ committed: true });
      expect(data(await robot.call('change_schema', { sql: 'CREATE VIEW ai_x_report AS SELECT id FROM ai_x', dry_run: false }))).toMatchObject({ committed: true });
      const customers = await count('shop.customers', robot);
      const attempts = [
        'DROP TABLE ai_x, shop.customers',
        'DROP TABLE ai_x CASCADE',
        'ALTER TABLE ai_x RENAME TO customers',
        'ALTER TABLE shop.customers ADD COLUMN pwned int',
        'DROP TABLE "AI_X"',
        'CREATE TABLE "AI_Y" (id int)',
        'CREATE TABLE hr.ai_z (id int)',
        'CREATE INDEX ai_i ON shop.customers (email)',
        'CREATE VIEW ai_v AS SELECT * FROM hr.api_credentials',
        'TRUNCATE ai_x',
        'GRANT SELECT ON ai_x TO PUBLIC',
        'DROP TABLE shop.customers',
      ];
      for (const sql of attempts) {
        const result = await robot.call('change_schema', { sql, dry_run: false });
        expect(result.isError, sql).toBe(true);
      }
      expect(await count('shop.customers', robot)).toBe(customers);
      expect(await exists('ai_x', robot)).toBe(true);
      expect(await exists('ai_x_report', robot)).toBe(true);
      expect(await exists('ai_y', robot)).toBe(false);
      expect(await exists('AI_Y', robot)).toBe(false);
      expect(await exists('ai_z', robot)).toBe(false);
      expect(await exists('ai_i', robot)).toBe(false);
      expect(await exists('ai_v', robot)).toBe(false);
      const columns = await engine.probe(robot, "SELECT count(*) FROM information_schema.columns WHERE table_schema = 'shop' AND table_name = 'customers' AND column_name = 'pwned'");
      expect(Number(columns[0]?.[0])).toBe(0);
    } finally {
      await robot.close();
    }
  });
});

describe('approval by MCP elicitation (official SDK client)', () => {
  async function elicitingClient(answer: 'accept' | 'decline', principal: typeof WRITER | typeof LOCAL_WRITER = LOCAL_WRITER): Promise<{ bastion: TestBastion; client: Client; asked: string[] }> {
    const bastion = await startBastion({ sources: { main: { engine: 'pglite', writes: { enabled: true } } } }, WRITER);
    const server = createSessionServer(bastion.ctx, principal);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    await server.connect(serverSide);
    const client = new Client({ name: 'person', version: '1' }, { capabilities: { elicitation: { form: {} } } });
    const asked: string[] = [];
    client.setRequestHandler(ElicitRequestSchema, (request) => {
      asked.push(request.params.message);
      return answer === 'accept' ? { action: 'accept', content: { approve: true } } : { action: 'decline' };
    });
    await client.connect(clientSide);
    return { bastion, client, asked };
  }
  const call = async (client: Client, args: Record<string, unknown>) => (await client.callTool({ name: 'execute', arguments: args })) as CallToolResult;

  it('the person accepts: the change runs once, after they saw the statement and the dry-run result', async () => {
    const { bastion, client, asked } = await elicitingClient('accept');
    try {
      const result = data(await call(client, { sql: "UPDATE shop.customers SET country = 'NZ' WHERE id = 1", dry_run: false }));
      expect(result).toMatchObject({ committed: true, affected_rows: 1 });
      expect(asked).toHaveLength(1);
      expect(asked[0]).toContain("UPDATE shop.customers SET country = 'NZ' WHERE id = 1");
      expect(asked[0]).toContain('Dry run: 1 row would be updated.');
      expect(rowsOf(await bastion.call('query', { sql: 'SELECT country FROM shop.customers WHERE id = 1' }))).toEqual([['NZ']]);
      expect((await auditRecords(bastion)).find((r) => r['tool'] === 'execute')).toMatchObject({ approval: { state: 'elicited' }, affected: 1 });
    } finally {
      await client.close();
      await bastion.close();
    }
  });

  it('the person sees every parameter value (a secret redacted) and rows titled for what they are: before → after, deleted, inserted', async () => {
    const { bastion, client, asked } = await elicitingClient('decline');
    const token = `ghp_${'A1b2C3d4'.repeat(5)}`;
    try {
      const [before] = rowsOf(await bastion.call('query', { sql: 'SELECT id, name, email, country, created_at FROM shop.customers WHERE id = 3' }));
      const update = await call(client, { sql: 'UPDATE shop.customers SET country = $1, name = $2 WHERE id = $3', params: ['NZ', token, 3], dry_run: false });
      const del = await call(client, { sql: 'DELETE FROM shop.order_items WHERE order_id = $1', params: [5] });
      expect(errorCode(update)).toBe('APPROVAL_INVALID');
      expect(data(del)).toMatchObject({ dry_run: true });
      expect(errorCode(await call(client, { sql: 'DELETE FROM shop.order_items WHERE order_id = $1', params: [5], dry_run: false }))).toBe('APPROVAL_INVALID');
      const items = rowsOf(await bastion.call('query', { sql: 'SELECT order_id, product_id, quantity, unit_price FROM shop.order_items WHERE order_id = 5' }));
      expect(
        errorCode(
          await call(client, {
            sql: 'INSERT INTO shop.customers (id, name, email, country, created_at) VALUES ($1, $2, $3, $4, $5)',
            params: [9001, 'Ada "the first" Byron\nline two', 'ada@example.com', 'IS', '2024-01-02T03:04:05Z'],
            dry_run: false,
          }),
        ),
      ).toBe('APPROVAL_INVALID');
      expect(asked).toHaveLength(3);
      const [updating, deleting, inserting] = asked as [string, string, string];

      expect(updating).toContain('$1 = "NZ"\n  $2 = "[REDACTED:github_token]"\n  $3 = 3');
      expect(updating).not.toContain(token);
      expect(updating).toContain('Dry run: 1 row would be updated.');
      expect(updating).toContain('Rows before → after the update (first 1 of 1):\n  columns: ["id","name","email","country","created_at"]');
      const old = before as unknown[];
      expect(updating).toContain(`  before: ${JSON.stringify(old)}`);
      expect(updating).toContain(`  after:  ${JSON.stringify([old[0], '[REDACTED:github_token]', old[2], 'NZ', old[4]])}`);

      expect(deleting).toContain('$1 = 5');
      expect(deleting).toContain(`Dry run: ${items.length} rows would be deleted.`);
      expect(deleting).toContain(`Rows to be deleted (first ${items.length} of ${items.length}):\n  columns: ["order_id","product_id","quantity","unit_price"]`);
      for (const item of items) expect(deleting).toContain(`  ${JSON.stringify(item)}`);
      expect(deleting).not.toContain('after the change');

      // A value with quotes and a newline stays one quoted JSON string on its own line.
      expect(inserting).toContain('  $2 = "Ada \\"the first\\" Byron\\nline two"\n  $3 = "ada@example.com"\n  $4 = "IS"');
      expect(inserting).toContain('Rows to be inserted (first 1 of 1):');
      // Nothing ran: the update, the delete and the insert were declined.
      expect(rowsOf(await bastion.call('query', { sql: 'SELECT id, name, email, country, created_at FROM shop.customers WHERE id = 3' }))).toEqual([before]);
      expect(rowsOf(await bastion.call('query', { sql: 'SELECT count(*) FROM shop.order_items WHERE order_id = 5' }))).toEqual([[items.length]]);
    } finally {
      await client.close();
      await bastion.close();
    }
  });

  it('a remote principal (an API key) answering its own form is never asked: the write stays pending and nothing changes', async () => {
    const { bastion, client, asked } = await elicitingClient('accept', WRITER);
    try {
      const before = rowsOf(await bastion.call('query', { sql: 'SELECT country FROM shop.customers WHERE id = 1' }));
      const result = await call(client, { sql: "UPDATE shop.customers SET country = 'NZ' WHERE id = 1", dry_run: false });
      expect(result.structuredContent).toMatchObject({ status: 'pending' });
      expect(asked).toHaveLength(0);
      expect(rowsOf(await bastion.call('query', { sql: 'SELECT country FROM shop.customers WHERE id = 1' }))).toEqual(before);
    } finally {
      await client.close();
      await bastion.close();
    }
  });

  it('the person declines: nothing changes', async () => {
    const { bastion, client, asked } = await elicitingClient('decline');
    try {
      const before = rowsOf(await bastion.call('query', { sql: 'SELECT country FROM shop.customers WHERE id = 1' }));
      expect(errorCode(await call(client, { sql: "UPDATE shop.customers SET country = 'NZ' WHERE id = 1", dry_run: false }))).toBe('APPROVAL_INVALID');
      expect(asked).toHaveLength(1);
      expect(rowsOf(await bastion.call('query', { sql: 'SELECT country FROM shop.customers WHERE id = 1' }))).toEqual(before);
      expect((await auditRecords(bastion)).find((r) => r['tool'] === 'execute')).toMatchObject({ approval: { state: 'declined' }, outcome: 'denied' });
    } finally {
      await client.close();
      await bastion.close();
    }
  });
});
