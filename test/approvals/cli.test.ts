/**
 * `bastion approvals` as a person uses it, against the built binary: they see the
 * statement and the dry run before deciding, a script must say --yes to approve, the
 * decision reaches the store a server reads, and nothing the assistant wrote can
 * drive the terminal.
 */
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FileApprovalStore } from '../../src/approvals/file-store.js';
import { PostgresApprovalStore } from '../../src/approvals/pg-store.js';
import { hashParams, hashStatement, type Approval, type ApprovalBinding, type ApprovalStore, type NewApproval } from '../../src/approvals/index.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';
import { cleanup, dirWithConfig, makeTempDir, runCli, userStateDirFor, type CliRun } from '../helpers/spawn.js';

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await cleanup();
});

const STATEMENT = "UPDATE ai_orders\nSET status = 'shipped'\nWHERE id = $1";
const BINDING: ApprovalBinding = {
  principal: 'key:key_AAAAAAAA',
  source: 'demo',
  tool: 'execute',
  sqlHash: hashStatement(STATEMENT),
  paramsHash: hashParams([42]),
};

function request(overrides: Partial<NewApproval> = {}): NewApproval {
  return { ...BINDING, statement: STATEMENT, summary: 'would update 1 row of ai_orders', ttlMs: 15 * 60_000, instance: 'replica-a', ...overrides };
}

function expectExit(run: CliRun, code: number): void {
  expect(run.timedOut).toBe(false);
  expect(run.code, run.stderr).toBe(code);
}

/** One clear line on stderr, as `bastion: …`. */
function expectOneLineError(run: CliRun, pattern: RegExp): void {
  expectExit(run, 1);
  expect(run.stderr).toMatch(/^bastion: [^\n]+\n$/);
  expect(run.stderr).toMatch(pattern);
}

/** A working folder without a configuration, and the approvals a server started there created (in the per-user state folder). */
async function folderWithStore(): Promise<{ cwd: string; store: ApprovalStore }> {
  const cwd = makeTempDir();
  const store = await FileApprovalStore.open(userStateDirFor(cwd));
  closers.push(() => store.close());
  return { cwd, store };
}

async function pendingApproval(store: ApprovalStore, overrides: Partial<NewApproval> = {}): Promise<Approval> {
  return store.create(request(overrides));
}

describe('bastion approvals list', () => {
  it('shows pending approvals for a person: id, status, who, where, which tool, times and the first statement line', async () => {
    const { cwd, store } = await folderWithStore();
    const pending = await pendingApproval(store);
    const denied = await pendingApproval(store);
    await store.decide(denied.id, 'denied', 'bob@desk');
    const run = await runCli(['approvals', 'list'], { cwd });
    expectExit(run, 0);
    const [header, ...rows] = run.stdout.trimEnd().split('\n');
    expect(header).toMatch(/^ID\s+STATUS\s+PRINCIPAL\s+SOURCE\s+TOOL\s+CREATED\s+EXPIRES\s+STATEMENT$/);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatch(new RegExp(`^${pending.id}\\s+pending\\s+key:key_AAAAAAAA\\s+demo\\s+execute\\s+\\S+Z\\s+\\S+Z\\s+UPDATE ai_orders…$`));
    expect(run.stdout).not.toContain(denied.id);
    expect(run.stdout).not.toContain(BINDING.sqlHash);
  });

  it('--all adds decided ones; --json is parseable and carries no stored digest', async () => {
    const { cwd, store } = await folderWithStore();
    const pending = await pendingApproval(store);
    const denied = await pendingApproval(store);
    await store.decide(denied.id, 'denied', 'bob@desk');
    const all = await runCli(['approvals', 'list', '--all'], { cwd });
    expectExit(all, 0);
    expect(all.stdout).toMatch(new RegExp(`${denied.id}\\s+denied`));
    const json = await runCli(['approvals', 'list', '--all', '--json'], { cwd });
    expectExit(json, 0);
    const parsed = JSON.parse(json.stdout) as Record<string, unknown>[];
    expect(parsed.map((a) => a['id']).sort()).toEqual([pending.id, denied.id].sort());
    expect(parsed.find((a) => a['id'] === pending.id)).toMatchObject({ status: 'pending', statement: STATEMENT, principal: BINDING.principal });
    expect(json.stdout).not.toContain(BINDING.sqlHash);
    expect(json.stdout).not.toContain(BINDING.paramsHash);
  });

  it('says so when nothing is pending', async () => {
    const run = await runCli(['approvals', 'list'], { cwd: makeTempDir() });
    expectExit(run, 0);
    expect(run.stdout).toBe('No pending approvals.\n');
  });
});

