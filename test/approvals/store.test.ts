/**
 * The approval store on both back-ends (a file under state.dir; a PostgreSQL table
 * when state.url is set): an approval is used only when a person approved it, only
 * for exactly the call that was shown, only before it expires, and only once — even
 * when two replicas race for it. Expiry is tested by moving an injected clock.
 */
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { FileApprovalStore } from '../../src/approvals/file-store.js';
import { hashParams, hashStatement, openApprovalStore } from '../../src/approvals/index.js';
import { PostgresApprovalStore } from '../../src/approvals/pg-store.js';
import { APPROVAL_ID_PATTERN, type ApprovalBinding, type ApprovalStore, type ApprovalStoreOptions, type NewApproval } from '../../src/approvals/store.js';
import { FileApiKeyStore } from '../../src/auth/api-keys/file-store.js';
import { configSchema } from '../../src/config/schema.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';

const MINUTE = 60_000;
const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A clock the test moves; stores read it for creation, expiry and decisions. */
function testClock(): { now: () => Date; advance: (ms: number) => void } {
  let time = Date.now();
  return { now: () => new Date(time), advance: (ms) => (time += ms) };
}

/** A logger that only records warnings, to see what the server log would get. */
function recordingLog(): { log: Logger; warnings: unknown[][] } {
  const warnings: unknown[][] = [];
  const log = { warn: vi.fn((...args: unknown[]) => warnings.push(args)) } as unknown as Logger;
  return { log, warnings };
}

const SQL = "UPDATE ai_orders SET status = 'shipped' WHERE id = $1";
const BINDING: ApprovalBinding = {
  principal: 'key:key_AAAAAAAA',
  source: 'demo',
  tool: 'execute',
  sqlHash: hashStatement(SQL),
  paramsHash: hashParams([42]),
};

function request(overrides: Partial<NewApproval> = {}): NewApproval {
  return { ...BINDING, statement: SQL, summary: '1 row would change', ttlMs: 15 * MINUTE, instance: 'replica-a', ...overrides };
}

type OpenStore = (options: ApprovalStoreOptions) => Promise<ApprovalStore>;

