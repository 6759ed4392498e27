import { randomBytes } from 'node:crypto';
import { constants, lstatSync, unlinkSync } from 'node:fs';
import { lstat, open, unlink, type FileHandle } from 'node:fs/promises';
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { BastionError } from '../errors/codes.js';
import { readStateFile } from './private-file.js';

/**
 * Lock files shared by every Bastion process on a state folder (the CLI, stdio servers,
 * an HTTP server). A lock is a file created with O_EXCL holding its owner's pid, host
 * and a random nonce, and a heartbeat: its holder touches the file's mtime every
 * `heartbeatMs` for as long as it holds it. What a pid says is only trusted together
 * with the heartbeat, because a pid can be reused (a reboot, pid 1 in a container), be
 * another machine's, or belong to another PID namespace (a sandbox with the same host
 * name), where a live holder looks dead:
 * - heartbeat fresh (younger than `deadAfterMs`): held, whatever the pid and host say;
 * - older than `deadAfterMs` and its pid is dead on this host: abandoned (kill -9);
 * - older than `staleAfterMs`: abandoned, whatever the pid and host say.
 * Node's built-ins only: no flock(2), which is not shared over every file system.
 */
export interface LockTimes {
  /** How often a holder touches its lock. */
  readonly heartbeatMs: number;
  /** A heartbeat this old, with a dead pid on this host, frees the lock. */
  readonly deadAfterMs: number;
  /** A heartbeat this old frees the lock whatever its pid says. */
  readonly staleAfterMs: number;
}

/**
 * 2 s between heartbeats; 6 s (three missed beats) before a dead pid frees a lock, so a
 * restart after kill -9 waits at most that long; 30 s before a lock frees whatever its
 * pid says. A holder's timer runs late only while its event loop is blocked: the short
 * bound only applies when its pid is also dead here (another host's or namespace's
 * process is judged by the long one), and Bastion has no step that blocks a loop for
 * 30 s (a whole-chain verify reads in chunks and yields between them).
 */
export const LOCK_TIMES: LockTimes = { heartbeatMs: 2_000, deadAfterMs: 6_000, staleAfterMs: 30_000 };

export interface FileLockOptions {
  /** How long to wait for a held lock before giving up (0: do not wait). */
  readonly waitMs: number;
  /** The heartbeat and its bounds; tests inject short ones. */
  readonly times?: LockTimes;
}

/** Who holds a lock, as its file says. */
export interface LockOwner {
  readonly pid: number;
  /** Unset in a lock written by an older Bastion (pid only). */
  readonly host?: string;
  readonly nonce?: string;
}

/** A holder kept the lock past the wait. Local: callers turn it into their own error. */
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
/** A lock file holds one short JSON line; anything bigger is not a lock. */
const LOCK_MAX_BYTES = 4096;
const LOCK_RULES = { forbiddenMode: 0o022, maxBytes: LOCK_MAX_BYTES };

/** A lock file as read: its text, owner and heartbeat (mtime), and which file it was. */
interface SeenLock {
  readonly text: string;
  readonly owner: LockOwner | null;
  readonly mtimeMs: number;
  readonly ino: bigint;
  readonly dev: bigint;
}

/**
 * Takes the lock, waiting up to `waitMs` for one holder to let go or to be judged gone;
 * throws FileLockBusyError after that. While the lock keeps changing hands (busy, not
 * stuck) the wait goes on, up to six times `waitMs` in all. A lock path that is not a
 * regular file of this user (a FIFO, a symlink, a folder, a huge file) is refused at once.
 */
