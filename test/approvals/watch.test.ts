/**
 * What a server audits about its own approvals: their expiry, once each. A person's
 * decision is written by `bastion approvals` itself (test/e2e/approvals-cli.test.ts), so
 * the server does not record it a second time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileApprovalStore } from '../../src/approvals/file-store.js';
import { hashParams, hashStatement, type NewApproval } from '../../src/approvals/index.js';
import { watchApprovals } from '../../src/approvals/watch.js';
import type { AuditEvent } from '../../src/audit/record.js';
import type { AuditTrail } from '../../src/audit/trail.js';
import { createLogger } from '../../src/log/logger.js';

const SQL = "UPDATE ai_orders SET status = 'shipped' WHERE id = $1";
const MINUTE = 60_000;

function request(ttlMs: number): NewApproval {
  return { principal: 'local', source: 'demo', tool: 'execute', sqlHash: hashStatement(SQL), paramsHash: hashParams([1]), statement: SQL, summary: '', ttlMs, instance: 'api-1' };
}

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

describe('the approval watcher of a server', () => {
  it('records each expiry of its approvals once, and no decision made with the CLI', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bastion-watch-'));
    let time = Date.parse('2030-01-01T00:00:00Z');
    const now = (): Date => new Date(time);
    const store = await FileApprovalStore.open(dir, { now });
    const recorded: AuditEvent[] = [];
    const audit: AuditTrail = { enabled: true, instance: 'api-1', record: (event) => (recorded.push(event), Promise.resolve()), close: () => Promise.resolve() };
    const denied = await store.create(request(10 * MINUTE));
    const approved = await store.create(request(MINUTE));
    const forgotten = await store.create(request(MINUTE));
    await store.decide(denied.id, 'denied', 'bob@desk');
    await store.decide(approved.id, 'approved', 'alice@laptop');
    const watch = watchApprovals(store, audit, createLogger('silent'), { intervalMs: 3_600_000, now });
    await watch.poll();
    expect(recorded).toEqual([]);

    time += 1.5 * MINUTE;
    await watch.poll();
    await watch.poll();
    await watch.stop();
    expect(recorded.map((e) => [e.approval?.id, e.approval?.state, e.outcome, e.principal.kind]).sort()).toEqual(
      [
        [approved.id, 'expired', 'decided', 'system'],
        [forgotten.id, 'expired', 'decided', 'system'],
      ].sort(),
    );
    await store.close();
  });
});
