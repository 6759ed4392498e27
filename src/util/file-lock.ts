import { randomBytes } from 'node:crypto';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { BastionError } from '../errors/codes.js';

/**
 * Lock files shared by every Bastion process on a state folder (the CLI, stdio servers,
 * an HTTP server). A lock is a file created with O_EXCL holding its owner's pid, host
 * and a random nonce. A lock whose owner is gone (kill -9) is taken over at once; a lock
 * of a live owner is waited for, up to a bound. Node's built-ins only: no flock(2).
 */
export interface FileLockOptions {
  /** How long to wait for a live owner before giving up (0: do not wait). */
  readonly waitMs: number;
  /**
   * Held longer than this, a lock counts as abandoned even when its pid is alive (the pid
   * was reused, or the owner is on another host). Leave it unset for a lock held for a
   * process's whole life.
   */
  readonly staleAfterMs?: number;
}

/** Who holds a lock, as its file says. */
export interface LockOwner {
  readonly pid: number;
  /** Unset in a lock written by an older Bastion (pid only). */
  readonly host?: string;
  readonly nonce?: string;
}

/** A live owner kept the lock past the wait. Local: callers turn it into their own error. */
export class FileLockBusyError extends Error {
  override readonly name = 'FileLockBusyError';

  constructor(
    readonly path: string,
    readonly owner: LockOwner | null,
  ) {
    super(`${path} is held by ${owner === null ? 'another process' : `process ${owner.pid}${owner.host === undefined || owner.host === HOST ? '' : ` on ${owner.host}`}`}`);
  }
}

export type ReleaseLock = () => Promise<void>;

const HOST = hostname();
/** Nonces of the locks this process holds: our own pid in a lock file is only ours if its nonce is here. */
const heldHere = new Set<string>();
/** A lock file still empty this long after its creation was left by a process that died creating it. */
const UNWRITTEN_STALE_MS = 5_000;

/**
 * Takes the lock, waiting up to `waitMs` for one live owner to let go; throws
 * FileLockBusyError after that. While the lock keeps changing hands (busy, not stuck)
 * the wait goes on, up to six times `waitMs` in all.
 */
export async function acquireFileLock(path: string, options: FileLockOptions): Promise<ReleaseLock> {
  const start = Date.now();
  let holder = '';
  let deadline = start + options.waitMs;
  for (let attempt = 0; ; attempt++) {
    const taken = await tryCreate(path);
    if (taken !== null) return taken;
    const seen = await readOwner(path);
    if (seen === null) continue; // released meanwhile
    if (await isAbandoned(path, seen, options)) {
      await breakLock(path, seen.text);
      continue;
    }
    if (seen.text !== holder) {
      holder = seen.text;
      deadline = Math.min(Date.now() + options.waitMs, start + 6 * options.waitMs);
      attempt = 0;
    }
    if (Date.now() >= deadline) throw new FileLockBusyError(path, seen.owner);
    // Jitter, not security: spreads the retries of processes that collided.
    await sleep(Math.min(50, 2 * 2 ** attempt) + Math.random() * 5);
  }
}

/** Runs `fn` while holding the lock: one read-modify-write of a shared state file at a time. */
export async function withFileLock<T>(path: string, options: FileLockOptions, fn: () => Promise<T>): Promise<T> {
  const release = await acquireFileLock(path, options);
  try {
    return await fn();
  } finally {
    await release();
  }
}

/** A state file's lock (API keys, approvals) is held for one read-modify-write: milliseconds. */
const STATE_LOCK: FileLockOptions = { waitMs: 10_000, staleAfterMs: 30_000 };

/**
 * One read-modify-write of a shared state file (`what` names it: "the approvals file")
 * under its lock, for the CLI and any number of servers at once. A lock still held after
 * the wait fails with a message that says what to do, and no path (it may reach a client).
 */
