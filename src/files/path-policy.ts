import { constants, existsSync, realpathSync, statSync, type BigIntStats } from 'node:fs';
import { lstat, open, readlink, realpath, stat, type FileHandle } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { BastionError } from '../errors/codes.js';
import { isDeniedRelative, isSystemPath } from './denied-names.js';

/**
 * The path guard of the file tools, deny by default. A path is checked as text
 * before any filesystem call, then walked from its root component by component on
 * real paths, then opened without following a final symlink and checked again on
 * the opened handle (type, link count, identity, and on Linux the handle's own
 * path), so a swap between the check and the open is refused, never read.
 * Messages never echo the roots, the requested path or a resolved real path.
 */

export interface FileRoot {
  readonly index: number;
  /** The root's real path, resolved once at start-up. */
  readonly real: string;
  readonly realSegments: readonly string[];
  /** The root as configured (made absolute), so an absolute path may name it either way. */
  readonly configuredSegments: readonly string[];
}

export interface ResolvedPath {
  readonly root: FileRoot;
  /** Relative to the root, `/`-separated; '' is the root itself. */
  readonly rel: string;
  readonly real: string;
  /** `stat` of the real path when it was checked: the identity the opened handle must have. */
  readonly stats: BigIntStats;
}

export interface OpenedEntry {
  readonly handle: FileHandle;
  readonly stats: BigIntStats;
  readonly root: FileRoot;
  readonly rel: string;
  /** Where a directory's children are reached: on Linux `/proc/self/fd/N`, the opened directory itself rather than a name that could be swapped. */
  readonly base: string;
}

export const MAX_PATH_CHARS = 4096;
const CONTROL = /\p{Cc}/u;
/** `%2e`, `%2f`, `%5c` at any depth of encoding (`%252e`), and the overlong UTF-8 leads `%c0`/`%c1`. */
const ENCODED_SEPARATOR = /%(?:25)*(?:2e|2f|5c|c0|c1)/i;
const PROC_FD = process.platform === 'linux' && existsSync('/proc/self/fd');

const denied = (): BastionError =>
  new BastionError('DENIED_BY_POLICY', 'Denied path: protected files (.env, keys, credentials, system paths), links leaving the roots and multiply-linked files are never read.');
const outside = (): BastionError => new BastionError('DENIED_BY_POLICY', 'The path is outside the allowed roots.');
const notFound = (): BastionError => new BastionError('FILE_NOT_FOUND');
const invalid = (why: string): BastionError => new BastionError('INVALID_ARGUMENT', `The path is not accepted: ${why}.`);

/** Text checks, before any filesystem call. Returns the path's segments without `.` and empty ones. */
export function checkPathInput(raw: string): { absolute: boolean; segments: string[] } {
  if (raw.length > MAX_PATH_CHARS) throw invalid(`it is longer than ${MAX_PATH_CHARS} characters`);
  if (CONTROL.test(raw)) throw invalid('it contains a NUL or control character');
  if (raw.includes('\\')) throw invalid('it contains a backslash; use / between folders');
  if (ENCODED_SEPARATOR.test(raw)) throw invalid('it contains a percent-encoded dot or separator');
  const segments = raw.split('/').filter((s) => s !== '' && s !== '.');
  for (const segment of segments) {
    const compat = segment.normalize('NFKC');
    if (segment === '..' || compat === '..' || compat.includes('/') || compat.includes('\\')) throw invalid('it contains a ".." segment');
  }
  return { absolute: raw.startsWith('/'), segments };
}

/** The segments of `real` below the root, or undefined when it is not inside (a sibling `/data_evil` is not inside `/data`). */
export function within(root: FileRoot, real: string): string[] | undefined {
  if (real === root.real) return [];
  const prefix = root.real.endsWith(sep) ? root.real : root.real + sep;
  return real.startsWith(prefix) ? real.slice(prefix.length).split(sep) : undefined;
}

/** True when a path below the root names a protected file; the root's own name counts as the parent (a root at `repo/.git`). */
export function isDeniedBelow(root: FileRoot, rel: readonly string[]): boolean {
  return isDeniedRelative([...root.realSegments.slice(-1), ...rel]);
}

function allowedReal(root: FileRoot, real: string): string[] {
  const rel = within(root, real);
  if (rel === undefined || isDeniedBelow(root, rel) || isSystemPath(real)) throw denied();
  return rel;
}

function fsCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function notFoundOr(error: unknown): BastionError {
  const code = fsCode(error);
  if (code === 'ENOENT' || code === 'ENOTDIR') return notFound();
  if (code === 'ELOOP' || code === 'EACCES' || code === 'EPERM') return denied();
  return new BastionError('INTERNAL', undefined, error);
}

function segmentsOf(absolute: string): string[] {
  return absolute.split(sep).filter((s) => s !== '');
}

function startsWithSegments(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => path[i] === s);
}

/** The configured roots, resolved once; a root that is missing, not a folder or protected stops the start. */
export class FileRoots {
  private constructor(readonly roots: readonly FileRoot[]) {}