/** The behaviour both back-ends promise; `open` gives a fresh store on the same state each call (a replica). */
function approvalStoreContract(openShared: () => OpenStore): void {
  let open: OpenStore;
  let clock: ReturnType<typeof testClock>;

  async function store(options: ApprovalStoreOptions = {}): Promise<ApprovalStore> {
    const opened = await open({ now: clock.now, ...options });
    closers.push(() => opened.close());
    return opened;
  }

  beforeAll(() => {
    open = openShared();
  });
  beforeEach(() => {
    clock = testClock();
  });

  it('creates a pending approval with a 128-bit id, bound to the call and expiring after the ttl', async () => {
    const s = await store();
    const created = await s.create(request());
    expect(created.id).toMatch(APPROVAL_ID_PATTERN);
    expect(Buffer.from(created.id.slice(3), 'base64url')).toHaveLength(16);
    expect(created).toMatchObject({ ...BINDING, status: 'pending', instance: 'replica-a', statement: SQL, summary: '1 row would change' });
    expect(Date.parse(created.expiresAt) - Date.parse(created.createdAt)).toBe(15 * MINUTE);
    expect(created.decidedBy).toBeUndefined();
    expect(await s.get(created.id)).toEqual(created);
    expect((await s.list()).map((a) => a.id)).toContain(created.id);
  });

  it('refuses to use a pending approval (nobody approved it yet), and it stays pending', async () => {
    const s = await store();
    const { id } = await s.create(request());
    expect(await s.consume(id, BINDING)).toEqual({ ok: false, reason: 'PENDING' });
    expect((await s.get(id))?.status).toBe('pending');
  });

  it('uses an approved approval exactly once, for exactly the approved call', async () => {
    const s = await store();
    const { id } = await s.create(request());
    const approved = await s.decide(id, 'approved', 'alice@laptop');
    expect(approved).toMatchObject({ status: 'approved', decidedBy: 'alice@laptop' });
    const used = await s.consume(id, { ...BINDING });
    expect(used.ok).toBe(true);
    expect(used.ok && used.approval).toMatchObject({ id, status: 'used' });
    expect((await s.get(id))?.usedAt).toBeDefined();
    expect(await s.consume(id, BINDING)).toEqual({ ok: false, reason: 'USED' });
    expect((await s.get(id))?.status).toBe('used');
  });

  it.each([
    ['statement', { sqlHash: hashStatement(`${SQL} OR true`) }],
    ['params', { paramsHash: hashParams([43]) }],
    ['principal', { principal: 'key:key_BBBBBBBB' }],
    ['source', { source: 'billing' }],
    ['tool', { tool: 'change_schema' as const }],
  ])('refuses an approval presented for another %s with MISMATCH only, logs which field, and does not burn it', async (_field, change) => {
    const { log, warnings } = recordingLog();
    const s = await store({ log });
    const { id } = await s.create(request());
    await s.decide(id, 'approved', 'alice@laptop');
    const refused = await s.consume(id, { ...BINDING, ...change });
    // The caller learns nothing about which part differed.
    expect(refused).toEqual({ ok: false, reason: 'MISMATCH' });
    expect(JSON.stringify(warnings)).toContain(Object.keys(change)[0]);
    expect((await s.get(id))?.status).toBe('approved');
    // A stranger holding the id cannot use up the approval of the call a person approved.
    expect((await s.consume(id, BINDING)).ok).toBe(true);
  });

  it('checks the binding before the status: another call learns nothing about a pending approval', async () => {
    const s = await store();
    const { id } = await s.create(request());
    expect(await s.consume(id, { ...BINDING, principal: 'key:key_BBBBBBBB' })).toEqual({ ok: false, reason: 'MISMATCH' });
  });

  it('never lets a denied approval run or be approved later', async () => {
    const s = await store();
    const { id } = await s.create(request());
    expect(await s.decide(id, 'denied', 'bob@desk')).toMatchObject({ status: 'denied', decidedBy: 'bob@desk' });
    expect(await s.consume(id, BINDING)).toEqual({ ok: false, reason: 'DENIED' });
    await expect(s.decide(id, 'approved', 'mallory@desk')).rejects.toThrow(/denied by "bob@desk".*never be approved/);
    await expect(s.decide(id, 'denied', 'carol@desk')).rejects.toThrow(/already denied by "bob@desk"/);
    expect(await s.get(id)).toMatchObject({ status: 'denied', decidedBy: 'bob@desk' });
  });

  it('takes a decision once: an approved approval cannot be approved again or turned into a denial', async () => {
    const s = await store();
    const { id } = await s.create(request());
    await s.decide(id, 'approved', 'alice@laptop');
    await expect(s.decide(id, 'approved', 'bob@desk')).rejects.toThrow(/already approved/);
    await expect(s.decide(id, 'denied', 'bob@desk')).rejects.toThrow(/already approved/);
    expect((await s.get(id))?.decidedBy).toBe('alice@laptop');
  });

  it('expires: an approved approval past its ttl is refused, and a pending one can no longer be approved', async () => {
    const s = await store();
    const approved = await s.create(request({ ttlMs: MINUTE }));
    const pending = await s.create(request({ ttlMs: MINUTE }));
    await s.decide(approved.id, 'approved', 'alice@laptop');
    clock.advance(MINUTE);
    expect((await s.get(approved.id))?.status).toBe('expired');
    expect(await s.consume(approved.id, BINDING)).toEqual({ ok: false, reason: 'EXPIRED' });
    await expect(s.decide(pending.id, 'approved', 'alice@laptop')).rejects.toThrow(/expired/);
    expect((await s.get(pending.id))?.status).toBe('expired');
    expect((await s.list()).map((a) => a.id)).not.toContain(pending.id);
  });

  it('answers NOT_FOUND for an unknown id, a malformed one and one that differs only in case', async () => {
    const s = await store();
    const { id } = await s.create(request());
    await s.decide(id, 'approved', 'alice@laptop');
    const flipped = id.slice(0, 3) + [...id.slice(3)].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join('');
    for (const other of ['ap_AAAAAAAAAAAAAAAAAAAAAA', 'x', '', `${id} `, `${id}'--`, flipped]) {
      expect(await s.consume(other, BINDING)).toEqual({ ok: false, reason: 'NOT_FOUND' });
      expect(await s.get(other)).toBeUndefined();
    }
    await expect(s.decide('ap_AAAAAAAAAAAAAAAAAAAAAA', 'approved', 'alice@laptop')).rejects.toThrow(/No approval has the id "ap_AAAAAAAAAAAAAAAAAAAAAA"/);
    expect((await s.get(id))?.status).toBe('approved');
  });

  it('lets exactly one of many racing consumes through, across two replicas on the same state', async () => {
    const a = await store();
    const b = await store();
    const { id } = await a.create(request());
    await b.decide(id, 'approved', 'alice@laptop');
    const results = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).consume(id, BINDING)));
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.reason)).toEqual(Array(9).fill('USED'));
  });

  it('lists pending approvals newest first by default, every approval with all', async () => {
    const s = await store();
    const first = await s.create(request());
    clock.advance(1000);
    const second = await s.create(request());
    clock.advance(1000);
    const denied = await s.create(request());
    await s.decide(denied.id, 'denied', 'bob@desk');
    const pending = (await s.list()).map((a) => a.id);
    expect(pending.indexOf(second.id)).toBeLessThan(pending.indexOf(first.id));
    expect(pending).not.toContain(denied.id);
    expect((await s.list({ all: true })).map((a) => a.id)).toEqual(expect.arrayContaining([first.id, second.id, denied.id]));
  });

  it('reports, per creating instance, the approvals decided or expired after a time', async () => {
    const s = await store();
    const before = await s.create(request());
    await s.decide(before.id, 'approved', 'alice@laptop');
    clock.advance(1000);
    const since = clock.now().toISOString();
    clock.advance(1000);
    const approved = await s.create(request());
    const denied = await s.create(request());
    const expiring = await s.create(request({ ttlMs: MINUTE }));
    const untouched = await s.create(request({ ttlMs: 10 * MINUTE }));
    const elsewhere = await s.create(request({ instance: 'replica-b' }));
    await s.decide(approved.id, 'approved', 'alice@laptop');
    await s.decide(denied.id, 'denied', 'bob@desk');
    await s.decide(elsewhere.id, 'approved', 'alice@laptop');
    clock.advance(2 * MINUTE);
    const changes = await s.changesSince('replica-a', since);
    expect(changes.map((a) => a.id).sort()).toEqual([approved.id, denied.id, expiring.id].sort());
    expect(changes.find((a) => a.id === denied.id)).toMatchObject({ status: 'denied', decidedBy: 'bob@desk' });
    expect(changes.find((a) => a.id === expiring.id)?.status).toBe('expired');
    expect(changes.map((a) => a.id)).not.toContain(untouched.id);
    expect(await s.changesSince('replica-a', clock.now().toISOString())).toEqual([]);
    await expect(s.changesSince('replica-a', 'yesterday')).rejects.toThrow(TypeError);
  });

  it('refuses caller mistakes with a TypeError and stores nothing', async () => {
    const s = await store();
    const before = (await s.list({ all: true })).length;
    await expect(s.create(request({ sqlHash: SQL }))).rejects.toThrow(TypeError);
    await expect(s.create(request({ paramsHash: 'ABC' }))).rejects.toThrow(TypeError);
    await expect(s.create(request({ ttlMs: 0 }))).rejects.toThrow(TypeError);
    await expect(s.create(request({ tool: 'query' as 'execute' }))).rejects.toThrow(TypeError);
    await expect(s.create(request({ principal: '' }))).rejects.toThrow(TypeError);
    expect(await s.list({ all: true })).toHaveLength(before);
    const { id } = await s.create(request());
    await expect(s.decide(id, 'maybe' as 'approved', 'alice@laptop')).rejects.toThrow(TypeError);
    expect((await s.get(id))?.status).toBe('pending');
  });
}

