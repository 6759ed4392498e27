/**
 * The lock file every Bastion process on a state folder shares: one holder at a time,
 * a heartbeat that says the holder lives whatever its pid looks like from here, a dead
 * holder's lock taken over after the short bound, any lock after the long one, and a
 * lock path that is not a regular file of this user refused at once. Across real
 * processes: test/approvals/processes.test.ts, test/auth/api-keys-processes.test.ts.
 */
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, stat, symlink, truncate, utimes, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { acquireFileLock, FileLockBusyError, withFileLock, type LockTimes } from '../../src/util/file-lock.js';
import { tempDir } from '../audit/helpers.js';
import { eventually } from '../helpers/eventually.js';

let dir: string;
let lock: string;
beforeEach(async () => {
  dir = await tempDir();
  lock = join(dir, 'state.json.lock');
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

const DEAD_PID = 2147483646;
/** Short bounds, so a test backdates a heartbeat instead of sleeping through the real ones. */
const TIMES: LockTimes = { heartbeatMs: 50, deadAfterMs: 1_000, staleAfterMs: 5_000 };
const owner = (pid: number, host = hostname()): string => `${JSON.stringify({ pid, host, nonce: 'n1' })}\n`;
/** Sets the lock's heartbeat `ms` in the past. */
const lastBeat = async (ms: number): Promise<void> => {
  const then = new Date(Date.now() - ms);
  await utimes(lock, then, then);
};
const BETWEEN = 2_000; // older than deadAfterMs, younger than staleAfterMs
const PAST_STALE = 10_000;

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

  it('takes over a lock whose process is gone (kill -9) once its heartbeat is older than the short bound, also an older Bastion’s bare pid', async () => {
    for (const text of [owner(DEAD_PID), `${DEAD_PID}\n`]) {
      await writeFile(lock, text);
      // Just written: a holder whose pid looks dead may live in another PID namespace.
      await expect(acquireFileLock(lock, { waitMs: 0, times: TIMES })).rejects.toBeInstanceOf(FileLockBusyError);
      await lastBeat(BETWEEN);
      expect(await withFileLock(lock, { waitMs: 0, times: TIMES }, () => Promise.resolve('ran'))).toBe('ran');
      await expect(readFile(lock)).rejects.toMatchObject({ code: 'ENOENT' });
    }
  });

  it('a restart waits out the short bound of a lock just left by kill -9 and then takes it', async () => {
    await writeFile(lock, owner(DEAD_PID));
    expect(await withFileLock(lock, { waitMs: TIMES.deadAfterMs * 3, times: TIMES }, () => Promise.resolve('ran'))).toBe('ran');
  });

  it('takes over a lock with this process’s pid that this process does not hold: an earlier life of the pid', async () => {
    await writeFile(lock, owner(process.pid));
    await lastBeat(BETWEEN);
    expect(await withFileLock(lock, { waitMs: 0, times: TIMES }, () => Promise.resolve('ran'))).toBe('ran');
  });

  it('waits for a live owner whose heartbeat lapsed under the long bound, then names it in the error and leaves its lock in place', async () => {
    // The test runner's parent process stands for a live Bastion holding the lock.
    await writeFile(lock, owner(process.ppid));
    await lastBeat(BETWEEN);
    const refused = acquireFileLock(lock, { waitMs: 200, times: TIMES });
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
});

describe('stale locks: what a pid says is not trusted alone', () => {
  it('a lock from another host (a renamed laptop, a re-created container) is respected until its heartbeat is older than the long bound, then taken', async () => {
    await writeFile(lock, owner(4242, 'oldhost'));
    await lastBeat(BETWEEN);
    await expect(acquireFileLock(lock, { waitMs: 0, times: TIMES })).rejects.toBeInstanceOf(FileLockBusyError);
    await lastBeat(PAST_STALE);
    const release = await acquireFileLock(lock, { waitMs: 0, times: TIMES });
    expect(await readFile(lock, 'utf8')).toContain(`"pid":${process.pid}`);
    await release();
  });

  it('a lock naming a pid now used by an unrelated live process (pid 1 after a reboot) is taken once its heartbeat is older than the long bound', async () => {
    await writeFile(lock, owner(1));
    await lastBeat(BETWEEN);
    await expect(acquireFileLock(lock, { waitMs: 0, times: TIMES })).rejects.toBeInstanceOf(FileLockBusyError);
    await lastBeat(PAST_STALE);
    expect(await withFileLock(lock, { waitMs: 0, times: TIMES }, () => Promise.resolve('ran'))).toBe('ran');
  });

  it('a live holder whose pid looks dead from here (another PID namespace) keeps its lock while its heartbeat runs', async () => {
    await writeFile(lock, owner(DEAD_PID));
    // The holder in "another namespace": its pid means nothing here, but it beats.
    const holder = spawn(process.execPath, ['-e', `setInterval(() => { const t = new Date(); require('fs').utimesSync(process.argv[1], t, t); }, ${TIMES.heartbeatMs})`, lock], { stdio: 'ignore' });
    try {
      // Waits through three short bounds: a lock judged by its pid alone would be taken in the first.
      await expect(acquireFileLock(lock, { waitMs: TIMES.deadAfterMs * 3, times: TIMES })).rejects.toBeInstanceOf(FileLockBusyError);
      expect(await readFile(lock, 'utf8')).toBe(owner(DEAD_PID));
    } finally {
      holder.kill('SIGKILL');
    }
    // Its heartbeat stops: the dead pid then frees the lock after the short bound.
    expect(await withFileLock(lock, { waitMs: TIMES.deadAfterMs * 5, times: TIMES }, () => Promise.resolve('ran'))).toBe('ran');
  });

  it('a holder’s heartbeat keeps its lock fresh for as long as it holds it, past the long bound', async () => {
    const release = await acquireFileLock(lock, { waitMs: 0, times: TIMES });
    const created = (await stat(lock)).mtimeMs;
    await lastBeat(PAST_STALE);
    expect(await eventually(async () => (await stat(lock)).mtimeMs >= created, 100, 20)).toBe(true);
    await expect(acquireFileLock(lock, { waitMs: 0, times: TIMES })).rejects.toBeInstanceOf(FileLockBusyError);
    await release();
    await expect(readFile(lock)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('many waiters on one stale lock: exactly one breaks it at a time, and no two hold the lock at once', async () => {
    await writeFile(lock, owner(4242, 'oldhost'));
    await lastBeat(PAST_STALE);
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        withFileLock(lock, { waitMs: 30_000, times: TIMES }, async () => {
          most = Math.max(most, ++inside);
          await new Promise((resolve) => setTimeout(resolve, 2));
          inside -= 1;
        }),
      ),
    );
    expect(most).toBe(1);
  });
});

describe('a lock path that is not a lock file is refused at once, never followed or blocked on', () => {
  it.skipIf(process.platform === 'win32')('a FIFO as the lock: refused, the wait does not hang', async () => {
    execFileSync('mkfifo', [lock]);
    await expect(acquireFileLock(lock, { waitMs: 60_000 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });

  it.skipIf(process.platform === 'win32')('a symlink as the lock: refused, and nothing is written through it', async () => {
    const target = join(dir, 'target');
    await writeFile(target, 'precious\n');
    await symlink(target, lock);
    await expect(acquireFileLock(lock, { waitMs: 60_000 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    expect(await readFile(target, 'utf8')).toBe('precious\n');
    // A dangling one too: the lock is not created at its target.
    await rm(target);
    await expect(acquireFileLock(lock, { waitMs: 60_000 })).rejects.toBeDefined();
    await expect(stat(target)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('a folder or a huge file as the lock: refused without reading it', async () => {
    await mkdir(lock);
    await expect(acquireFileLock(lock, { waitMs: 60_000 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
    await rm(lock, { recursive: true });
    await writeFile(lock, '');
    await truncate(lock, 8 * 1024 * 1024 * 1024);
    await expect(acquireFileLock(lock, { waitMs: 60_000 })).rejects.toMatchObject({ code: 'CONFIG_INVALID' });
  });
});