export async function acquireFileLock(path: string, options: FileLockOptions): Promise<ReleaseLock> {
  const times = options.times ?? LOCK_TIMES;
  const start = Date.now();
  let holder = '';
  let deadline = start + options.waitMs;
  for (let attempt = 0; ; attempt++) {
    const taken = await tryCreate(path, times);
    if (taken !== null) return taken;
    const seen = await readLock(path);
    if (seen === null) continue; // released meanwhile
    if (isAbandoned(seen, times)) {
      await breakLock(path, seen, times);
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
const STATE_LOCK: FileLockOptions = { waitMs: 10_000 };

/**
 * One read-modify-write of a shared state file (`what` names it: "the approvals file")
 * under its lock, for the CLI and any number of servers at once. A lock still held after
 * the wait fails with a message that says what to do, and no path (it may reach a client).
 */
export async function withStateFileLock<T>(lockPath: string, what: string, fn: () => Promise<T>, options: FileLockOptions = STATE_LOCK): Promise<T> {
  try {
    return await withFileLock(lockPath, options, fn);
  } catch (error) {
    if (!(error instanceof FileLockBusyError)) throw error;
    const who = error.owner === null ? 'another process' : `Bastion process ${error.owner.pid}`;
    throw new BastionError(
      'INTERNAL',
      `Could not lock ${what}: ${who} held it for ${options.waitMs / 1000} s; try again. If no Bastion process is running, delete ${basename(lockPath)} in the state folder.`,
      error,
    );
  }
}

async function tryCreate(path: string, times: LockTimes): Promise<ReleaseLock | null> {
  const nonce = randomBytes(12).toString('hex');
  const text = `${JSON.stringify({ pid: process.pid, host: HOST, nonce })}\n`;
  // Known as ours before the file exists: another waiter in this process that reads it
  // at once must see a live lock, not an earlier life of this pid.
  heldHere.add(nonce);
  let handle: FileHandle;
  try {
    // O_EXCL never follows a symlink: one planted as the lock makes this fail, it is not written through.
    handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    heldHere.delete(nonce);
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw error;
  }
  let mine;
  try {
    await handle.writeFile(text);
    mine = await handle.stat({ bigint: true });
  } catch (error) {
    heldHere.delete(nonce);
    await handle.close();
    await unlink(path).catch(() => undefined);
    throw error;
  }
  // The heartbeat touches the file through its handle: after a takeover it touches the
  // old, unlinked file, never the new holder's. Unref'd: a lock never keeps a process alive.
  const beat = setInterval(() => {
    const now = new Date();
    handle.utimes(now, now).catch(() => undefined);
  }, times.heartbeatMs);
  beat.unref();
  return async () => {
    clearInterval(beat);
    // Only our own lock: if it was judged abandoned and taken over, it belongs to another now.
    // The nonce stays known as ours until the file is gone, or a waiter in this process would
    // judge it abandoned, remove it and take a new lock that this unlink would then remove.
    try {
      const now = await lstat(path, { bigint: true }).catch(() => null);
      if (now !== null && now.ino === mine.ino && now.dev === mine.dev) await unlink(path).catch(() => undefined);
    } finally {
      heldHere.delete(nonce);
      await handle.close().catch(() => undefined);
    }
  };
}

/** The lock as it is now, or null when there is none; a path that is not a lock file of ours is refused (CONFIG_INVALID). */
async function readLock(path: string): Promise<SeenLock | null> {
  const file = await readStateFile(path, 'a lock file', LOCK_RULES);
  if (file === undefined) return null;
  return { text: file.text, owner: parseOwner(file.text), mtimeMs: Number(file.info.mtimeMs), ino: file.info.ino, dev: file.info.dev };
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

/** The rule of the heartbeat (see LockTimes); `now` for a judgment made twice on one reading. */
function isAbandoned(seen: SeenLock, times: LockTimes): boolean {
  const { owner } = seen;
  const ours = owner !== null && owner.pid === process.pid && (owner.host === undefined || owner.host === HOST);
  // A lock this process holds is never taken by a waiter in this process, however late its heartbeat.
  if (ours && owner.nonce !== undefined && heldHere.has(owner.nonce)) return false;
  const age = Date.now() - seen.mtimeMs;
  if (age <= times.deadAfterMs) return false;
  if (age > times.staleAfterMs) return true;
  // Created but never written (its owner died in between), or damaged: no pid to ask.
  if (owner === null) return true;
  if (owner.host !== undefined && owner.host !== HOST) return false; // another machine's pid says nothing here
  // Our own pid but not our nonce: an earlier life of this pid (a restarted container is pid 1 again).
  if (ours) return true;
  return !isAlive(owner.pid);
}

/**
 * Removes an abandoned lock, but only the one judged: a second file, created with
 * O_EXCL, lets one process at a time break it; under it the lock is read and judged
 * again, and removed only if it is still the same file with the same heartbeat (checked
 * and unlinked in two adjacent system calls), so neither a waiter that judged the same
 * lock nor a holder whose heartbeat came back loses to a stale judgment.
 */
async function breakLock(path: string, judged: SeenLock, times: LockTimes): Promise<void> {
  const breaker = `${path}.break`;
  let handle;
  try {
    handle = await open(breaker, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another process is breaking it (microseconds); one that died doing so left the breaker behind.
    const age = await lstat(breaker).then(
      (info) => Date.now() - info.mtimeMs,
      () => 0,
    );
    if (age > times.deadAfterMs) await unlink(breaker).catch(() => undefined);
    else await sleep(5);
    return;
  }
  try {
    await handle.close();
    const again = await readLock(path);
    if (again === null || again.text !== judged.text || again.ino !== judged.ino || !isAbandoned(again, times)) return;
    const now = lstatFresh(path);
    if (now !== null && now.ino === again.ino && now.dev === again.dev && Number(now.mtimeMs) === again.mtimeMs) unlinkSync(path);
  } finally {
    await unlink(breaker).catch(() => undefined);
  }
}

function lstatFresh(path: string): { ino: bigint; dev: bigint; mtimeMs: bigint } | null {
  try {
    return lstatSync(path, { bigint: true });
  } catch {
    return null;
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
