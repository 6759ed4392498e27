/**
 * Fair share of a source (issue 18, item 3): one principal holding its maximum of slow
 * statements on a source is refused more at once (SOURCE_BUSY, before a connection is
 * taken), while another principal is answered normally; a full pool is told apart from a
 * source that cannot be reached; the share comes back on every path.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionSlots, enterFairShare } from '../../src/engine/fair-share.js';
import type { Source } from '../../src/engine/source.js';
import { BastionError } from '../../src/errors/codes.js';
import type { Principal } from '../../src/session/context.js';
import { errorCode, openSession, rowsOf, startBastion, type TestBastion } from '../helpers/bastion.js';
import { eventually } from '../helpers/eventually.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';

const ALICE: Principal = { id: 'alice', kind: 'local', role: 'reader', scopes: [] };
const BOB: Principal = { id: 'bob', kind: 'local', role: 'reader', scopes: [] };
/** Waits on the lock the test holds: slow exactly as long as the test wants. */
const BLOCKED_SQL = 'SELECT count(*) AS n FROM public.locked_box';

describe('fair share, in process', () => {
  const source = {} as Source;

  it('refuses past the limit, per principal, and gives every slot back once', () => {
    const a1 = enterFairShare(source, 'a', 2);
    const a2 = enterFairShare(source, 'a', 2);
    expect(() => enterFairShare(source, 'a', 2)).toThrow(BastionError);
    const b1 = enterFairShare(source, 'b', 2); // another principal is not counted against a
    a1();
    a1(); // idempotent: a second release frees nothing more
    const a3 = enterFairShare(source, 'a', 2);
    expect(() => enterFairShare(source, 'a', 2)).toThrow(/calls running on this source/);
    for (const release of [a2, a3, b1]) release();
  });

  it('a full pool answers SOURCE_BUSY after its bounded wait; a freed slot goes to the waiter', async () => {
    const slots = new ConnectionSlots(1, 50);
    const held = await slots.acquire();
    const refused = await slots.acquire().catch((error: unknown) => error);
    expect((refused as BastionError).code).toBe('SOURCE_BUSY');
    expect(slots.stats()).toEqual({ used: 1, waiting: 0 });
    const waiting = new ConnectionSlots(1, 10_000);
    const first = await waiting.acquire();
    const second = waiting.acquire();
    first();
    (await second)();
    expect(waiting.stats()).toEqual({ used: 0, waiting: 0 });
    held();
    const controller = new AbortController();
    const blocked = new ConnectionSlots(1, 10_000);
    const taken = await blocked.acquire();
    const cancelled = blocked.acquire(controller.signal).catch((error: unknown) => error);
    controller.abort();
    expect(((await cancelled) as BastionError).code).toBe('QUERY_CANCELLED');
    expect(blocked.stats()).toEqual({ used: 1, waiting: 0 });
    taken();
    expect(blocked.stats()).toEqual({ used: 0, waiting: 0 });
  });
});