  static open(paths: readonly string[]): FileRoots {
    const roots = paths.map((configured, index): FileRoot => {
      const key = `files.roots[${index}]`;
      let real: string;
      try {
        real = realpathSync(resolve(configured));
      } catch (error) {
        throw new BastionError('CONFIG_INVALID', `${key}: the folder does not exist or cannot be read; create it or remove the entry.`, error);
      }
      if (!statSync(real).isDirectory()) throw new BastionError('CONFIG_INVALID', `${key}: not a folder; name a folder.`);
      const realSegments = segmentsOf(real);
      if (isSystemPath(real) || isDeniedRelative(realSegments)) {
        throw new BastionError('CONFIG_INVALID', `${key}: a protected location (/proc, /dev, /sys, .ssh, .env, keys…) cannot be a root; name another folder.`);
      }
      return { index, real, realSegments, configuredSegments: segmentsOf(resolve(configured)) };
    });
    return new FileRoots(roots);
  }

  /** The root a path belongs to and its segments below it; text only, no filesystem call. */
  locate(input: string | undefined): { root: FileRoot; segments: string[] } {
    const first = this.roots[0];
    if (first === undefined) throw outside();
    const { absolute, segments } = checkPathInput(input ?? '');
    if (!absolute) return { root: first, segments };
    if (isSystemPath(`/${segments.join('/')}`)) throw denied();
    for (const root of this.roots) {
      for (const base of [root.realSegments, root.configuredSegments]) {
        if (startsWithSegments(segments, base)) return { root, segments: segments.slice(base.length) };
      }
    }
    throw outside();
  }

  /**
   * Walks the path from its root, `lstat` on each component: a symlink is followed
   * only when its real target is inside the same root and not protected. Returns
   * the checked real path.
   */
  async resolve(input: string | undefined): Promise<ResolvedPath> {
    const { root, segments } = this.locate(input);
    if (isDeniedBelow(root, segments)) throw denied();
    let current = root.real;
    for (const segment of segments) {
      const next = join(current, segment);
      const stats = await lstat(next).catch((error: unknown) => Promise.reject(notFoundOr(error)));
      if (stats.isSymbolicLink()) {
        // A broken link and a link leaving the root get the same answer: no oracle for outside paths.
        const target = await realpath(next).catch(() => Promise.reject(denied()));
        allowedReal(root, target);
        current = target;
      } else {
        current = next;
      }
    }
    const real = await realpath(current).catch((error: unknown) => Promise.reject(notFoundOr(error)));
    const rel = allowedReal(root, real).join('/');
    const stats = await stat(real, { bigint: true }).catch((error: unknown) => Promise.reject(notFoundOr(error)));
    return { root, rel, real, stats };
  }

  /** Opens a checked path for reading: a regular file with one link, the very file that was checked. */
  async openFile(path: ResolvedPath): Promise<OpenedEntry> {
    if (!path.stats.isFile()) throw new BastionError('INVALID_ARGUMENT', 'The path is not a regular file.');
    return openVerified(path.root, path.real, 'file', path.rel, path.stats);
  }

  /** Opens a checked directory, for listing and searching through its handle. */
  async openDirectory(path: ResolvedPath): Promise<OpenedEntry> {
    if (!path.stats.isDirectory()) throw new BastionError('INVALID_ARGUMENT', 'The path is not a folder.');
    return openVerified(path.root, path.real, 'dir', path.rel, path.stats);
  }

  /** Opens an entry of an opened directory by name, never following a symlink; `seen` is its lstat from the listing. */
  async openChild(parent: OpenedEntry, name: string, kind: 'file' | 'dir', seen: BigIntStats): Promise<OpenedEntry> {
    const rel = parent.rel === '' ? name : `${parent.rel}/${name}`;
    if (isDeniedBelow(parent.root, rel.split('/'))) throw denied();
    return openVerified(parent.root, join(parent.base, name), kind, rel, seen);
  }
}

/**
 * O_NOFOLLOW refuses a symlink in the last component; O_NONBLOCK keeps a FIFO from
 * hanging the open. Everything else is checked on the handle itself.
 */
async function openVerified(root: FileRoot, path: string, kind: 'file' | 'dir', rel: string, expected: BigIntStats): Promise<OpenedEntry> {
  const flags = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK | (kind === 'dir' ? constants.O_DIRECTORY : 0);
  const handle = await open(path, flags).catch((error: unknown) => Promise.reject(notFoundOr(error)));
  try {
    const stats = await handle.stat({ bigint: true });
    if (kind === 'file' && !stats.isFile()) throw denied();
    if (kind === 'dir' && !stats.isDirectory()) throw denied();
    // A hard link to an outside file looks like any file inside; every multiply-linked file is refused.
    if (kind === 'file' && stats.nlink !== 1n) throw denied();
    // Another file than the one checked: something was swapped between the check and the open.
    if (stats.dev !== expected.dev || stats.ino !== expected.ino) throw denied();
    if (!PROC_FD) return { handle, stats, root, rel, base: path };
    const self = `/proc/self/fd/${handle.fd}`;
    const opened = await readlink(self);
    return { handle, stats, root, rel: allowedReal(root, opened).join('/'), base: self };
  } catch (error) {
    await handle.close();
    throw error;
  }
}
