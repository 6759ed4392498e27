import { randomBytes } from 'node:crypto';
import { constants, type BigIntStats } from 'node:fs';
import { chmod, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BastionError } from '../errors/codes.js';

/**
 * Private state files under state.dir (API keys, approvals): the folder mode 0700,
 * each file 0600, read without following symlinks and replaced atomically. `what`
 * names the file in messages ("the API key file"), which also name the path and the fix.
 */
const CHECK_MODES = process.platform !== 'win32';

export interface PrivateFileContent {
  readonly text: string;
  /** The stat of the file read, for change tokens. */
  readonly info: BigIntStats;
}

/** Creates `dir` with mode 0700, or checks that an existing one is a folder other users cannot write to. */
export async function ensurePrivateDir(dir: string, what: string): Promise<void> {
  const created = await mkdir(dir, { recursive: true, mode: 0o700 });
  if (!CHECK_MODES) return;
  if (created !== undefined) {
    await chmod(dir, 0o700);
    return;
  }
  // stat follows a symlink: what counts is the folder the files will be written in.
  const problem = privateDirProblem(dir, await stat(dir), what);
  if (problem !== undefined) throw invalid(problem.fix === undefined ? problem.reason : `${problem.reason} Run: ${problem.fix}`);
}

/** Why a state folder is refused, and the command that fixes it when there is one. */
export interface PrivateDirProblem {
  readonly reason: string;
  readonly fix?: string;
}

/**
 * Why an existing state folder is refused (`info`: its stat, symlinks followed); undefined
 * when it is fine. The one rule for the stores and for `bastion doctor`.
 */
export function privateDirProblem(dir: string, info: { isDirectory(): boolean; mode: number }, what: string): PrivateDirProblem | undefined {
  if (!info.isDirectory()) return { reason: `state.dir ${dir} is not a directory.` };
  if (CHECK_MODES && (info.mode & 0o022) !== 0) {
    return { reason: `${dir} can be written by other users (mode ${octal(info.mode)}), who could replace ${what}.`, fix: `chmod 700 ${dir}` };
  }
  return undefined;
}

/** The file's text, or undefined when it does not exist; refuses a symlink, a non-file and a file others can access. */
export async function readPrivateFile(path: string, what: string): Promise<PrivateFileContent | undefined> {
  let handle;
  try {
    // O_NOFOLLOW: a symlink planted in place of the file is refused, not followed.
    handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw invalid(`${path} is a symbolic link; ${what} must be a regular file.`);
    throw error;
  }
  try {
    const info = await handle.stat({ bigint: true });
    if (!info.isFile()) throw invalid(`${path} is not a regular file.`);
    const mode = Number(info.mode);
    if (CHECK_MODES && (mode & 0o077) !== 0) {
      throw invalid(`${path} is accessible to other users (mode ${octal(mode)}); ${what} must be private. Run: chmod 600 ${path}`);
    }
    return { text: await handle.readFile('utf8'), info };
  } finally {
    await handle.close();
  }
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
  return `0${(mode & 0o777).toString(8)}`;
}

function invalid(message: string): BastionError {
  return new BastionError('CONFIG_INVALID', message);
}
