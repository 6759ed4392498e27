/**
 * The human approval path end to end with the built binary: an assistant's real
 * write over stdio (a client without elicitation) only creates a pending approval;
 * a person approves or denies it with `bastion approvals`; the assistant's retry
 * runs the approved change once and the denied one never. The server's chain records
 * the request and the execution; the CLI records the person's decision in a chain of its
 * own at the moment it is made, even when the server that asked has ended, and refuses
 * to decide when it cannot.
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashStatement } from '../../src/approvals/index.js';
import { FileApprovalStore } from '../../src/approvals/file-store.js';
import { chainTexts, onlyChainText, recordsOf } from '../helpers/audit-chains.js';
import { cleanup, dirWithConfig, runCli, startStdio, type StdioBastion } from '../helpers/spawn.js';

const CONFIG = ['sources:', '  demo:', '    engine: pglite', '    writes:', '      enabled: true', 'rate_limits:', '  per_principal_per_minute: 100000', ''].join('\n');

let cwd: string;
let server: StdioBastion;

async function call(name: string, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await server.client.callTool({ name, arguments: args })) as CallToolResult;
}

async function country(id: number): Promise<unknown> {
  const result = await call('query', { sql: 'SELECT country FROM shop.customers WHERE id = $1', params: [id] });
  return (result.structuredContent as { rows: unknown[][] }).rows[0]?.[0];
}

function auditLines(): Record<string, unknown>[] {
  return recordsOf(onlyChainText(join(cwd, '.bastion')));
}

/** The records the CLI's runs wrote (each run its own `cli-…` chain) in a state folder. */
function cliRecords(state: string): Record<string, unknown>[] {
  return [...chainTexts(state, 'cli').values()].flatMap(recordsOf);
}

function approvalOf(record: Record<string, unknown>): { id?: string; state?: string; by?: string; statement_sha256?: string } {
  return (record['approval'] ?? {});
}

beforeAll(async () => {
  cwd = dirWithConfig(CONFIG);
  server = await startStdio([], { cwd });
}, 60_000);
afterAll(async () => {
  await server.close();
  await cleanup();
});