describe('hashStatement and hashParams', () => {
  it('hash the exact statement text: a changed space is another statement', () => {
    expect(hashStatement(SQL)).toBe(createHash('sha256').update(SQL).digest('hex'));
    expect(hashStatement(`${SQL} `)).not.toBe(hashStatement(SQL));
  });

  it('hash params by value, whatever the key order of objects in them', () => {
    expect(hashParams([{ a: 1, b: [2, 'x'] }])).toBe(hashParams([{ b: [2, 'x'], a: 1 }]));
    expect(hashParams([1, '1'])).not.toBe(hashParams(['1', 1]));
    expect(hashParams([])).not.toBe(hashParams([null]));
    expect(hashParams([42])).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('file approval store', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  async function tempDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'bastion-approvals-'));
    dirs.push(dir);
    return dir;
  }

  describe('contract', () => {
    let dir: string | undefined;
    afterEach(() => {
      dir = undefined;
    });
    // Every test gets a fresh folder; the replicas of one test share it.
    approvalStoreContract(() => async (options) => {
      dir ??= await tempDir();
      return FileApprovalStore.open(dir, options);
    });
  });

  it('keeps approvals in a 0600 file in a 0700 folder, beside the API keys, and leaves no lock or temp file', async () => {
    const dir = join(await tempDir(), '.bastion');
    const store = await FileApprovalStore.open(dir);
    closers.push(() => store.close());
    const keys = await FileApiKeyStore.open(dir, createLogger('silent'));
    closers.push(() => keys.close());
    const { id } = await store.create(request());
    await keys.create({ name: 'ci', role: 'reader' });
    await store.decide(id, 'approved', 'alice@laptop');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'approvals.json')).mode & 0o777).toBe(0o600);
    expect(readdirSync(dir).sort()).toEqual(['api-keys.json', 'approvals.json']);
    expect((await store.get(id))?.status).toBe('approved');
  });

  it('refuses an approvals file other users can read, naming the path and the fix', async () => {
    const dir = await tempDir();
    const store = await FileApprovalStore.open(dir);
    await store.create(request());
    await store.close();
    const path = join(dir, 'approvals.json');
    chmodSync(path, 0o644);
    const opened = FileApprovalStore.open(dir);
    await expect(opened).rejects.toThrow(path);
    await expect(opened).rejects.toThrow('chmod 600');
  });

  it('refuses a hand-edited file that does not parse instead of forgetting what was decided', async () => {
    const dir = await tempDir();
    writeFileSync(join(dir, 'approvals.json'), '{"version":1,"approvals":[{"id":"ap_x","status":"approved"}]}', { mode: 0o600 });
    await expect(FileApprovalStore.open(dir)).rejects.toThrow(/not a valid approvals file/);
  });

  it('forgets approvals finished more than a day ago, and never a live one', async () => {
    const dir = await tempDir();
    const clock = testClock();
    const store = await FileApprovalStore.open(dir, { now: clock.now });
    closers.push(() => store.close());
    const denied = await store.create(request());
    await store.decide(denied.id, 'denied', 'bob@desk');
    const live = await store.create(request({ ttlMs: 7 * 24 * 60 * MINUTE }));
    clock.advance(25 * 60 * MINUTE);
    await store.create(request());
    expect(await store.get(denied.id)).toBeUndefined();
    expect((await store.get(live.id))?.status).toBe('pending');
  });

  it('keeps at most maxRecords: finished ones make room first, then creating is refused rather than dropping a live one', async () => {
    const dir = await tempDir();
    const store = await FileApprovalStore.open(dir, { maxRecords: 3 });
    closers.push(() => store.close());
    const a = await store.create(request());
    const b = await store.create(request());
    const c = await store.create(request());
    await expect(store.create(request())).rejects.toMatchObject({ code: 'RATE_LIMITED' });
    await store.decide(a.id, 'denied', 'bob@desk');
    const d = await store.create(request());
    const ids = (await store.list({ all: true })).map((x) => x.id).sort();
    expect(ids).toEqual([b.id, c.id, d.id].sort());
  });

  it('opens the file store from the configuration when state.url is not set', async () => {
    const dir = await tempDir();
    const config = configSchema.parse({ sources: { demo: { engine: 'pglite' } }, state: { dir } });
    const store = await openApprovalStore(config);
    closers.push(() => store.close());
    expect(store).toBeInstanceOf(FileApprovalStore);
    await store.create(request());
    expect(existsSync(join(dir, 'approvals.json'))).toBe(true);
  });
});

