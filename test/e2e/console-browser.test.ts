/**
 * The console end to end in real headless Chromium (Debian's /usr/bin/chromium driven by
 * playwright-core; no browser is downloaded), against the built binary serving HTTP with
 * API keys and a real PostgreSQL source with writes enabled. An assistant's real write
 * goes pending; a person signs in with an approver key, reads the statement and its
 * values, and approves or denies; the assistant's retry commits or is refused, checked
 * in the database itself. Also: the requesting key cannot approve its own request, a
 * value carrying markup renders as text and runs nothing, and a form posted from
 * another site without the CSRF token changes nothing.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chainTexts, recordsOf } from '../helpers/audit-chains.js';
import { createTestDatabase, postgres, type TestDatabase } from '../helpers/postgres.js';
import { cleanup, dirWithConfig, runCli, startHttp, type HttpBastion } from '../helpers/spawn.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const present = existsSync(CHROMIUM);
if (!present) console.warn(`console-browser: skipped, ${CHROMIUM} is absent (CI installs Debian's chromium)`);
const suite = present && postgres.ok ? describe : describe.skip;

let db: TestDatabase;
let cwd: string;
let server: HttpBastion;
let browser: Browser;
let base: string;
const keys: Record<'agent' | 'approver' | 'admin' | 'auditor', string> = { agent: '', approver: '', admin: '', auditor: '' };
const agents: Client[] = [];

async function createKey(role: string, name: string): Promise<string> {
  const run = await runCli(['keys', 'create', '--name', name, '--role', role], { cwd });
  expect(run.code, run.stderr).toBe(0);
  return run.stdout.trim();
}

async function agent(key: string): Promise<Client> {
  const client = new Client({ name: 'console-e2e', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(new URL(server.url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  agents.push(client);
  return client;
}

async function execute(client: Client, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name: 'execute', arguments: { source: 'main', ...args } })) as CallToolResult;
}

async function note(id: number): Promise<unknown> {
  return (await db.admin('SELECT country FROM shop.customers WHERE id = $1', [id])).rows[0]?.country;
}

/** A fresh browser context (no cookie), signed in with `key`. */
async function signedIn(key: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('dialog', (dialog) => void dialog.accept());
  await page.goto(`${base}/console`);
  await page.fill('input[name=api_key]', key);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  return page;
}

async function pending(client: Client, value: string, id: number): Promise<{ sql: string; params: unknown[]; approvalId: string }> {
  const sql = 'UPDATE shop.customers SET country = $1 WHERE id = $2';
  const params = [value, id];
  const answer = await execute(client, { sql, params, dry_run: false });
  const content = answer.structuredContent as { status?: string; approval_id?: string };
  expect(content.status, JSON.stringify(answer)).toBe('pending');
  return { sql, params, approvalId: content.approval_id ?? '' };
}

function card(page: Page, approvalId: string): ReturnType<Page['locator']> {
  return page.locator(`section[data-approval="${approvalId}"]`);
}

beforeAll(async () => {
  if (!present || !postgres.ok) return;
  db = await createTestDatabase();
  cwd = dirWithConfig(
    [
      'sources:',
      '  main:',
      '    engine: postgres',
      `    url: ${db.url}`,
      '    writes:',
      '      enabled: true',
      'state:',
      '  dir: ./state',
      'rate_limits:',
      '  per_principal_per_minute: 100000',
      '',
    ].join('\n'),
  );
  keys.agent = await createKey('writer', 'agent');
  keys.approver = await createKey('approver', 'person');
  keys.admin = await createKey('admin', 'admin');
  keys.auditor = await createKey('auditor', 'auditor');
  server = await startHttp([], { cwd, auth: true });
  base = `http://${server.hostPort}`;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
}, 90_000);

afterAll(async () => {
  for (const client of agents) await client.close().catch(() => undefined);
  await browser?.close();
  await cleanup();
  await db?.drop();
});