describe('bastion approvals show', () => {
  it('prints everything a person decides on: the full statement and the dry-run result', async () => {
    const { cwd, store } = await folderWithStore();
    const { id } = await pendingApproval(store);
    const run = await runCli(['approvals', 'show', id], { cwd });
    expectExit(run, 0);
    expect(run.stdout).toContain(`Approval ${id}`);
    for (const line of STATEMENT.split('\n')) expect(run.stdout).toContain(`  ${line}\n`);
    expect(run.stdout).toContain('would update 1 row of ai_orders');
    expect(run.stdout).toMatch(/principal\s+key:key_AAAAAAAA/);
    expect(run.stdout).toMatch(/instance replica-a/);
    expect(run.stdout).not.toContain(BINDING.sqlHash);
  });

  it('attack: a statement with terminal escapes, a carriage return and bidi overrides cannot hide part of itself', async () => {
    const { cwd, store } = await folderWithStore();
    const hidden = "UPDATE ai_orders SET note = 'ok'\r\u001b[2K-- harmless comment\u202e; DROP\u2066 TABLE\u{E0041}";
    const { id } = await pendingApproval(store, { statement: hidden, summary: 'fine\u001b]0;title\u0007' });
    for (const args of [['show', id], ['list'], ['list', '--json']]) {
      const run = await runCli(['approvals', ...args], { cwd });
      expectExit(run, 0);
      // Nothing that moves the cursor, rewrites a line or reorders text reaches the terminal.
      expect(run.stdout).not.toMatch(/(?!\n)[\p{Cc}\u202a-\u202e\u2066-\u2069]|\u{E0041}/u);
      expect(run.stdout).toContain('\\u001b');
    }
    const show = await runCli(['approvals', 'show', id], { cwd });
    expect(show.stdout).toContain("'ok'\\u000d\\u001b[2K-- harmless comment\\u202e; DROP\\u2066 TABLE\\udb40\\udc41");
    const json = await runCli(['approvals', 'list', '--json'], { cwd });
    expect((JSON.parse(json.stdout) as { statement: string }[])[0]?.statement).toBe(hidden);
  });

  it('exits 1 with one clear line for an unknown id', async () => {
    const run = await runCli(['approvals', 'show', 'ap_AAAAAAAAAAAAAAAAAAAAAA'], { cwd: makeTempDir() });
    expectOneLineError(run, /No approval has the id "ap_AAAAAAAAAAAAAAAAAAAAAA"/);
    expect(run.stdout).toBe('');
  });
});

