/**
 * The lock file every Bastion process on a state folder shares: one holder at a time,
 * a lock whose owner is dead taken over at once, a live owner waited for up to a bound
 * and then named in the error. Across real processes: test/approvals/processes.test.ts.
 */
import { readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireFileLock, FileLockBusyError, withFileLock } from '../../src/util/file-lock.js';
import { tempDir } from '../audit/helpers.js';

let dir: string;
let lock: string;
beforeEach(async () => {
  dir = await tempDir();
  lock = join(dir, 'state.json.lock');
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const DEAD_PID = 2147483646;
const owner = (pid: number, host = hostname()): string => `${JSON.stringify({ pid, host, nonce: 'n1' })}\n`;

describe('withFileLock', () => {
  it('lets one holder in at a time: 40 read-modify-writes that yield inside lose no increment', async () => {
    const counter = join(dir, 'counter');
    await writeFile(counter, '0');
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 40 }, () =>
        withFileLock(lock, { waitMs: 30_000 }, async () => {
          most = Math.max(most, ++inside);
          const value = Number(await readFile(counter, 'utf8'));
          await new Promise((resolve) => setImmediate(resolve));
          await writeFile(counter, String(value + 1));
          inside -= 1;
        }),
      ),
    );
    expect(Number(await readFile(counter, 'utf8'))).toBe(40);
    expect(most).toBe(1);
    await expect(readFile(lock)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('takes over a lock whose process is gone (kill -9), also one an older Bastion wrote as a bare pid', async () => {
    for (const text of [owner(DEAD_PID), `${DEAD_PID}\n`]) {
      await writeFile(lock, text);
      expect(await withFileLock(lock, { waitMs: 0 }, () => Promise.resolve('ran'))).toBe('ran');
      await expect(readFile(lock)).rejects.toMatchObject({ code: 'ENOENT' });
    }
  });

  it('takes over a lock with this process’s pid that this process does not hold: an earlier life of the pid', async () => {
    await writeFile(lock, owner(process.pid));
    expect(await withFileLock(lock, { waitMs: 0 }, () => Promise.resolve('ran'))).toBe('ran');
  });

  it('waits for a live owner, then names it in the error and leaves its lock in place', async () => {
    // The test runner's parent process stands for a live Bastion holding the lock.
    await writeFile(lock, owner(process.ppid));
    const refused = acquireFileLock(lock, { waitMs: 200 });
    await expect(refused).rejects.toBeInstanceOf(FileLockBusyError);
    await expect(refused).rejects.toMatchObject({ owner: { pid: process.ppid } });
    expect(await readFile(lock, 'utf8')).toBe(owner(process.ppid));
  });

  it('gets the lock as soon as a live owner lets go', async () => {
    const release = await acquireFileLock(lock, { waitMs: 0 });
    const waiting = withFileLock(lock, { waitMs: 30_000 }, () => Promise.resolve('after'));
    setTimeout(() => void release(), 50);
    expect(await waiting).toBe('after');
  });

  it('respects a lock from another host (its pid means nothing here) until it is older than staleAfterMs', async () => {
    await writeFile(lock, owner(DEAD_PID, 'other-host.example'));
    await expect(acquireFileLock(lock, { waitMs: 0, staleAfterMs: 30_000 })).rejects.toBeInstanceOf(FileLockBusyError);
    const old = new Date(Date.now() - 60_000);
    await utimes(lock, old, old);
    const release = await acquireFileLock(lock, { waitMs: 0, staleAfterMs: 30_000 });
    await release();
  });
});