describe.skipIf(!postgres.ok)('PostgreSQL approval store (state.url)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase({ seed: false });
  });
  afterEach(async () => {
    await db.admin('TRUNCATE bastion_approvals').catch(() => undefined);
  });
  afterAll(async () => {
    await db.drop();
  });

  describe('contract', () => {
    approvalStoreContract(() => (options) => PostgresApprovalStore.open(db.url, options));
  });

  it('two replicas starting at once both create-or-find the table, in the default schema', async () => {
    await db.admin('DROP TABLE IF EXISTS bastion_approvals');
    const config = configSchema.parse({ sources: { demo: { engine: 'pglite' } }, state: { url: db.url } });
    const [a, b] = await Promise.all([openApprovalStore(config), openApprovalStore(config)]);
    closers.push(() => a.close(), () => b.close());
    expect(a).toBeInstanceOf(PostgresApprovalStore);
    expect(b).toBeInstanceOf(PostgresApprovalStore);
    const table = await db.admin(`SELECT table_schema FROM information_schema.tables WHERE table_name = 'bastion_approvals'`);
    expect(table.rows).toEqual([{ table_schema: 'public' }]);
  });

  it('the table refuses a status outside the four it stores and a digest that is not hex', async () => {
    const store = await PostgresApprovalStore.open(db.url);
    closers.push(() => store.close());
    const { id } = await store.create(request());
    await expect(db.admin(`UPDATE bastion_approvals SET status = 'expired' WHERE id = $1`, [id])).rejects.toThrow(/check constraint/);
    await expect(db.admin(`UPDATE bastion_approvals SET sql_sha256 = $2 WHERE id = $1`, [id, SQL])).rejects.toThrow(/check constraint/);
  });
});