describe('bastion approvals approve', () => {
  it('--yes shows the statement and dry run, records the OS user and host, and the server can then use it once', async () => {
    const { cwd, store } = await folderWithStore();
    const { id } = await pendingApproval(store);
    const run = await runCli(['approvals', 'approve', id, '--yes'], { cwd });
    expectExit(run, 0);
    expect(run.stdout).toContain("SET status = 'shipped'");
    expect(run.stdout).toContain('would update 1 row of ai_orders');
    expect(run.stdout).toContain(`Approved ${id}`);
    const approved = await store.get(id);
    expect(approved).toMatchObject({ status: 'approved', decidedBy: `${userInfo().username}@${hostname()}` });
    expect((await store.consume(id, BINDING)).ok).toBe(true);
    expect(await store.consume(id, BINDING)).toEqual({ ok: false, reason: 'USED' });
  });

  it('refuses without a terminal and without --yes, and the approval stays pending', async () => {
    const { cwd, store } = await folderWithStore();
    const { id } = await pendingApproval(store);
    const run = await runCli(['approvals', 'approve', id], { cwd });
    expectOneLineError(run, /Not approved: there is no terminal.*--yes/);
    expect((await store.get(id))?.status).toBe('pending');
    expect(await store.consume(id, BINDING)).toEqual({ ok: false, reason: 'PENDING' });
  });

  it('exits 1 with one clear line for an unknown id, and approves nothing', async () => {
    const { cwd, store } = await folderWithStore();
    const { id } = await pendingApproval(store);
    const run = await runCli(['approvals', 'approve', 'ap_doesnotexist', '--yes'], { cwd });
    expectOneLineError(run, /No approval has the id "ap_doesnotexist"/);
    expect(run.stdout).toBe('');
    expect((await store.get(id))?.status).toBe('pending');
  });

  it('cannot approve what a person already denied, nor an expired approval', async () => {
    const { cwd, store } = await folderWithStore();
    const denied = await pendingApproval(store);
    const expired = await pendingApproval(store, { ttlMs: 1 });
    const deny = await runCli(['approvals', 'deny', denied.id], { cwd });
    expectExit(deny, 0);
    expect(deny.stdout).toContain(`Denied ${denied.id}`);
    expect((await store.get(denied.id))?.status).toBe('denied');
    expect(await store.consume(denied.id, BINDING)).toEqual({ ok: false, reason: 'DENIED' });

    const again = await runCli(['approvals', 'approve', denied.id, '--yes'], { cwd });
    expectOneLineError(again, /denied by ".+".*never be approved/);
    expect((await store.get(denied.id))?.status).toBe('denied');

    const late = await runCli(['approvals', 'approve', expired.id, '--yes'], { cwd });
    expectOneLineError(late, /expired/);
    expect((await store.get(expired.id))?.status).toBe('expired');
  });

  it('uses state.dir of the --config file, relative to the file\'s folder, from any working folder', async () => {
    const configDir = dirWithConfig(['state:', '  dir: my-state', ''].join('\n'));
    const cwd = makeTempDir();
    const store = await FileApprovalStore.open(join(configDir, 'my-state'));
    closers.push(() => store.close());
    const { id } = await pendingApproval(store);
    const run = await runCli(['approvals', '--config', join(configDir, 'bastion.yaml'), 'approve', id, '--yes'], { cwd });
    expectExit(run, 0);
    expect((await store.get(id))?.status).toBe('approved');
  });
});

describe('bastion approvals deny', () => {
  it('exits 1 with one clear line for an unknown id', async () => {
    const run = await runCli(['approvals', 'deny', 'ap_AAAAAAAAAAAAAAAAAAAAAA'], { cwd: makeTempDir() });
    expectOneLineError(run, /No approval has the id/);
  });
});

describe.skipIf(!postgres.ok)('bastion approvals with state.url', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ seed: false });
  });
  afterAll(async () => {
    await db.drop();
  });

  it('a person approves in the shared table, and any replica can then use it exactly once', async () => {
    const replicaA = await PostgresApprovalStore.open(db.url);
    const replicaB = await PostgresApprovalStore.open(db.url);
    closers.push(() => replicaA.close(), () => replicaB.close());
    const { id } = await replicaA.create(request());
    const cwd = dirWithConfig(`state:\n  url: ${db.url}\n`);
    const list = await runCli(['approvals', 'list'], { cwd });
    expectExit(list, 0);
    expect(list.stdout).toContain(id);
    expectExit(await runCli(['approvals', 'approve', id, '--yes'], { cwd }), 0);
    const [a, b] = await Promise.all([replicaA.consume(id, BINDING), replicaB.consume(id, BINDING)]);
    expect([a.ok, b.ok].filter(Boolean)).toHaveLength(1);
  });
});
