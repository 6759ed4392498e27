/**
 * `bastion keys` as an operator uses it, against the built binary: a new key goes
 * to stdout once, nothing ever prints a stored hash, and a revoke reaches a server
 * that is already running, without a restart.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileApiKeyStore } from '../../src/auth/api-keys/file-store.js';
import { API_KEY_PATTERN, hashApiKey } from '../../src/auth/api-keys/key.js';
import { ApiKeyVerifier } from '../../src/auth/api-keys/verifier.js';
import { createLogger } from '../../src/log/logger.js';
import { cleanup, dirWithConfig, makeTempDir, runCli, userStateDirFor, type CliRun } from '../helpers/spawn.js';

const log = createLogger('silent');
const closers: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
  await cleanup();
});

/** Bound for a poll that waits on a background refresh; not a timing assertion. */
const POLL = { timeout: 15_000, interval: 100 } as const;

function expectExit(run: CliRun, code: number): void {
  expect(run.timedOut).toBe(false);
  expect(run.code, run.stderr).toBe(code);
}

async function createKey(cwd: string, args: string[] = []): Promise<{ key: string; id: string; run: CliRun }> {
  const run = await runCli(['keys', 'create', '--name', 'ci bot', '--role', 'reader', ...args], { cwd });
  expectExit(run, 0);
  const id = /Created API key (key_[A-Za-z0-9_-]{8})/.exec(run.stderr)?.[1];
  expect(id).toBeDefined();
  return { key: run.stdout.trim(), id: id!, run };
}

async function runningVerifier(dir: string): Promise<ApiKeyVerifier> {
  const store = await FileApiKeyStore.open(dir, log);
  const verifier = await ApiKeyVerifier.create({ store, log });
  closers.push(async () => {
    verifier.close();
    await store.close();
  });
  return verifier;
}

describe('bastion keys create', () => {
  it('prints the key alone on stdout, the id and a shown-once warning on stderr, and stores only its hash', async () => {
    const cwd = makeTempDir();
    const { key, id, run } = await createKey(cwd, ['--expires', '90d']);
    expect(run.stdout).toBe(`${key}\n`);
    expect(key).toMatch(API_KEY_PATTERN);
    expect(run.stderr).toMatch(/shown only this once/);
    expect(run.stderr).not.toContain(key);
    const file = readFileSync(join(userStateDirFor(cwd), 'api-keys.json'), 'utf8');
    expect(file).not.toContain(key);
    expect(file).toContain(hashApiKey(key));
    expect(file).toContain(id);
  });

  it('refuses a role that is neither built in nor configured: non-zero exit, no key printed, nothing stored', async () => {
    const cwd = makeTempDir();
    const run = await runCli(['keys', 'create', '--name', 'x', '--role', 'superuser'], { cwd });
    expectExit(run, 1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('--role');
    expect(existsSync(userStateDirFor(cwd))).toBe(false);
  });

  it('accepts a role from roles: in the --config file, and keeps keys in its state.dir (relative to the file\'s folder, not the working folder)', async () => {
    const configDir = dirWithConfig(['state:', '  dir: my-state', 'roles:', '  analyst:', '    tools: [query]', ''].join('\n'));
    const cwd = makeTempDir();
    const run = await runCli(['keys', '--config', join(configDir, 'bastion.yaml'), 'create', '--name', 'a', '--role', 'analyst'], { cwd });
    expectExit(run, 0);
    expect(existsSync(join(cwd, 'my-state'))).toBe(false);
    const file = readFileSync(join(configDir, 'my-state', 'api-keys.json'), 'utf8');
    expect(file).toContain('"role": "analyst"');
    expect(file).toContain(hashApiKey(run.stdout.trim()));
  });

  it('refuses an --expires that is not like 30m, 12h or 90d', async () => {
    const run = await runCli(['keys', 'create', '--name', 'x', '--role', 'reader', '--expires', '1y'], { cwd: makeTempDir() });
    expectExit(run, 1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('--expires');
  });
});

describe('bastion keys list', () => {
  it('shows id, name, role and times, and never a key or a hash', async () => {
    const cwd = makeTempDir();
    const a = await createKey(cwd);
    const b = await createKey(cwd, ['--expires', '12h']);
    const run = await runCli(['keys', 'list'], { cwd });
    expectExit(run, 0);
    expect(run.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+ROLE\s+CREATED\s+EXPIRES\s+LAST USED\s+REVOKED$/);
    for (const { key, id } of [a, b]) {
      expect(run.stdout).toContain(id);
      expect(run.stdout + run.stderr).not.toContain(key);
      expect(run.stdout + run.stderr).not.toContain(hashApiKey(key));
      expect(run.stdout + run.stderr).not.toContain(hashApiKey(key).slice(0, 16));
    }
    expect(run.stdout).not.toMatch(/[0-9a-f]{32}/);
  });
});

describe('bastion keys revoke', () => {
  it('takes effect on an already running verifier without a restart', async () => {
    const cwd = makeTempDir();
    const { key, id } = await createKey(cwd);
    const verifier = await runningVerifier(userStateDirFor(cwd));
    expect(await verifier.verify(key)).toMatchObject({ id: `key:${id}`, role: 'reader' });
    const run = await runCli(['keys', 'revoke', id], { cwd });
    expectExit(run, 0);
    expect(run.stdout).toContain(`Revoked ${id}`);
    await expect.poll(() => verifier.verify(key), POLL).toBeUndefined();
    const list = await runCli(['keys', 'list'], { cwd });
    expect(list.stdout).toMatch(new RegExp(`${id}.*\\d{4}-\\d\\d-\\d\\dT[\\d:]+Z\\s*$`, 'm'));
  });

  it('exits non-zero for an unknown id and changes nothing', async () => {
    const cwd = makeTempDir();
    const { key } = await createKey(cwd);
    const run = await runCli(['keys', 'revoke', 'key_AAAAAAAA'], { cwd });
    expectExit(run, 1);
    expect(run.stderr).toContain('key_AAAAAAAA');
    const verifier = await runningVerifier(userStateDirFor(cwd));
    expect(await verifier.verify(key)).toBeDefined();
  });
});

describe('CLI and server writing at once', () => {
  it('keeps every record when CLI creates race with a running server’s writes', async () => {
    const cwd = makeTempDir();
    const store = await FileApiKeyStore.open(userStateDirFor(cwd), log);
    closers.push(() => store.close());
    const [cli, server] = await Promise.all([
      Promise.all(Array.from({ length: 8 }, () => createKey(cwd))),
      Promise.all(Array.from({ length: 40 }, (_, i) => store.create({ name: `server ${i}`, role: 'reader' }))),
    ]);
    const ids = new Set((await store.list()).map((k) => k.id));
    expect(ids.size).toBe(48);
    for (const { id } of cli) expect(ids.has(id)).toBe(true);
    for (const { record } of server) expect(ids.has(record.id)).toBe(true);
  });
});