suite('console in headless Chromium', () => {
  it('a person signs in with an approver key, reads the statement and values, approves; the retry commits', async () => {
    const client = await agent(keys.agent);
    const { sql, params, approvalId } = await pending(client, 'IS', 7);
    const before = await note(7);
    const page = await signedIn(keys.approver);
    expect(new URL(page.url()).pathname).toBe('/console/approvals');
    const shown = card(page, approvalId);
    await expect.poll(() => shown.count()).toBe(1);
    const text = await shown.innerText();
    expect(text).toContain('UPDATE shop.customers SET country = $1 WHERE id = $2');
    // The parameter values and the dry run's before → after, as the server's approval view puts them.
    expect(text).toContain('$1 = "IS"');
    expect(text).toContain('$2 = 7');
    expect(text).toContain('Rows before → after');
    expect(text).toMatch(/Requested by key:key_/);
    expect(await note(7)).toBe(before);

    await Promise.all([page.waitForNavigation(), shown.locator('button[value=approve]').click()]);
    expect(await page.locator('.notice').innerText()).toContain('Approved');
    const done = await execute(client, { sql, params, dry_run: false, approval_id: approvalId });
    expect(done.structuredContent).toMatchObject({ committed: true, affected_rows: 1 });
    expect(await note(7)).toBe('IS');
    await page.context().close();
  });

  it('Deny leaves the table unchanged and the retry is refused', async () => {
    const client = await agent(keys.agent);
    const before = await note(8);
    const { sql, params, approvalId } = await pending(client, 'DN', 8);
    const page = await signedIn(keys.approver);
    await page.fill(`section[data-approval="${approvalId}"] input[name=reason]`, 'not today');
    await Promise.all([page.waitForNavigation(), card(page, approvalId).locator('button[value=deny]').click()]);
    expect(await page.locator('.notice').innerText()).toContain('Denied');
    const retry = await execute(client, { sql, params, dry_run: false, approval_id: approvalId });
    expect(retry.isError).toBe(true);
    expect(await note(8)).toBe(before);
    await page.context().close();
  });

  it("the requesting key cannot approve its own request: refused, still pending, table unchanged", async () => {
    // An admin key may both write and sign in to the console: the four-eyes rule is what stops it.
    const client = await agent(keys.admin);
    const before = await note(9);
    const { sql, params, approvalId } = await pending(client, 'SELF', 9);
    const page = await signedIn(keys.admin);
    await expect.poll(() => card(page, approvalId).count()).toBe(1);
    const response = await Promise.all([page.waitForNavigation(), card(page, approvalId).locator('button[value=approve]').click()]).then(([r]) => r);
    expect(response?.status()).toBe(403);
    expect(await page.locator('.error').innerText()).toContain('another person must approve it');
    const retry = await execute(client, { sql, params, dry_run: false, approval_id: approvalId });
    expect(retry.isError).toBe(true);
    expect(await note(9)).toBe(before);
    // Still pending: another person can still decide it.
    const other = await signedIn(keys.approver);
    expect(await card(other, approvalId).count()).toBe(1);
    await page.context().close();
    await other.context().close();
  });

  it('a parameter value carrying markup renders as text and runs nothing', async () => {
    const client = await agent(keys.agent);
    const attack = '<img src=x onerror="document.title=\'pwned\';window.__pwned=1"><script>window.__pwned=2</script>';
    const { approvalId } = await pending(client, attack, 10);
    const page = await signedIn(keys.approver);
    const shown = card(page, approvalId);
    await expect.poll(() => shown.count()).toBe(1);
    expect(await shown.innerText()).toContain('<img src=x onerror=');
    expect(await shown.locator('img').count()).toBe(0);
    expect(await shown.locator('script').count()).toBe(0);
    // Runs in the page: globalThis is its window.
    expect(await page.evaluate(() => (globalThis as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(await page.title()).not.toBe('pwned');
    await page.context().close();
  });

  it('a form posted from another site without the CSRF token changes nothing', async () => {
    const client = await agent(keys.agent);
    const before = await note(11);
    const { sql, params, approvalId } = await pending(client, 'XS', 11);
    const page = await signedIn(keys.approver);
    // Another origin on the same host (same site: the SameSite cookie goes along), posting the approval form without a token.
    const evil = await listen(
      `<!doctype html><form id="f" method="post" action="${base}/console/approvals/decide">` +
        `<input name="id" value="${approvalId}"><input name="decision" value="approve"></form>` +
        '<script>document.getElementById("f").submit()</script>',
    );
    try {
      const [response] = await Promise.all([page.waitForNavigation({ url: `${base}/console/approvals/decide` }), page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`)]);
      expect(response?.status()).toBe(403);
    } finally {
      evil.close();
    }
    const retry = await execute(client, { sql, params, dry_run: false, approval_id: approvalId });
    expect(retry.isError).toBe(true);
    expect(await note(11)).toBe(before);
    await page.goto(`${base}/console/approvals`);
    expect(await card(page, approvalId).count()).toBe(1);
    await page.context().close();
  });

  it('the console pages carry a strict CSP, and console actions are in the audit trail', async () => {
    const page = await signedIn(keys.auditor);
    const response = await page.goto(`${base}/console/audit?tool=console`);
    const csp = response?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    const table = await page.locator('table').innerText();
    expect(table).toContain('console.sign_in');
    expect(await page.locator('.bad').count()).toBe(0);
    await page.context().close();

    const records = [...chainTexts(join(cwd, 'state')).values()].flatMap(recordsOf);
    const decisions = records.filter((r) => r['reason'] === 'APPROVAL_APPROVED' || r['reason'] === 'APPROVAL_DENIED' || r['reason'] === 'APPROVAL_SELF');
    expect(decisions.map((r) => r['reason']).sort()).toEqual(['APPROVAL_APPROVED', 'APPROVAL_DENIED', 'APPROVAL_SELF']);
    for (const r of decisions) expect((r['principal'] as { kind: string }).kind).toBe('api_key');
    expect(records.some((r) => r['reason'] === 'CONSOLE_SIGN_IN')).toBe(true);
    // No key ever lands in the trail.
    for (const key of Object.values(keys)) expect(JSON.stringify(records)).not.toContain(key);
  });
});

function listen(page: string): Promise<Server> {
  const evil = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end(page));
  return new Promise((resolve) => evil.listen(0, '127.0.0.1', () => resolve(evil)));
}
