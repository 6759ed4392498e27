/**
 * State that does not depend on the working folder, against the built binary:
 * a desktop client starts `bastion serve` in `/` as an ordinary user and it answers,
 * keeping its state in the per-user state directory; with a configuration file,
 * every command meets in `.bastion/` beside it, reads the `.env` there without
 * overriding the environment, and needs only the variables of what it uses.
 */
import { chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { chainTexts, onlyChainText, recordsOf } from '../helpers/audit-chains.js';
import { cleanup, makeTempDir, parseLogLines, runCli, startStdio } from '../helpers/spawn.js';
import { startStdioAsUser, unprivilegedUser } from '../helpers/stdio-as-user.js';

afterAll(cleanup);

const asUser = unprivilegedUser();
const skipReason = typeof asUser === 'string' ? ` (skipped: ${asUser})` : '';

function auditRecords(dir: string): Record<string, unknown>[] {
  return recordsOf(onlyChainText(dir));
}

describe.skipIf(typeof asUser === 'string')(`serve started by a desktop client in / as an ordinary user${skipReason}`, () => {
  it('answers on the demo database and keeps its state in ~/.local/state/bastion, nothing in the working folder', async () => {
    const user = asUser as Exclude<typeof asUser, string>;
    // The user's home: the only folder it can write. `/` is not writable for it.
    const home = makeTempDir();
    chownSync(home, user.uid, user.gid);
    const server = await startStdioAsUser([], { user, cwd: '/', env: { HOME: home, PATH: process.env['PATH'] ?? '/usr/bin:/bin' } });
    let answer: CallToolResult;
    try {
      answer = (await server.client.callTool({ name: 'query', arguments: { sql: 'SELECT count(*) AS n FROM shop.customers' } })) as CallToolResult;
    } finally {
      await server.close();
    }
    expect(answer.isError, JSON.stringify(answer)).toBeFalsy();
    const rows = (answer.structuredContent as { rows: unknown[][] }).rows;
    expect(Number(rows[0]?.[0])).toBeGreaterThan(0);

    const stateDir = join(home, '.local', 'state', 'bastion');
    const started = parseLogLines(server.stderr()).find((l) => l['msg'] === 'bastion serving over stdio');
    expect(started).toMatchObject({ state: stateDir, state_from: 'per-user state directory' });
    // The call is on record in the per-user folder, in a file the user owns and nobody else reads.
    expect(auditRecords(stateDir).some((r) => r['tool'] === 'query' && r['decision'] === 'allow')).toBe(true);
    const [chain] = chainTexts(stateDir).keys();
    const audit = statSync(join(stateDir, 'audit', chain ?? '', 'audit.jsonl'));
    expect(audit.uid).toBe(user.uid);
    expect(audit.mode & 0o077).toBe(0);
    expect(existsSync('/.bastion')).toBe(false);
  }, 60_000);
});

describe('a project with bastion.yaml whose source URL names a variable', () => {
  const CONFIG = ['sources:', '  main:', '    engine: postgres', '    url: ${DB_PASSWORD_URL}', 'rate_limits:', '  per_principal_per_minute: 1000', ''].join('\n');
  /** Nothing listens on port 1: the source is unavailable, which does not stop the start. */
  const UNREACHABLE = 'postgres://bastion@127.0.0.1:1/none';

  function project(): { dir: string; config: string; cwd: string } {
    const dir = makeTempDir();
    writeFileSync(join(dir, 'bastion.yaml'), CONFIG);
    // Every command runs from another folder: nothing may depend on the working folder.
    const cwd = makeTempDir();
    return { dir, config: join(dir, 'bastion.yaml'), cwd };
  }

  it('serve without the variable refuses, naming the key, the variable and where to set it, and writes nothing', async () => {
    const { dir, config, cwd } = project();
    const run = await runCli(['serve', '--config', config], { cwd, env: { DB_PASSWORD_URL: undefined } });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain('sources.main.url: environment variable DB_PASSWORD_URL is not set');
    expect(run.stderr).toContain(join(dir, '.env'));
    expect(existsSync(join(dir, '.bastion'))).toBe(false);
  });

  it('keys, approvals and audit work without the database password, in .bastion/ beside the file', async () => {
    const { dir, config, cwd } = project();
    const state = join(dir, '.bastion');
    // A server (which needs the variable) makes audit records first.
    const server = await startStdio(['--config', config], { cwd, env: { DB_PASSWORD_URL: UNREACHABLE } });
    try {
      const sources = (await server.client.callTool({ name: 'list_sources', arguments: {} })) as CallToolResult;
      expect(sources.isError).toBeFalsy();
      expect(parseLogLines(server.stderr()).find((l) => l['msg'] === 'bastion serving over stdio')).toMatchObject({ state, state_from: 'beside the configuration file' });
    } finally {
      await server.close();
    }
    const without = { DB_PASSWORD_URL: undefined };

    const created = await runCli(['keys', '--config', config, 'create', '--name', 'approver', '--role', 'reader'], { cwd, env: without });
    expect(created.code, created.stderr).toBe(0);
    const id = /Created API key (key_[A-Za-z0-9_-]{8})/.exec(created.stderr)?.[1];
    expect(readFileSync(join(state, 'api-keys.json'), 'utf8')).toContain(id);
    const listed = await runCli(['keys', '--config', config, 'list'], { cwd, env: without });
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toContain(id);

    const approvals = await runCli(['approvals', '--config', config, 'list'], { cwd, env: without });
    expect(approvals.code, approvals.stderr).toBe(0);
    expect(approvals.stdout).toBe('No pending approvals.\n');

    const verify = await runCli(['audit', '--config', config, 'verify'], { cwd, env: without });
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect(verify.stdout).toMatch(/^OK: [1-9]\d* record\(s\) verified/);
    expect(verify.stdout).toContain(state);
    expect(auditRecords(state).some((r) => r['tool'] === 'list_sources')).toBe(true);
    // Nothing was written where the commands ran.
    expect(existsSync(join(cwd, '.bastion'))).toBe(false);
  }, 60_000);

  it('.env beside the file supplies the variable without overriding the environment, and doctor names it', async () => {
    const { dir, config, cwd } = project();
    // The .env would silence the logs; the environment's level must win.
    writeFileSync(join(dir, '.env'), `DB_PASSWORD_URL=${UNREACHABLE}\nBASTION_LOG_LEVEL=silent\n`, { mode: 0o600 });
    const server = await startStdio(['--config', config], { cwd, env: { DB_PASSWORD_URL: undefined, BASTION_LOG_LEVEL: 'info' } });
    try {
      expect((await server.client.callTool({ name: 'list_sources', arguments: {} })).isError).toBeFalsy();
      const started = parseLogLines(server.stderr()).find((l) => l['msg'] === 'bastion serving over stdio');
      expect(started).toMatchObject({ env_file: join(dir, '.env'), state: join(dir, '.bastion') });
    } finally {
      await server.close();
    }

    const doctor = await runCli(['doctor', '--json', '--config', config], { cwd, env: { DB_PASSWORD_URL: undefined } });
    const checks = (JSON.parse(doctor.stdout) as { checks: { id: string; status: string; detail: string }[] }).checks;
    expect(checks.find((c) => c.id === 'config')).toBeUndefined();
    expect(checks.find((c) => c.id === 'env-file')).toMatchObject({ status: 'pass' });
    expect(checks.find((c) => c.id === 'env-file')?.detail).toContain(`loaded ${join(dir, '.env')}`);
    expect(checks.find((c) => c.id === 'state-dir')?.detail).toBe(`${join(dir, '.bastion')} (beside the configuration file)`);
  }, 60_000);

  it('a .env in the working folder is not read when there is no configuration file', async () => {
    const cwd = makeTempDir();
    mkdirSync(join(cwd, 'data'));
    writeFileSync(join(cwd, '.env'), 'BASTION_DB=pglite:./data\n');
    const doctor = await runCli(['doctor', '--json'], { cwd });
    const checks = (JSON.parse(doctor.stdout) as { checks: { id: string; detail: string }[] }).checks;
    expect(checks.find((c) => c.id === 'env-file')?.detail).toContain('without a configuration file no .env is loaded');
    expect(checks.find((c) => c.id === 'state-dir')?.detail).toContain('(per-user state directory)');
  }, 60_000);
});