describe.skipIf(!postgres.ok)('PostgreSQL: fair share of a source', () => {
  let db: TestDatabase;
  let bastion: TestBastion;
  let locker: pg.Client | undefined;
  const sessions: Array<{ close(): Promise<void> }> = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    await db.admin('CREATE TABLE public.locked_box (id int); INSERT INTO public.locked_box VALUES (1), (2)');
    bastion = await startBastion({
      sources: {
        main: { engine: 'postgres', url: db.url, lock_timeout_ms: 60_000, statement_timeout_ms: 60_000, pool: { max: 6 } },
        short: { engine: 'postgres', url: db.url, lock_timeout_ms: 60_000, statement_timeout_ms: 300, pool: { max: 6 } },
      },
      limits: { max_in_flight_per_principal: 2 },
    });
  });
  afterEach(async () => {
    await locker?.end().catch(() => undefined);
    locker = undefined;
  });
  afterAll(async () => {
    for (const session of sessions) await session.close();
    await bastion.close();
    await db.drop();
  });

  /** Calls of other tools by principal id, for the sessions session() opened. */
  const tools = new Map<string, (name: string, args: Record<string, unknown>) => Promise<CallToolResult>>();

  async function session(principal: Principal): Promise<(sql: string, source?: string, signal?: AbortSignal) => Promise<CallToolResult>> {
    const opened = await openSession(bastion.ctx, principal);
    sessions.push(opened);
    tools.set(principal.id, async (name, args) => (await opened.client.callTool({ name, arguments: args })) as CallToolResult);
    return async (sql, source = 'main', signal) =>
      (await opened.client.callTool({ name: 'query', arguments: { source, sql } }, undefined, { signal, timeout: 120_000 })) as CallToolResult;
  }

  /** Holds an exclusive lock on the table until unlock(): reads of it wait. */
  async function lockTable(): Promise<() => Promise<void>> {
    locker = new pg.Client({ connectionString: db.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE public.locked_box IN ACCESS EXCLUSIVE MODE');
    const held = locker;
    return async () => {
      await held.query('COMMIT');
    };
  }

  /** Bastion's backends of the test database waiting on the table (as superuser, outside Bastion). */
  async function blockedStatements(): Promise<number> {
    const result = await db.admin(
      "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name = 'bastion' AND state = 'active' AND query LIKE '%locked_box%'",
      [db.name],
    );
    return (result.rows[0] as { n: number }).n;
  }

  it('a principal at its limit gets SOURCE_BUSY at once, another is answered while the slow calls still run, and the first can call again after', async () => {
    const alice = await session(ALICE);
    const bob = await session(BOB);
    const unlock = await lockTable();
    const slow = [alice(BLOCKED_SQL), alice(BLOCKED_SQL)];
    expect(await eventually(async () => (await blockedStatements()) === 2)).toBe(true);

    // Alice's third call is refused, and it never reached the database.
    const third = await alice('SELECT 1 AS one');
    expect(errorCode(third)).toBe('SOURCE_BUSY');
    const text = third.content[0]?.type === 'text' ? third.content[0].text : '';
    expect(text).toMatch(/retry/);
    expect(text).not.toMatch(/not reachable/);

    // Bob is answered normally, while both of Alice's statements are still waiting on the server.
    expect(rowsOf(await bob('SELECT 41 + 1 AS answer'))).toEqual([[42]]);
    expect(await blockedStatements()).toBe(2);
    // Alice's share is per source: another source is hers to use.
    expect(rowsOf(await alice('SELECT 7 AS seven', 'short'))).toEqual([[7]]);
    // Catalog calls hold a slot too: at her limit Alice cannot fill the pool with list_tables or
    // describe_table either, while Bob's are answered.
    const aliceTool = tools.get('alice');
    const bobTool = tools.get('bob');
    for (const [name, args] of [['list_tables', { source: 'main' }], ['describe_table', { source: 'main', table: 'public.locked_box' }]] as const) {
      expect(errorCode(await aliceTool!(name, args))).toBe('SOURCE_BUSY');
      expect(errorCode(await bobTool!(name, args))).toBeUndefined();
    }

    await unlock();
    for (const result of await Promise.all(slow)) expect(rowsOf(result)).toEqual([[2]]);
    expect(rowsOf(await alice('SELECT 1 AS one'))).toEqual([[1]]);

    // The refusal is in the audit trail as a denial with its code.
    const trail = await readFile(join(bastion.auditDir, 'audit.jsonl'), 'utf8');
    const busy = trail
      .split('\n')
      .filter((line) => line.includes('"reason":"SOURCE_BUSY"'))
      .map((line) => JSON.parse(line) as { decision: string; principal: { id: string } });
    expect(busy.map((record) => (record as { tool?: string }).tool)).toEqual(['query', 'list_tables', 'describe_table']);
    for (const record of busy) expect(record).toMatchObject({ decision: 'deny', principal: { id: 'alice' } });
  });

  it('the share comes back after an error, a timeout and a cancel', async () => {
    const carol = await session({ ...ALICE, id: 'carol' });
    // Errors: more failed calls than the limit, then a call that works.
    for (let i = 0; i < 3; i++) expect(errorCode(await carol('SELECT 1 / (id - id) FROM public.locked_box'))).toBe('QUERY_FAILED');
    expect(rowsOf(await carol('SELECT 1 AS one'))).toEqual([[1]]);

    // Timeouts: the short source cancels statements waiting on the lock.
    const unlock = await lockTable();
    for (let i = 0; i < 3; i++) expect(errorCode(await carol(BLOCKED_SQL, 'short'))).toBe('QUERY_TIMEOUT');
    expect(rowsOf(await carol('SELECT 2 AS two', 'short'))).toEqual([[2]]);

    // Cancels: the client gives up on calls still waiting on the lock.
    for (let i = 0; i < 3; i++) {
      const controller = new AbortController();
      const call = carol(BLOCKED_SQL, 'main', controller.signal).catch((error: unknown) => error);
      expect(await eventually(async () => (await blockedStatements()) === 1)).toBe(true);
      controller.abort();
      await call;
      expect(await eventually(async () => (await blockedStatements()) === 0)).toBe(true);
    }
    await unlock();
    expect(await eventually(async () => errorCode(await carol('SELECT 3 AS three')) === undefined)).toBe(true);
  });

  it('a full pool is SOURCE_BUSY after its bounded wait, an unreachable source SOURCE_UNAVAILABLE', async () => {
    const own = await startBastion({
      sources: {
        tiny: { engine: 'postgres', url: db.url, lock_timeout_ms: 60_000, statement_timeout_ms: 60_000, pool: { max: 2, acquire_timeout_ms: 300 } },
        gone: { engine: 'postgres', url: 'postgres://postgres@127.0.0.1:1/none', pool: { connect_timeout_ms: 300 } },
      },
      limits: { max_in_flight_per_principal: 1 },
    });
    let stopLock: (() => Promise<void>) | undefined;
    try {
      const asPrincipal = async (id: string): Promise<(sql: string, source?: string) => Promise<CallToolResult>> => {
        const opened = await openSession(own.ctx, { ...ALICE, id });
        sessions.push(opened);
        return async (sql, source = 'tiny') => (await opened.client.callTool({ name: 'query', arguments: { source, sql } })) as CallToolResult;
      };
      const [dave, erin, frank] = await Promise.all([asPrincipal('dave'), asPrincipal('erin'), asPrincipal('frank')]);
      const unlock = await lockTable();
      // Closing the server below waits for its connections: a failed check must not leave them blocked.
      stopLock = unlock;
      const slow = [dave(BLOCKED_SQL), erin(BLOCKED_SQL)];
      expect(await eventually(async () => (await blockedStatements()) === 2)).toBe(true);
      const waited = await frank('SELECT 1 AS one');
      expect(errorCode(waited)).toBe('SOURCE_BUSY');
      expect(waited.content[0]?.type === 'text' ? waited.content[0].text : '').toMatch(/Every connection of this source is in use/);
      expect(await blockedStatements()).toBe(2);
      await unlock();
      for (const result of await Promise.all(slow)) expect(rowsOf(result)).toEqual([[2]]);
      expect(rowsOf(await frank('SELECT 1 AS one'))).toEqual([[1]]);
      expect(errorCode(await frank('SELECT 1 AS one', 'gone'))).toBe('SOURCE_UNAVAILABLE');
    } finally {
      await stopLock?.().catch(() => undefined);
      await own.close();
    }
  });
});
