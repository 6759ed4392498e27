/**
 * The approvals file shared by several processes (the CLI and any number of servers):
 * two real processes decide and create approvals at the same moment, and no change of
 * one is lost to the other's read-modify-write. A lock left by a process killed while
 * holding it does not stop the next change; a lock a live process keeps is waited for,
 * then refused with a message that says what to do.
 */
import { utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FileApprovalStore } from '../../src/approvals/file-store.js';
import { hashParams, hashStatement } from '../../src/approvals/index.js';
import type { NewApproval } from '../../src/approvals/store.js';
import { killChildren, startNodeChild } from '../helpers/node-child.js';

const SQL = "UPDATE ai_orders SET status = 'shipped' WHERE id = $1";
const REQUEST: NewApproval = {
  principal: 'key:key_AAAAAAAA',
  source: 'demo',
  tool: 'execute',
  sqlHash: hashStatement(SQL),
  paramsHash: hashParams([42]),
  statement: SQL,
  summary: '1 row would change',
  ttlMs: 60 * 60_000,
  instance: 'replica-a',
};

/**
 * argv: dist URL, state folder, which half of the ids to decide (0 or 1), ids (JSON), how
 * many to create, the request to create (JSON). Decides its half (approve even positions, deny odd ones) while creating.
 */
const HAMMER = `
const { FileApprovalStore } = await import(process.argv[1] + '/approvals/file-store.js');
const [dir, half, idsJson, createCount, requestJson] = process.argv.slice(2);
const ids = JSON.parse(idsJson);
const request = JSON.parse(requestJson);
const store = await FileApprovalStore.open(dir);
process.stdout.write('ready\\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
const created = [];
const decide = ids.flatMap((id, i) => (i % 2 === Number(half) ? [store.decide(id, i % 4 < 2 ? 'approved' : 'denied', 'person-' + half)] : []));
for (let i = 0; i < Number(createCount); i++) created.push(store.create(request).then((a) => a.id));
await Promise.all(decide);
process.stdout.write('created ' + JSON.stringify(await Promise.all(created)) + '\\n');
await store.close();
`;

let dir: string;
afterEach(async () => {
  await killChildren();
  await rm(dir, { recursive: true, force: true });
});
afterAll(killChildren);

async function freshStore(): Promise<FileApprovalStore> {
  dir = await mkdtemp(join(tmpdir(), 'bastion-approvals-processes-'));
  return FileApprovalStore.open(dir);
}

describe('the approvals file under several processes', () => {
  it('two processes deciding and creating at once lose no decision and no approval', async () => {
    const store = await freshStore();
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push((await store.create(REQUEST)).id);
    const children = [0, 1].map((half) => startNodeChild(HAMMER, [dir, String(half), JSON.stringify(ids), '25', JSON.stringify(REQUEST)]));
    // Both loaded and opened the store before either starts, so their changes overlap.
    await Promise.all(children.map((c) => c.said('ready')));
    for (const c of children) c.child.stdin.end('go\n');
    const results = await Promise.all(children.map((c) => c.exited));
    for (const r of results) expect(r.stderr).toBe('');
    expect(results.map((r) => r.code)).toEqual([0, 0]);

    const all = await store.list({ all: true });
    // Every decision of both processes is there, each as it was made.
    for (const [i, id] of ids.entries()) {
      const approval = all.find((a) => a.id === id);
      expect(approval?.status, id).toBe(i % 4 < 2 ? 'approved' : 'denied');
      expect(approval?.decidedBy).toBe(`person-${i % 2}`);
    }
    // And every approval either process created.
    const created = results.flatMap((r) => JSON.parse(/^created (.*)$/m.exec(r.stdout)?.[1] ?? '[]') as string[]);
    expect(new Set(created).size).toBe(50);
    for (const id of created) expect(all.find((a) => a.id === id)?.status).toBe('pending');
    expect(all).toHaveLength(90);
  }, 120_000);

  it('a lock left by a process killed while holding it does not stop the next decision', async () => {
    const store = await freshStore();
    const { id } = await store.create(REQUEST);
    // The process takes the very lock a store takes for a change, then is killed holding it.
    const holder = startNodeChild(
      `const { acquireFileLock } = await import(process.argv[1] + '/util/file-lock.js');
       await acquireFileLock(process.argv[2], { waitMs: 0 });
       process.stdout.write('locked\\n');
       setInterval(() => {}, 1000);`,
      [join(dir, 'approvals.json.lock')],
    );
    await holder.said('locked');
    holder.child.kill('SIGKILL');
    await holder.exited;
    expect((await store.decide(id, 'approved', 'alice@laptop')).status).toBe('approved');
    expect((await FileApprovalStore.open(dir).then((s) => s.get(id)))?.status).toBe('approved');
  }, 60_000);

  it('a lock a live process keeps is waited for, then refused with what to do; the file is unchanged', async () => {
    const store = await freshStore();
    const { id } = await store.create(REQUEST);
    const holder = startNodeChild(
      `const { acquireFileLock } = await import(process.argv[1] + '/util/file-lock.js');
       await acquireFileLock(process.argv[2], { waitMs: 0 });
       process.stdout.write('locked\\n');
       setInterval(() => {}, 1000);`,
      [join(dir, 'approvals.json.lock')],
    );
    await holder.said('locked');
    const refused = store.decide(id, 'approved', 'alice@laptop');
    await expect(refused).rejects.toThrow(`Could not lock the approvals file: Bastion process ${holder.pid} held it for 10 s`);
    await expect(refused).rejects.toThrow('delete approvals.json.lock in the state folder');
    expect((await store.get(id))?.status).toBe('pending');
  }, 60_000);

  it('a lock file another Bastion left with garbage in it is taken over once it is old enough', async () => {
    const store = await freshStore();
    const { id } = await store.create(REQUEST);
    writeFileSync(join(dir, 'approvals.json.lock'), '', { flag: 'wx' });
    const old = new Date(Date.now() - 60_000);
    utimesSync(join(dir, 'approvals.json.lock'), old, old);
    expect((await store.decide(id, 'denied', 'bob@desk')).status).toBe('denied');
  });
});
