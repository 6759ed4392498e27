/**
 * Attack on the person who approves a write, through the real tools on PostgreSQL:
 * the assistant writes a statement whose second line widens a one-row DELETE to the
 * whole table, with text before that line shaped like the start of a secret (a lone
 * quote after PASSWORD, a private-key BEGIN marker without its END) and a parameter
 * shaped the same way. The redactor must not swallow the line, and the view the person
 * reads (the pending answer, `approvals show`'s stored summary, the elicitation prompt)
 * must show every line of the statement, the dry run's true count and the rows it
 * deletes: what they approve is what runs. A statement whose own text the redactor would
 * change (a key marker, a password literal in a comment) is refused before anyone is
 * asked: a marker could stand where a line of the statement is.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { ElicitRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSessionServer } from '../../src/tools/session-server.js';
import { errorCode, startBastion, type TestBastion } from '../helpers/bastion.js';
import { eventually } from '../helpers/eventually.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';

const WRITER = { id: 'key:writer-1', kind: 'api_key', role: 'writer', scopes: [] } as const;
/** Elicitation is the stdio path: the local user, whose own client shows the form (a remote principal needs approval: in_client). */
const LOCAL_WRITER = { ...WRITER, kind: 'local' } as const;
const requirePg = process.env['BASTION_REQUIRE_PG'] === '1';
const NAMES = ['ann', 'bob', 'cy', 'dee', 'eve'];

const VARIANTS = [
  {
    name: "a lone quote after PASSWORD, in the SQL and in a parameter",
    sql: "DELETE FROM victims WHERE id = $1 OR name = $2 -- password '\nOR id > 0",
    params: [1, "password '"],
    lines: ["  1 | DELETE FROM victims WHERE id = $1 OR name = $2 -- password '", '  2 | OR id > 0'],
    values: ['  $1 = 1', `  $2 = "password '"`],
  },
] as const;

/** Statement texts the redactor would change: never shown to a person, never run. */
const HIDING = [
  // secret-scan: allow (markers only, no key)
  { name: 'a private-key BEGIN marker without its END', sql: 'DELETE FROM victims WHERE id = $1 -- -----BEGIN PRIVATE KEY-----\nOR id > 0' },
  // secret-scan: allow (markers only, no key)
  { name: 'a fake key block around the widening lines', sql: 'DELETE FROM victims WHERE id = $1\n/* -----BEGIN PRIVATE KEY-----\n*/ OR\nTRUE /*\n-----END PRIVATE KEY----- */' },
  { name: 'a password literal in a comment', sql: "DELETE FROM victims WHERE id = $1 -- password 'hunter2-long-enough' OR id > 0" },
] as const;

/** An SDK client of WRITER's session whose person answers every elicitation with `action`; the prompts they saw. */
async function withPerson(ctx: TestBastion['ctx'], action: 'accept' | 'decline', use: (client: Client, asked: string[]) => Promise<void>): Promise<void> {
  const server = createSessionServer(ctx, LOCAL_WRITER);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await server.connect(serverSide);
  const client = new Client({ name: 'person', version: '1' }, { capabilities: { elicitation: { form: {} } } });
  const asked: string[] = [];
  client.setRequestHandler(ElicitRequestSchema, (request) => {
    asked.push(request.params.message);
    return action === 'accept' ? { action, content: { approve: true } } : { action };
  });
  await client.connect(clientSide);
  try {
    await use(client, asked);
  } finally {
    await client.close();
    await server.close();
  }
}

/** What a person must see to know the statement deletes every row. */
function expectWholeTruth(view: string, variant: (typeof VARIANTS)[number]): void {
  expect(view).toContain(`Statement (2 lines, each as it will run, numbered; secrets redacted):\n${variant.lines.join('\n')}\n`);
  expect(view).toContain(`Parameters (bound to the placeholders, in order):\n${variant.values.join('\n')}\n`);
  // Exactly one dry-run line, at the margin, with the true count.
  expect(view.split('\n').filter((line) => line.startsWith('Dry run:'))).toEqual(['Dry run: 5 rows would be deleted.']);
  expect(view).toContain('Rows to be deleted (first 5 of 5):\n  columns: ["id","name"]');
  for (const [i, name] of NAMES.entries()) expect(view).toContain(`\n  [${i + 1},"${name}"]`);
}