describe('bastion approvals (built binary)', () => {
  it('a person approves with the CLI; the retry runs the change exactly once', async () => {
    const sql = "UPDATE shop.customers SET country = 'IS' WHERE id = 7";
    const before = await country(7);
    const pending = (await call('execute', { sql, dry_run: false })).structuredContent as { status: string; approval_id: string };
    expect(pending.status).toBe('pending');
    expect(await country(7)).toBe(before);

    const list = await runCli(['approvals', 'list'], { cwd });
    expect(list.code).toBe(0);
    expect(list.stdout).toContain(pending.approval_id);
    expect(list.stdout).toContain('UPDATE shop.customers');

    // Without a terminal and without --yes the CLI refuses: nobody approves unseen.
    const blind = await runCli(['approvals', 'approve', pending.approval_id], { cwd });
    expect(blind.code).not.toBe(0);
    expect((await call('execute', { sql, dry_run: false, approval_id: pending.approval_id })).isError).toBe(true);
    expect(await country(7)).toBe(before);

    const approve = await runCli(['approvals', 'approve', pending.approval_id, '--yes'], { cwd });
    expect(approve.code).toBe(0);
    const done = await call('execute', { sql, dry_run: false, approval_id: pending.approval_id });
    expect(done.structuredContent).toMatchObject({ committed: true, affected_rows: 1 });
    expect(await country(7)).toBe('IS');
    expect((await call('execute', { sql, dry_run: false, approval_id: pending.approval_id })).isError).toBe(true);

    // The CLI recorded the person's decision when it was made (written before the store changed); the server, the execution.
    const decided = cliRecords(join(cwd, '.bastion')).filter((r) => approvalOf(r).id === pending.approval_id);
    expect(decided).toHaveLength(1);
    expect(decided[0]).toMatchObject({ outcome: 'decided', decision: 'allow', tool: 'execute', source: 'demo', principal: { kind: 'human', role: 'approver' }, approval: { state: 'approved' } });
    expect(auditLines().some((r) => r['outcome'] === 'decided')).toBe(false);
    expect(auditLines().find((r) => (r['approval'] as { state?: string } | undefined)?.state === 'used')).toMatchObject({ tool: 'execute', affected: 1 });
  }, 60_000);

  it('approvals show and the pending answer give each parameter value, a secret redacted, and the rows before → after', async () => {
    const token = `ghp_${'Z9y8X7w6'.repeat(5)}`;
    const sql = 'UPDATE shop.customers SET country = $1, email = $2 WHERE id = $3';
    const before = await country(9);
    const pending = (await call('execute', { sql, params: ['PT', token, 9], dry_run: false })).structuredContent as { approval_id: string; dry_run_result: string };
    expect(pending.dry_run_result).toContain('  $1 = "PT"\n  $2 = "[REDACTED:github_token]"\n  $3 = 9\n');
    expect(pending.dry_run_result).toContain('Rows before → after the update (first 1 of 1):');
    expect(JSON.stringify(pending)).not.toContain(token);

    const show = await runCli(['approvals', 'show', pending.approval_id], { cwd });
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toContain(sql);
    expect(show.stdout).toContain('Parameters (bound to the placeholders, in order):\n    $1 = "PT"\n    $2 = "[REDACTED:github_token]"\n    $3 = 9');
    expect(show.stdout).toMatch(new RegExp(`before: \\[9,"[^"]*","[^"]*",${JSON.stringify(before)},`));
    expect(show.stdout).toMatch(/after: {2}\[9,"[^"]*","\[REDACTED:github_token\]","PT",/);
    expect(show.stdout).not.toContain(token);
    expect(await country(9)).toBe(before);
  }, 60_000);

  it('attack: text shaped like a secret cannot hide a line of the statement, the dry-run count or the rows from approvals show', async () => {
    const items = async (where: string): Promise<unknown[][]> =>
      ((await call('query', { sql: `SELECT order_id, product_id FROM shop.order_items WHERE ${where} ORDER BY 1, 2` })).structuredContent as { rows: unknown[][] }).rows;
    const all = await items('order_id = 1 OR product_id = -1 OR order_id <= 3');
    expect(all.length).toBeGreaterThan((await items('order_id = 1')).length);
    const head = 'DELETE FROM shop.order_items WHERE order_id = $1 OR product_id::text = $2 --';
    const begin = '-----BEGIN PRIVATE KEY-----'; // secret-scan: allow (a marker only, no key)
    const variants = [
      { sql: `${head} password '\nOR order_id <= 3`, params: [1, "password '"], first: `${head} password '` },
    ];
    // A statement whose own text the redactor would change is never shown, queued or run.
    const listed = async (): Promise<string> => (await runCli(['approvals', 'list', '--all'], { cwd })).stdout;
    const before = await listed();
    const hidden = await call('execute', { sql: `${head} ${begin}\nOR order_id <= 3`, params: [1, '-1'], dry_run: false });
    expect(hidden.isError).toBe(true);
    expect(JSON.stringify(hidden.content)).toContain('INVALID_ARGUMENT');
    expect(await listed()).toBe(before);
    for (const variant of variants) {
      const answer = await call('execute', { sql: variant.sql, params: variant.params, dry_run: false });
      expect(answer.isError, JSON.stringify(answer.content)).toBeFalsy();
      const pending = answer.structuredContent as { approval_id: string };
      const show = await runCli(['approvals', 'show', pending.approval_id], { cwd });
      expect(show.code, show.stderr).toBe(0);
      const lines = show.stdout.split('\n');
      expect(show.stdout).toContain('  Statement (2 lines, each as it will run, numbered; secrets redacted):\n');
      expect(lines).toContain(`    1 | ${variant.first}`);
      expect(lines).toContain('    2 | OR order_id <= 3');
      expect(lines.filter((line) => line.trimStart().startsWith('Dry run:'))).toEqual([`  Dry run: ${all.length} rows would be deleted.`]);
      expect(lines).toContain(`  Rows to be deleted (first ${Math.min(all.length, 20)} of ${all.length}):`);
      expect(lines.filter((line) => /^ {4}\[\d+,\d+,/.test(line))).toHaveLength(Math.min(all.length, 20));
    }
    expect(await items('order_id = 1 OR product_id = -1 OR order_id <= 3')).toEqual(all);
  }, 60_000);

  it('a person denies with the CLI; the retry changes nothing', async () => {
    const sql = "UPDATE shop.customers SET country = 'XX' WHERE id = 8";
    const before = await country(8);
    const pending = (await call('execute', { sql, dry_run: false })).structuredContent as { approval_id: string };
    const deny = await runCli(['approvals', 'deny', pending.approval_id], { cwd });
    expect(deny.code).toBe(0);
    const retry = await call('execute', { sql, dry_run: false, approval_id: pending.approval_id });
    expect(retry.isError).toBe(true);
    expect(JSON.stringify(retry.content)).toContain('APPROVAL_INVALID');
    expect(await country(8)).toBe(before);
    // Approving after a denial is refused too.
    expect((await runCli(['approvals', 'approve', pending.approval_id, '--yes'], { cwd })).code).not.toBe(0);
  }, 60_000);

  it('a server asks for approval and exits; the denial made afterwards is audited by the CLI, and every chain verifies', async () => {
    const home = dirWithConfig(CONFIG);
    const asking = await startStdio([], { cwd: home });
    const sql = "UPDATE shop.customers SET country = 'QQ' WHERE id = 3";
    const pending = (await asking.client.callTool({ name: 'execute', arguments: { sql, dry_run: false } })) as CallToolResult;
    const id = (pending.structuredContent as { approval_id: string }).approval_id;
    await asking.close();

    const deny = await runCli(['approvals', 'deny', id], { cwd: home });
    expect(deny.code, deny.stderr).toBe(0);
    const state = join(home, '.bastion');
    const denial = cliRecords(state).filter((r) => approvalOf(r).id === id);
    expect(denial).toHaveLength(1);
    expect(denial[0]).toMatchObject({ outcome: 'decided', decision: 'deny', reason: 'APPROVAL_DENIED', tool: 'execute', source: 'demo', principal: { kind: 'human' } });
    // It names what was decided by the hash of the statement the person was shown, never the text.
    expect(approvalOf(denial[0] ?? {}).statement_sha256).toBe(hashStatement(sql));
    // Neither the text nor the value, anywhere but in the random ids and hashes (which may
    // hold "QQ" by chance: base64url and hex).
    const written = JSON.stringify(denial[0]);
    for (const part of ['UPDATE', 'country', "'QQ'"]) expect(written).not.toContain(part);
    const RANDOM = new Set(['correlation_id', 'hash', 'prev', 'instance', 'id', 'statement_sha256']);
    expect(JSON.stringify(denial[0], (key, value: unknown) => (RANDOM.has(key) ? undefined : value))).not.toContain('QQ');
    expect(approvalOf(denial[0] ?? {}).by).toMatch(/.@./);

    const verify = await runCli(['audit', 'verify'], { cwd: home });
    expect(verify.stdout, verify.stderr).toContain('OK: 2 chain(s)');
    expect(verify.code).toBe(0);
  }, 60_000);

  it('attack on the audit: with the audit folder unwritable, approve and deny refuse and the approval stays pending', async () => {
    const home = dirWithConfig(`${CONFIG}audit:
  dir: ./audit-store
`);
    const asking = await startStdio([], { cwd: home });
    const pending = (await asking.client.callTool({ name: 'execute', arguments: { sql: "UPDATE shop.customers SET country = 'RR' WHERE id = 4", dry_run: false } })) as CallToolResult;
    const id = (pending.structuredContent as { approval_id: string }).approval_id;
    await asking.close();
    // No chain can be created: where the chains' folder should be there is a file (tests run as root, which ignores mode bits).
    const auditDir = join(home, 'audit-store');
    const chainsBefore = readdirSync(join(auditDir, 'audit'));
    mkdirSync(join(home, 'blocked'));
    writeFileSync(join(home, 'blocked', 'audit'), 'not a folder');
    writeFileSync(join(home, 'bastion.yaml'), `${CONFIG}audit:
  dir: ./blocked
`);

    for (const args of [['deny', id], ['approve', id, '--yes']]) {
      const run = await runCli(['approvals', ...args], { cwd: home });
      expect(run.code, run.stdout).toBe(1);
      expect(run.stderr).toMatch(/^bastion: Nothing was decided: the decision could not be written to the audit trail/m);
    }
    const store = await FileApprovalStore.open(join(home, '.bastion'));
    expect((await store.get(id))?.status).toBe('pending');
    expect((await store.get(id))?.decidedBy).toBeUndefined();
    await store.close();
    expect(readdirSync(join(auditDir, 'audit'))).toEqual(chainsBefore);
  }, 60_000);
});
