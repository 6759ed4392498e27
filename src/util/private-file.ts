import { randomBytes } from 'node:crypto';
import { constants, type BigIntStats } from 'node:fs';
import { chmod, lstat, mkdir, open, realpath, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { BastionError } from '../errors/codes.js';

/**
 * Private state under state.dir (API keys, approvals, audit chains, locks), checked the
 * way OpenSSH's StrictModes checks ~/.ssh: every state folder and file is owned by the
 * user this process runs as and cannot be written by others, and no folder above the
 * state folder lets other users rename it away. A state file is opened without following
 * symlinks or blocking (a FIFO), checked on its handle, and read up to a bound. `what`
 * names the thing in messages ("the API key file"), which also name the path and the fix.
 */
const POSIX = process.platform !== 'win32';
/** O_NOFOLLOW: a planted symlink is refused; O_NONBLOCK: a planted FIFO cannot hang the open (no effect on a regular file). */
const SAFE_OPEN = (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
const STICKY = 0o1000;
/** What a keys or approvals file may weigh before it is refused rather than read into memory. */
const STATE_FILE_MAX_BYTES = 64 * 1024 * 1024;

export interface PrivateFileContent {
  readonly text: string;
  /** The stat of the file read (from its handle), for change tokens and a lock's heartbeat. */
  readonly info: BigIntStats;
}

/** The part of a stat the rules read (fs.Stats or BigIntStats). */
export interface OwnedStat {
  isDirectory(): boolean;
  readonly mode: number | bigint;
  readonly uid: number | bigint;
}

/** Why a state folder is refused, and the command that fixes it when there is one. */
export interface PrivateDirProblem {
  readonly reason: string;
  readonly fix?: string;
}

/** The user this process runs as; undefined where there is no such notion (Windows): no owner check there. */
function effectiveUid(): number | undefined {
  return POSIX && typeof process.geteuid === 'function' ? process.geteuid() : undefined;
}

/**
 * Why an existing state folder is refused (`info`: its stat); undefined when it is fine.
 * The one rule for the stores, the audit sink, `audit verify` and `bastion doctor`: a
 * folder another user owns or can write lets them plant a key, an approval or a chain.
 */
export function privateDirProblem(dir: string, info: OwnedStat, what: string): PrivateDirProblem | undefined {
  if (!info.isDirectory()) return { reason: `${dir} is not a directory.` };
  if (!POSIX) return undefined;
  const euid = effectiveUid();
  const uid = Number(info.uid);
  if (euid !== undefined && uid !== euid) {
    return {
      reason: `${dir} is owned by uid ${uid}, not by this user (uid ${euid}): that user could have planted ${what}.`,
      fix: `check what it holds, then chown -R ${euid} ${dir} && chmod 700 ${dir}, or set BASTION_STATE_DIR to a folder of your own`,
    };
  }
  const mode = Number(info.mode);
  if ((mode & 0o022) !== 0) {
    return { reason: `${dir} can be written by other users (mode ${octal(mode)}), who could replace ${what}.`, fix: `chmod 700 ${dir}` };
  }
  return undefined;
}

/**
 * Why a folder above a state folder is refused: one every user can write, without the
 * sticky bit, lets any of them rename the state folder away, and the next start would
 * create an empty one (no keys, chains hidden). With the sticky bit (/tmp) only the
 * owner of an entry may rename it. Group-writable parents are left alone: umask 002
 * with a private group per user makes them common and the group is usually one person.
 */
export function parentDirProblem(dir: string, info: OwnedStat, stateDir: string): PrivateDirProblem | undefined {
  if (!POSIX) return undefined;
  const mode = Number(info.mode);
  if ((mode & 0o002) === 0 || (mode & STICKY) !== 0) return undefined;
  return {
    reason: `${dir}, above ${stateDir}, can be written by every user (mode ${octal(mode)}, no sticky bit): any of them could move the state folder away and have an empty one made in its place.`,
    fix: `chmod o-w ${dir} (or chmod +t ${dir}), or set BASTION_STATE_DIR to a folder under your home`,
  };
}

/** The folders above `dir` (closest first), up to the root. */
export function parentsOf(dir: string): string[] {
  const parents: string[] = [];
  for (let current = dirname(resolve(dir)); ; current = dirname(current)) {
    parents.push(current);
    if (dirname(current) === current) return parents;
  }
}

/**
 * Creates `dir` (mode 0700) or checks an existing one: every folder from `root` (default:
 * `dir` itself) down to `dir` must pass privateTreeProblem. The audit sink passes the
 * audit folder as `root`, so the folder, its `audit/` and the chain's folder are all
 * checked, by every command that opens a chain.
 */
export async function ensurePrivateDir(dir: string, what: string, root: string = dir): Promise<void> {
  const { top, parts } = levels(dir, root);
  // Each level is checked before anything is created in it.
  let current = top;
  await makePrivateDir(top, true);
  for (const part of ['', ...parts]) {
    current = join(current, part);
    if (part !== '') await makePrivateDir(current, false);
    const problem = await privateTreeProblem(current, what, root);
    if (problem !== undefined) throw invalid(problem.fix === undefined ? problem.reason : `${problem.reason} Run: ${problem.fix}`);
  }
}

/**
 * Why the folders from `root` down to `dir` are unsafe for state, or undefined: each
 * existing one must pass privateDirProblem, the ones below `root` must not be symlinks
 * (stat follows one at `root`: what counts is the folder written in), and the folders
 * above `root`, as written and as resolved, must pass parentDirProblem. A level that
 * does not exist (yet) ends the walk.
 */
export async function privateTreeProblem(dir: string, what: string, root: string = dir): Promise<PrivateDirProblem | undefined> {
  const { top, parts } = levels(dir, root);
  const info = await stat(top).catch(missing);
  if (info === undefined) return undefined;
  const problem = privateDirProblem(top, info, what);
  if (problem !== undefined || !POSIX) return problem;
  for (const parent of new Set([...parentsOf(top), ...parentsOf(await realpath(top))])) {
    const above = parentDirProblem(parent, await stat(parent), top);
    if (above !== undefined) return above;
  }
  let current = top;
  for (const part of parts) {
    current = join(current, part);
    const level = await lstat(current).catch(missing);
    if (level === undefined) return undefined;
    if (level.isSymbolicLink()) return { reason: `${current} is a symbolic link; the folders of the state must be real folders.`, fix: `mv ${current} ${current}.moved` };
    const below = privateDirProblem(current, level, what);
    if (below !== undefined) return below;
  }
  return undefined;
}

function levels(dir: string, root: string): { top: string; parts: string[] } {
  const top = resolve(root);
  const below = relative(top, resolve(dir));
  if (below.startsWith('..')) throw new TypeError(`${dir} is not under ${root}`);
  return { top, parts: below === '' ? [] : below.split(sep) };
}

function missing(error: unknown): undefined {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
  throw error;
}

async function makePrivateDir(dir: string, recursive: boolean): Promise<void> {
  let created: string | undefined;
  try {
    created = await mkdir(dir, { recursive, mode: 0o700 });
    if (!recursive) created = dir;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  // mkdir's mode is cut by the umask; 0700 is what is meant. An existing folder is checked, never changed.
  if (created !== undefined && POSIX) await chmod(dir, 0o700);
}

export interface StateFileRules {
  /** Mode bits that refuse the file: 0o077 for secrets (keys, approvals), 0o022 for the rest. */
  readonly forbiddenMode: number;
}

const SECRET: StateFileRules = { forbiddenMode: 0o077 };

/**
 * Opens a state file the only safe way: without following a symlink or blocking on a
 * FIFO, then checks the handle (not the path, which could change in between): a regular
 * file, owned by this user, without the forbidden mode bits. Undefined when it does not
 * exist (and `flags` does not create it).
 */
export async function openStateFile(path: string, flags: number, what: string, rules: StateFileRules): Promise<FileHandle | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, flags | SAFE_OPEN, 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw invalid(`${path} is a symbolic link; ${what} must be a regular file. Move it away.`);
    if (code === 'EISDIR') throw invalid(`${path} is a folder; ${what} must be a regular file. Move it away.`);
    throw error;
  }
  try {
    checkStateFile(path, await handle.stat(), what, rules);
    return handle;
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function checkStateFile(path: string, info: { isFile(): boolean; mode: number; uid: number }, what: string, rules: StateFileRules): void {
  if (!info.isFile()) throw invalid(`${path} is not a regular file; ${what} must be one. Move it away.`);
  if (!POSIX) return;
  const euid = effectiveUid();
  if (euid !== undefined && info.uid !== euid) {
    throw invalid(`${path} is owned by uid ${info.uid}, not by this user (uid ${euid}); ${what} must be this user's own. Check it, then chown ${euid} ${path} or move it away.`);
  }
  if ((info.mode & rules.forbiddenMode) !== 0) {
    const fix = rules.forbiddenMode === SECRET.forbiddenMode ? 'chmod 600' : 'chmod go-w';
    throw invalid(`${path} is accessible to other users (mode ${octal(info.mode)}); ${what} must be private. Run: ${fix} ${path}`);
  }
}

/** A state file's text, or undefined when it does not exist; refused as openStateFile says, or when larger than `maxBytes`. */
export async function readStateFile(path: string, what: string, rules: StateFileRules & { readonly maxBytes: number }): Promise<PrivateFileContent | undefined> {
  const handle = await openStateFile(path, constants.O_RDONLY, what, rules);
  if (handle === undefined) return undefined;
  try {
    const info = await handle.stat({ bigint: true });
    if (info.size > BigInt(rules.maxBytes)) throw invalid(`${path} is larger than ${what} can be (${info.size} bytes); move it away.`);
    // Read one byte past the bound: a file that grew since the stat is refused too.
    const buffer = Buffer.alloc(Number(info.size) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > rules.maxBytes) throw invalid(`${path} is larger than ${what} can be; move it away.`);
      if (length === buffer.length) break;
    }
    return { text: buffer.subarray(0, length).toString('utf8'), info };
  } finally {
    await handle.close();
  }
}

/** A keys or approvals file: readStateFile with the rules for secrets. */
export function readPrivateFile(path: string, what: string): Promise<PrivateFileContent | undefined> {
  return readStateFile(path, what, { ...SECRET, maxBytes: STATE_FILE_MAX_BYTES });
}

/** Replaces `path` with `text`: a private temp file in the same folder, fsync, rename, so a reader sees the old file or the new one. */
export async function writePrivateFileAtomic(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.chmod(0o600);
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDir(dir);
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    await handle.sync().finally(() => handle.close());
  } catch {
    // Not every platform can fsync a directory; the rename itself is still atomic.
  }
}

function octal(mode: number): string {
  return `0${(mode & 0o7777).toString(8)}`;
}

function invalid(message: string): BastionError {
  return new BastionError('CONFIG_INVALID', message);
}