export async function withStateFileLock<T>(lockPath: string, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await withFileLock(lockPath, STATE_LOCK, fn);
  } catch (error) {
    if (!(error instanceof FileLockBusyError)) throw error;
    const who = error.owner === null ? 'another process' : `Bastion process ${error.owner.pid}`;
    throw new BastionError(
      'INTERNAL',
      `Could not lock ${what}: ${who} held it for ${STATE_LOCK.waitMs / 1000} s; try again. If no Bastion process is running, delete ${basename(lockPath)} in the state folder.`,
      error,
    );
  }
}

async function tryCreate(path: string): Promise<ReleaseLock | null> {
  const nonce = randomBytes(12).toString('hex');
  const text = `${JSON.stringify({ pid: process.pid, host: HOST, nonce })}\n`;
  // Known as ours before the file exists: another waiter in this process that reads it
  // at once must see a live lock, not an earlier life of this pid.
  heldHere.add(nonce);
  let handle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    heldHere.delete(nonce);
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw error;
  }
  try {
    await handle.writeFile(text);
  } catch (error) {
    heldHere.delete(nonce);
    await handle.close();
    await unlink(path).catch(() => undefined);
    throw error;
  }
  await handle.close();
  return async () => {
    // Only our own lock: if it was judged abandoned and taken over, it belongs to another now.
    // The nonce stays known as ours until the file is gone, or a waiter in this process would
    // judge it abandoned, remove it and take a new lock that this unlink would then remove.
    try {
      if ((await readFile(path, 'utf8').catch(() => null)) === text) await unlink(path).catch(() => undefined);
    } finally {
      heldHere.delete(nonce);
    }
  };
}

async function readOwner(path: string): Promise<{ text: string; owner: LockOwner | null } | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return { text, owner: parseOwner(text) };
}

export function parseOwner(text: string): LockOwner | null {
  const trimmed = text.trim();
  // An older Bastion wrote the pid alone.
  if (/^\d+$/.test(trimmed)) return validPid(Number(trimmed)) ? { pid: Number(trimmed) } : null;
  try {
    const value = JSON.parse(trimmed) as Partial<Record<keyof LockOwner, unknown>>;
    if (typeof value.pid !== 'number' || !validPid(value.pid) || typeof value.host !== 'string' || typeof value.nonce !== 'string') return null;
    return { pid: value.pid, host: value.host, nonce: value.nonce };
  } catch {
    return null;
  }
}

async function isAbandoned(path: string, seen: { text: string; owner: LockOwner | null }, options: FileLockOptions): Promise<boolean> {
  const age = await stat(path).then(
    (info) => Date.now() - info.mtimeMs,
    () => 0,
  );
  const { owner } = seen;
  // Created but not yet written (microseconds), or its owner died in between; or damaged.
  if (owner === null) return age > UNWRITTEN_STALE_MS;
  if (options.staleAfterMs !== undefined && age > options.staleAfterMs) return true;
  if (owner.host !== undefined && owner.host !== HOST) return false; // another machine's pid says nothing here
  // Our own pid: ours only if we hold that nonce; else an earlier life of this pid (a restarted container is pid 1 again).
  if (owner.pid === process.pid) return owner.nonce === undefined || !heldHere.has(owner.nonce);
  return !isAlive(owner.pid);
}

/**
 * Removes an abandoned lock, but only the one judged: a second file, created with
 * O_EXCL, lets one process at a time break it, so a waiter that judged the same lock
 * cannot remove the fresh lock of the process that broke it first.
 */
async function breakLock(path: string, judged: string): Promise<void> {
  const breaker = `${path}.break`;
  let handle;
  try {
    handle = await open(breaker, 'wx', 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another process is breaking it; one that died doing so left the breaker behind.
    const age = await stat(breaker).then(
      (info) => Date.now() - info.mtimeMs,
      () => 0,
    );
    if (age > UNWRITTEN_STALE_MS) await unlink(breaker).catch(() => undefined);
    else await sleep(5);
    return;
  }
  try {
    await handle.close();
    if ((await readFile(path, 'utf8').catch(() => null)) === judged) await unlink(path).catch(() => undefined);
  } finally {
    await unlink(breaker).catch(() => undefined);
  }
}

function validPid(pid: number): boolean {
  return Number.isSafeInteger(pid) && pid > 0;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
