/**
 * Attacks on the audit folder that every process shares: another user hiding the
 * chains behind a folder of their own, a lock no process will ever release (another
 * host's, a reused pid's), and something that is not a lock file standing as one.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { auditChainDir, AuditFileSink, verifyAuditLog } from '../../src/audit/index.js';
import { registerAuditCommand } from '../../src/cli/audit.js';
import { captureOutput, trailsIn, callEvent, removeDir, tempDir } from './helpers.js';

const posix = process.platform !== 'win32';
const asRoot = posix && process.geteuid?.() === 0;
let dir: string;
const output = captureOutput();

beforeEach(async () => {
  dir = await tempDir();
});
afterEach(async () => {
  await removeDir(dir);
});

const trail = trailsIn(() => dir);

async function verify(): Promise<void> {
  const program = new Command().exitOverride();
  registerAuditCommand(program, { progress: { stream: { isTTY: false, write: () => true } } });
  await program.parseAsync(['node', 'bastion', 'audit', '--dir', dir, 'verify']);
}

/** A closed chain of `records` records whose lock file then says `lock`, last touched `ageMs` ago. */
async function chainWithLock(instance: string, records: number, lock: string, ageMs: number): Promise<string> {
  const chain = auditChainDir(dir, instance);
  const sink = await AuditFileSink.open({ dir: chain, instance });
  for (let i = 1; i <= records; i++) await sink.append(callEvent(i));
  await sink.close();
  await writeFile(join(chain, 'audit.lock'), lock);
  const then = new Date(Date.now() - ageMs);
  await utimes(join(chain, 'audit.lock'), then, then);
  return chain;
}

describe.skipIf(!posix)('another user cannot hide the chains', () => {
  it('an audit folder every user can write stops the start, and nothing is written in it', async () => {
    chmodSync(dir, 0o777);
    await expect(trail()).rejects.toThrow(`${dir} can be written by other users (mode 0777)`);
    await expect(stat(join(dir, 'audit'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it.skipIf(!asRoot)('chains moved away and replaced by another user’s audit/ folder: the next start refuses it and verify fails', async () => {
    const first = await trail({ instance: 'api-1' });
    await first.record(callEvent(1));
    await first.close();
    // The attack, as `mv audit .x && mkdir audit && chmod 777 audit` by another user.
    await rename(join(dir, 'audit'), join(dir, '.x'));
    await mkdir(join(dir, 'audit'));
    chmodSync(join(dir, 'audit'), 0o777);
    chownSync(join(dir, 'audit'), 65534, 65534);
    await expect(trail()).rejects.toThrow(`${join(dir, 'audit')} is owned by uid 65534`);
    await verify();
    expect(output.out).toContain(`FAILED: ${join(dir, 'audit')} is owned by uid 65534`);
    expect(process.exitCode).toBe(1);
  });

  it('verify fails on an audit/ folder others can write, even when every chain in it verifies', async () => {
    const first = await trail({ instance: 'api-1' });
    await first.record(callEvent(1));
    await first.close();
    chmodSync(join(dir, 'audit'), 0o777);
    await verify();
    expect(output.out).toContain('OK: 1 record(s) verified');
    expect(output.out).toContain(`FAILED: ${join(dir, 'audit')} can be written by other users (mode 0777)`);
    expect(process.exitCode).toBe(1);
  });
});

describe('a lock nobody will release does not stop a start for ever', () => {
  const host = (name: string, pid: number): string => `${JSON.stringify({ pid, host: name, nonce: 'abc' })}\n`;

  it('a fixed instance whose lock names another host, its heartbeat long stopped, starts and continues its chain', async () => {
    await chainWithLock('api-1', 2, host('oldhost', 4242), 60_000);
    const started = await trail({ instance: 'api-1' });
    await started.record(callEvent(3));
    await started.close();
    expect(await verifyAuditLog({ dir: auditChainDir(dir, 'api-1') })).toMatchObject({ ok: true, records: 3 });
  });

  it('with default instances, chains whose locks name another host or a pid now used by a live process (pid 1) are closed by the next start', async () => {
    const foreign = await chainWithLock('oldhost-4242-aa', 2, host('oldhost', 4242), 60_000);
    const reused = await chainWithLock('thishost-1-bb', 2, host(hostname(), 1), 60_000);
    await trail();
    for (const chain of [foreign, reused]) await expect(stat(join(chain, 'audit.lock'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a lock whose heartbeat is fresh is left alone whatever its pid says (a live writer in another PID namespace)', async () => {
    const chain = await chainWithLock('sandboxed', 2, host(hostname(), 2147483646), 0);
    await trail();
    expect(await readFile(join(chain, 'audit.lock'), 'utf8')).toContain('2147483646');
  });
});

describe.skipIf(!posix)('something else standing as a chain’s lock never hangs or redirects a start', () => {
  it('a FIFO, a symlink, a folder and a huge file as other chains’ locks: the start goes on, nothing is written through the link', async () => {
    const outside = join(dir, 'outside.txt');
    await writeFile(outside, 'precious\n');
    const fifo = await chainWithLock('fifo', 1, '', 0);
    await rm(join(fifo, 'audit.lock'));
    execFileSync('mkfifo', [join(fifo, 'audit.lock')]);
    const link = await chainWithLock('link', 1, '', 0);
    await rm(join(link, 'audit.lock'));
    await symlink(outside, join(link, 'audit.lock'));
    const folder = await chainWithLock('folder', 1, '', 0);
    await rm(join(folder, 'audit.lock'));
    await mkdir(join(folder, 'audit.lock'));
    const huge = await chainWithLock('huge', 1, '', 60_000);
    await truncate(join(huge, 'audit.lock'), 8 * 1024 * 1024 * 1024);
    const started = await trail();
    await started.record(callEvent(1));
    expect(await readFile(outside, 'utf8')).toBe('precious\n');
    for (const chain of [fifo, link, folder, huge]) expect(await verifyAuditLog({ dir: chain })).toMatchObject({ ok: true, records: 1 });
  });

  it('a FIFO as a fixed instance’s own lock: the start fails at once with the path, it does not hang', async () => {
    const chain = auditChainDir(dir, 'api-1');
    await mkdir(chain, { recursive: true, mode: 0o700 });
    execFileSync('mkfifo', [join(chain, 'audit.lock')]);
    await expect(trail({ instance: 'api-1' })).rejects.toThrow(`${join(chain, 'audit.lock')} is not a regular file`);
  });
});
