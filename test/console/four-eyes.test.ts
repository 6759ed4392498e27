/**
 * Four eyes, in the one decision function every path uses (the CLI and the console):
 * a principal never approves its own request unless its role says approval.allow_self,
 * and the audit records both the refusal and a permitted self-approval.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decideAudited } from '../../src/approvals/decide.js';
import { FileApprovalStore } from '../../src/approvals/file-store.js';
import { hashParams, hashStatement } from '../../src/approvals/index.js';
import type { AuditEvent } from '../../src/audit/record.js';
import type { AuditTrail } from '../../src/audit/trail.js';
import { buildRoles } from '../../src/authorize/roles.js';
import { configSchema, type BastionConfig } from '../../src/config/schema.js';
import { BastionError } from '../../src/errors/codes.js';

let dir: string;
let store: FileApprovalStore;
let events: AuditEvent[];
const audit: AuditTrail = { enabled: true, instance: 'test', record: async (e) => void events.push(e), close: async () => undefined };

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bastion-four-eyes-'));
  store = await FileApprovalStore.open(dir);
  events = [];
});
afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function request(principal: string): ReturnType<FileApprovalStore['create']> {
  const sql = 'DELETE FROM shop.orders WHERE id = 1';
  return store.create({ principal, source: 'demo', tool: 'execute', sqlHash: hashStatement(sql), paramsHash: hashParams([]), statement: sql, summary: sql, ttlMs: 60_000, instance: 'test' });
}

describe('decideAudited: four eyes', () => {
  it('refuses a principal approving its own request: still pending, the refusal audited', async () => {
    const approval = await request('key:key_selfself');
    const error = await decideAudited(audit, store, approval, 'approved', { id: 'key:key_selfself', kind: 'api_key', role: 'admin' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BastionError);
    expect((error as BastionError).code).toBe('DENIED_BY_POLICY');
    expect((await store.get(approval.id))?.status).toBe('pending');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ reason: 'APPROVAL_SELF', decision: 'deny', approval: { state: 'refused', self: true, for: 'key:key_selfself' } });
  });

  it('lets another principal approve it, with the reason the person gave (redacted) in the record', async () => {
    const approval = await request('key:key_agentaaa');
    // secret-scan: allow (made up)
    const comment = 'ok, token ghp_0123456789abcdefghijABCDEFGHIJ012345 rotated';
    const decided = await decideAudited(audit, store, approval, 'approved', { id: 'key:key_personaa', kind: 'api_key', role: 'approver', comment });
    expect(decided.status).toBe('approved');
    expect(events[0]).toMatchObject({ reason: 'APPROVAL_APPROVED', approval: { by: 'key:key_personaa', for: 'key:key_agentaaa' } });
    expect(events[0]?.approval?.self).toBeUndefined();
    expect(JSON.stringify(events)).not.toContain('ghp_0123456789');
  });

  it('a role with approval.allow_self approves its own request, and the record says self', async () => {
    const approval = await request('key:key_soloaaaa');
    const decided = await decideAudited(audit, store, approval, 'approved', { id: 'key:key_soloaaaa', kind: 'api_key', role: 'solo', allowSelf: true });
    expect(decided.status).toBe('approved');
    expect(events[0]).toMatchObject({ reason: 'APPROVAL_APPROVED', approval: { self: true } });
  });

  it('withdrawing (denying) one\'s own request is allowed', async () => {
    const approval = await request('key:key_agentbbb');
    expect((await decideAudited(audit, store, approval, 'denied', { id: 'key:key_agentbbb', kind: 'api_key', role: 'admin' })).status).toBe('denied');
  });
});

describe('role configuration', () => {
  const parse = (roles: unknown): BastionConfig => configSchema.parse({ sources: { demo: { engine: 'pglite' } }, roles });

  it('approval.allow_self sits beside the source globs without changing them', () => {
    const roles = buildRoles(parse({ solo: { tools: ['execute'], console: ['approve'], approval: { allow_self: true, 'staging*': 'none' } } }));
    const solo = roles.get('solo');
    expect(solo?.allowSelfApproval).toBe(true);
    expect(solo?.approvalFor('staging_eu')).toBe('none');
    expect(solo?.approvalFor('prod')).toBe('human');
    expect([...(solo?.console ?? [])]).toEqual(['approve']);
  });

  it('a boolean on a source glob is refused; a source named allow_self keeps its human/none meaning', () => {
    expect(() => parse({ r: { approval: { 'prod*': true } } })).toThrow(/only allow_self takes true or false/);
    const roles = buildRoles(parse({ r: { approval: { allow_self: 'none' } } }));
    expect(roles.get('r')?.approvalFor('allow_self')).toBe('none');
    expect(roles.get('r')?.allowSelfApproval).toBe(false);
  });

  it('built-in roles: approver approves, auditor audits, admin has keys too, and none of them allows self-approval; reader and writer get no console', () => {
    const roles = buildRoles(parse({}));
    expect([...(roles.get('approver')?.console ?? [])]).toEqual(['approve']);
    expect([...(roles.get('auditor')?.console ?? [])]).toEqual(['audit']);
    expect([...(roles.get('admin')?.console ?? [])].sort()).toEqual(['approve', 'audit', 'keys']);
    expect(roles.get('writer')?.console.size).toBe(0);
    expect(roles.get('reader')?.console.size).toBe(0);
    for (const role of roles.values()) expect(role.allowSelfApproval).toBe(false);
    // approver and auditor call no MCP tool at all.
    expect(roles.get('approver')?.tool('query')).toBe(false);
    expect(roles.get('auditor')?.tool('list_sources')).toBe(false);
  });

  it('a configured role cannot claim the keys right; console settings default to on and 15 minutes', () => {
    expect(() => parse({ r: { console: ['keys'] } })).toThrow();
    const config = parse({});
    expect(config.console).toEqual({ enabled: true, session_ttl_s: 900 });
  });
});
