/**
 * The console at the HTTP level (fetch, no browser): what an anonymous client gets,
 * what a post without the session's CSRF token changes (nothing), who may sign in and
 * see which page, that sign-ins and failures are audited, and the admin's keys page
 * (a new key shown once, revoking it ends its sessions).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyExport } from '../../src/audit/verify-export.js';
import { Browser, startConsole, type ConsoleHarness } from './harness.js';

let h: ConsoleHarness;
beforeEach(async () => {
  h = await startConsole();
});
afterEach(async () => {
  await h.close();
});

const PAGES = ['/console', '/console/', '/console/approvals', '/console/audit', '/console/audit/export', '/console/keys', '/console/sources'];
const POSTS = ['/console/approvals/decide', '/console/keys/create', '/console/keys/revoke', '/console/sign-out'];

describe('console without a session', () => {
  it('an anonymous request to any console route reveals nothing and changes nothing', async () => {
    const agent = await h.key('writer', 'agent-name-visible-only-to-admins');
    const approval = await h.pending(`key:${agent.id}`);
    const anonymous = new Browser(h.base);
    for (const path of PAGES) {
      const answer = await anonymous.request(path);
      expect([303, 404], path).toContain(answer.status);
      if (answer.status === 303) expect(answer.headers.get('location')).toBe('/console/sign-in');
      expect(answer.text).not.toContain(approval.id);
      expect(answer.text).not.toContain('UPDATE');
      expect(answer.text).not.toContain(agent.id);
    }
    for (const path of POSTS) {
      const answer = await anonymous.request(path, { form: { id: approval.id, decision: 'approve', name: 'x', role: 'admin' } });
      expect(answer.status, path).toBe(401);
      expect(answer.text).not.toContain(approval.id);
    }
    expect((await h.approvals.get(approval.id))?.status).toBe('pending');
    expect((await h.apiKeys.store.list()).map((k) => k.name)).toEqual(['agent-name-visible-only-to-admins']);
  });

  it('unknown paths under /console are 404 for everyone', async () => {
    expect((await new Browser(h.base).request('/console/../mcp')).status).toBe(404);
    expect((await new Browser(h.base).request('/console/nothing')).status).toBe(404);
  });
});

describe('sign-in', () => {
  it('a writer key, an unknown key and a malformed one get no session; each failure is audited', async () => {
    const writer = await h.key('writer');
    for (const key of [writer.key, `ak_${'A'.repeat(43)}`, 'nonsense']) {
      const browser = new Browser(h.base);
      expect(await browser.signIn(key)).toBe(401);
      expect((await browser.request('/console/approvals')).status).toBe(303);
    }
    // Reported like any failed authentication (start.ts wires the listener's reporter, which logs and audits).
    expect(h.failures).toEqual([
      { address: '127.0.0.1', code: 'AUTH_UNKNOWN_ROLE' },
      { address: '127.0.0.1', code: 'AUTH_INVALID' },
      { address: '127.0.0.1', code: 'AUTH_INVALID' },
    ]);
  });

  it('a sign-in form posted without its token (from another site) signs nobody in', async () => {
    const approver = await h.key('approver');
    const browser = new Browser(h.base);
    const answer = await browser.request('/console/sign-in', { form: { api_key: approver.key } });
    expect(answer.status).toBe(403);
    expect((await browser.request('/console/approvals')).status).toBe(303);
  });

  it('a sign-in is audited with the principal and the client address, never the key', async () => {
    const approver = await h.key('approver');
    expect(await new Browser(h.base).signIn(approver.key)).toBe(303);
    const record = h.records().find((r) => r['reason'] === 'CONSOLE_SIGN_IN');
    expect(record).toMatchObject({ principal: { id: `key:${approver.id}`, kind: 'api_key', role: 'approver' }, client: '127.0.0.1', decision: 'allow' });
    expect(JSON.stringify(h.records())).not.toContain(approver.key);
  });

  it('each role sees only its pages: an auditor cannot open approvals or decide, an approver cannot open keys', async () => {
    const approval = await h.pending('key:someone');
    const auditor = new Browser(h.base);
    await auditor.signIn((await h.key('auditor')).key);
    expect((await auditor.request('/console/approvals')).status).toBe(403);
    const csrf = await auditor.csrf('/console/audit');
    expect(csrf).not.toBe('');
    expect((await auditor.request('/console/approvals/decide', { form: { csrf, id: approval.id, decision: 'approve' } })).status).toBe(403);
    expect((await h.approvals.get(approval.id))?.status).toBe('pending');

    const approver = new Browser(h.base);
    await approver.signIn((await h.key('approver')).key);
    expect((await approver.request('/console/keys')).status).toBe(403);
    expect((await approver.request('/console/audit')).status).toBe(403);
  });
});

describe('CSRF', () => {
  it('a signed-in post without the CSRF token, or with a wrong one, changes nothing', async () => {
    const approval = await h.pending('key:someone');
    const approver = new Browser(h.base);
    await approver.signIn((await h.key('approver')).key);
    const real = await approver.csrf();
    expect((await approver.request('/console/approvals/decide', { form: { id: approval.id, decision: 'approve' } })).status).toBe(403);
    const wrong = real.slice(0, -2) + (real.endsWith('AA') ? 'BB' : 'AA');
    expect((await approver.request('/console/approvals/decide', { form: { csrf: wrong, id: approval.id, decision: 'approve' } })).status).toBe(403);
    // Another session's token is no good either.
    const other = new Browser(h.base);
    await other.signIn((await h.key('approver', 'other')).key);
    expect((await approver.request('/console/approvals/decide', { form: { csrf: await other.csrf(), id: approval.id, decision: 'approve' } })).status).toBe(403);
    expect((await h.approvals.get(approval.id))?.status).toBe('pending');
    expect(h.records().some((r) => r['reason'] === 'APPROVAL_APPROVED')).toBe(false);

    // With the token, the same post decides.
    expect((await approver.request('/console/approvals/decide', { form: { csrf: real, id: approval.id, decision: 'approve' } })).status).toBe(303);
    expect((await h.approvals.get(approval.id))?.status).toBe('approved');
  });
});

describe('keys (admin)', () => {
  it('a created key is shown once, works for sign-in, is never listed again; revoking it ends its session', async () => {
    const admin = new Browser(h.base);
    await admin.signIn((await h.key('admin')).key);
    const created = await admin.request('/console/keys/create', { form: { csrf: await admin.csrf('/console/keys'), name: 'night <b>shift</b>', role: 'approver' } });
    expect(created.status).toBe(200);
    const key = /data-new-key>(ak_[A-Za-z0-9_-]{43})</.exec(created.text)?.[1];
    expect(key).toBeDefined();
    expect(created.text).toContain('night &lt;b&gt;shift&lt;/b&gt;');
    const listed = await admin.request('/console/keys');
    expect(listed.text).not.toContain(key);

    const person = new Browser(h.base);
    expect(await person.signIn(key ?? '')).toBe(303);
    expect((await person.request('/console/approvals')).status).toBe(200);

    const id = (await h.apiKeys.store.list()).find((k) => k.name === 'night <b>shift</b>')?.id ?? '';
    expect((await admin.request('/console/keys/revoke', { form: { csrf: await admin.csrf('/console/keys'), id } })).status).toBe(200);
    expect((await person.request('/console/approvals')).status).toBe(303);
    const reasons = h.records().map((r) => r['reason']);
    expect(reasons).toContain('KEY_CREATED');
    expect(reasons).toContain('KEY_REVOKED');
    expect(JSON.stringify(h.records())).not.toContain(key);
  });

  it('the sources page shows engine, mode and health, never a URL', async () => {
    const admin = new Browser(h.base);
    await admin.signIn((await h.key('admin')).key);
    const page = await admin.request('/console/sources');
    expect(page.status).toBe(200);
    expect(page.text).toContain('read-write');
    expect(page.text).toContain('ready');
  });
});

describe('audit (auditor)', () => {
  it('the view lists console actions with the chain verified; the export passes verifyExport, and an edited line does not', async () => {
    const auditor = new Browser(h.base);
    const key = await h.key('auditor', 'auditor-one');
    await auditor.signIn(key.key);
    const page = await auditor.request('/console/audit?tool=console');
    expect(page.status).toBe(200);
    expect(page.text).toContain('console.sign_in');
    expect(page.text).toContain('verified');
    expect(page.text).not.toContain('NOT verified');

    // Two more sign-ins: records enough for one to be taken out of the middle below.
    await new Browser(h.base).signIn(key.key);
    await new Browser(h.base).signIn(key.key);
    const exported = await auditor.request('/console/audit/export');
    expect(exported.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = exported.text.trimEnd().split('\n');
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(verifyExport(exported.text, undefined)).toMatchObject({ ok: true, records: lines.length, chains: 1, gaps: 0 });
    // The attack: one record removed from the middle of an unfiltered export. Every line still
    // matches its hash, but the chain now skips a seq: a gap, which `audit verify --export`
    // fails unless told the export was filtered (--allow-gaps).
    const removed = [lines[0], ...lines.slice(2)].join('\n');
    expect(lines.length).toBeGreaterThanOrEqual(3);
    expect(verifyExport(removed, undefined)).toMatchObject({ ok: true, gaps: 1 });
    const edited = exported.text.replace('"CONSOLE_SIGN_IN"', '"CONSOLE_SIGN_OUT"');
    expect(edited).not.toBe(exported.text);
    expect(verifyExport(edited, undefined).ok).toBe(false);
    // Records swapped within one chain: out of order.
    expect(verifyExport([lines[1], lines[0]].join('\n'), undefined).ok).toBe(false);
    expect(h.records().some((r) => r['reason'] === 'AUDIT_EXPORTED' && (r['principal'] as { id: string }).id === `key:${key.id}`)).toBe(true);
  });
});

describe('every console answer', () => {
  it('carries the strict CSP, no framing and no caching', async () => {
    for (const path of ['/console/sign-in', '/console/static/console.js', '/console/approvals']) {
      const answer = await new Browser(h.base).request(path);
      expect(answer.headers.get('content-security-policy')).toContain("default-src 'none'; script-src 'self'");
      expect(answer.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(answer.headers.get('x-frame-options')).toBe('DENY');
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }
  });

  it('the session cookie is HttpOnly and SameSite=Strict', async () => {
    const approver = await h.key('approver');
    const form = await fetch(`${h.base}/console/sign-in`);
    const pre = form.headers.getSetCookie()[0]?.split(';')[0] ?? '';
    const token = /name="token" value="([^"]+)"/.exec(await form.text())?.[1] ?? '';
    const answer = await fetch(`${h.base}/console/sign-in`, {
      method: 'POST',
      headers: { cookie: pre, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, api_key: approver.key }).toString(),
      redirect: 'manual',
    });
    const session = answer.headers.getSetCookie().find((c) => c.startsWith('bastion_console='));
    expect(session).toMatch(/; HttpOnly; SameSite=Strict/);
    expect(session).toMatch(/Max-Age=900/);
  });
});