describe.skipIf(!postgres.ok && !requirePg)('approving a write shows the whole statement and its true effect (PostgreSQL)', () => {
  let db: TestDatabase;
  let bastion: TestBastion;
  const victims = async (): Promise<number> => Number((await db.admin('SELECT count(*) AS n FROM victims')).rows[0]?.n);

  beforeAll(async () => {
    db = await createTestDatabase({ seed: false });
    await db.admin('CREATE TABLE victims (id int PRIMARY KEY, name text NOT NULL)');
    bastion = await startBastion({ sources: { main: { engine: 'postgres', url: db.url, writes: { enabled: true, schemas: ['public'] } } } }, WRITER);
  }, 60_000);
  beforeEach(async () => {
    await db.admin('DELETE FROM victims');
    await db.admin(`INSERT INTO victims VALUES ${NAMES.map((n, i) => `(${i + 1}, '${n}')`).join(', ')}`);
  });
  afterAll(async () => {
    await bastion?.close();
    await db?.drop();
  });

  it.each(VARIANTS)('pending answer and approvals show: $name', async (variant) => {
    const result = await bastion.call('execute', { sql: variant.sql, params: [...variant.params], dry_run: false });
    expect(result.isError).toBeFalsy();
    const pending = result.structuredContent as { status: string; approval_id: string; dry_run_result: string };
    expect(pending.status).toBe('pending');
    expectWholeTruth(pending.dry_run_result, variant);
    // `bastion approvals show` prints the stored summary: the same view.
    const stored = await bastion.ctx.approvals!.get(pending.approval_id);
    expect(stored?.summary).toBe(pending.dry_run_result);
    expect(stored?.statement.split('\n')).toHaveLength(2);
    expect(await victims()).toBe(5);

    // The person approves what they saw; what runs is exactly that: every row goes.
    await bastion.ctx.approvals!.decide(pending.approval_id, 'approved', 'alice@test');
    const done = await bastion.call('execute', { sql: variant.sql, params: [...variant.params], dry_run: false, approval_id: pending.approval_id });
    expect(done.structuredContent).toMatchObject({ committed: true, affected_rows: 5 });
    expect(await victims()).toBe(0);
  });

  it('attack: a statement whose effect grows after its dry run (time-dependent) changes nothing beyond the rows the person approved', async () => {
    // Dry run now: no row passes `clock_timestamp() > later`; the approved run, after `later`, would delete them all.
    const later = new Date(Date.now() + 1500).toISOString();
    const sql = 'DELETE FROM victims WHERE id > $1 AND clock_timestamp() > $2::timestamptz';
    const pending = (await bastion.call('execute', { sql, params: [0, later], dry_run: false })).structuredContent as { approval_id: string; dry_run_result: string };
    expect(pending.dry_run_result.split('\n').filter((line) => line.startsWith('Dry run:'))).toEqual(['Dry run: 0 rows would be deleted.']);
    await bastion.ctx.approvals!.decide(pending.approval_id, 'approved', 'alice@test');
    expect(await eventually(() => Date.now() > Date.parse(later) + 200, 50, 100)).toBe(true);
    const done = await bastion.call('execute', { sql, params: [0, later], dry_run: false, approval_id: pending.approval_id });
    expect(errorCode(done)).toBe('APPROVAL_INVALID');
    expect(JSON.stringify(done.content)).toContain('more rows than the 0 the person approved');
    // Effect: every row is still there.
    expect(await victims()).toBe(5);
  });

  it('attack: rows a cascade or trigger changes are shown and counted: children added after approval stop the run, nothing changed', async () => {
    await db.admin('CREATE TABLE kids (id serial PRIMARY KEY, victim int NOT NULL REFERENCES victims(id) ON DELETE CASCADE)');
    await db.admin('CREATE TABLE tally (n int NOT NULL)');
    await db.admin('INSERT INTO tally SELECT 0 FROM generate_series(1, 10)');
    await db.admin('CREATE FUNCTION bump() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN UPDATE tally SET n = n + 1; RETURN NULL; END $$');
    await db.admin('CREATE TRIGGER victims_bump AFTER DELETE ON victims FOR EACH STATEMENT EXECUTE FUNCTION bump()');
    await db.admin('INSERT INTO kids (victim) SELECT 3 FROM generate_series(1, 5)');
    try {
      const sql = 'DELETE FROM victims WHERE id = $1';
      const pending = (await bastion.call('execute', { sql, params: [3], dry_run: false })).structuredContent as { approval_id: string; dry_run_result: string };
      // The person sees the 5 cascaded children and the 10 rows the trigger updates.
      expect(pending.dry_run_result).toContain('Dry run: 1 row would be deleted. Its cascades and triggers would change 15 rows more, in this or other tables.');
      await bastion.ctx.approvals!.decide(pending.approval_id, 'approved', 'alice@test');
      // After the approval, 1,000 more children appear.
      await db.admin('INSERT INTO kids (victim) SELECT 3 FROM generate_series(1, 1000)');
      const done = await bastion.call('execute', { sql, params: [3], dry_run: false, approval_id: pending.approval_id });
      expect(errorCode(done)).toBe('APPROVAL_INVALID');
      expect(await victims()).toBe(5);
      expect(Number((await db.admin('SELECT count(*) AS n FROM kids')).rows[0]?.n)).toBe(1005);
      expect(Number((await db.admin('SELECT sum(n) AS n FROM tally')).rows[0]?.n)).toBe(0);
    } finally {
      await db.admin('DROP TRIGGER victims_bump ON victims');
      await db.admin('DROP FUNCTION bump()');
      await db.admin('DROP TABLE kids');
      await db.admin('DROP TABLE tally');
    }
  });

  it.each(HIDING)('refused before anyone is asked, nothing queued or run: $name', async ({ sql }) => {
    await withPerson(bastion.ctx, 'accept', async (client, asked) => {
      const before = (await bastion.ctx.approvals!.list({ all: true })).length;
      const elicited = (await client.callTool({ name: 'execute', arguments: { sql, params: [1], dry_run: false } })) as CallToolResult;
      expect(errorCode(elicited)).toBe('INVALID_ARGUMENT');
      expect(asked).toHaveLength(0);
      // Without elicitation: no pending approval is created either.
      const pending = await bastion.call('execute', { sql, params: [1], dry_run: false });
      expect(errorCode(pending)).toBe('INVALID_ARGUMENT');
      expect((await bastion.ctx.approvals!.list({ all: true })).length).toBe(before);
      expect(await victims()).toBe(5);
    });
  });

  it.each(VARIANTS)('the elicitation prompt: $name', async (variant) => {
    await withPerson(bastion.ctx, 'decline', async (client, asked) => {
      const result = (await client.callTool({ name: 'execute', arguments: { sql: variant.sql, params: [...variant.params], dry_run: false } })) as CallToolResult;
      expect(errorCode(result)).toBe('APPROVAL_INVALID');
      expect(asked).toHaveLength(1);
      expectWholeTruth(asked[0] ?? '', variant);
      expect(await victims()).toBe(5);
    });
  });
});
