import type { BigIntStats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isDeniedBelow, type FileRoots, type OpenedEntry } from './path-policy.js';

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface WalkEntry {
  /** Relative to the root, `/`-separated. */
  readonly rel: string;
  readonly name: string;
  readonly type: EntryType;
  /** lstat of the entry: a symlink is described, never followed. */
  readonly stats: BigIntStats;
  /** The opened directory it was listed from; open the entry through it, by name. */
  readonly parent: OpenedEntry;
}

/** Deeper folders are not entered: no real tree needs more, and each level holds one open handle. */
export const MAX_DEPTH = 64;

function typeOf(stats: BigIntStats): EntryType {
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'dir';
  return 'other';
}

/**
 * The entries of an opened directory, then (when recursive) of its subfolders,
 * each opened through its parent's handle. Symlinks are listed, never entered;
 * protected names are neither listed nor entered. Entries that vanish or cannot
 * be opened midway are skipped. Handles close when the consumer stops.
 */
export async function* walk(roots: FileRoots, dir: OpenedEntry, recursive: boolean, depth = 0): AsyncGenerator<WalkEntry> {
  const relSegments = dir.rel === '' ? [] : dir.rel.split('/');
  const names = (await readdir(dir.base)).sort();
  const subfolders: WalkEntry[] = [];
  for (const name of names) {
    if (isDeniedBelow(dir.root, [...relSegments, name])) continue;
    let stats: BigIntStats;
    try {
      stats = await lstat(join(dir.base, name), { bigint: true });
    } catch {
      continue;
    }
    const entry: WalkEntry = { rel: [...relSegments, name].join('/'), name, type: typeOf(stats), stats, parent: dir };
    yield entry;
    if (recursive && entry.type === 'dir' && depth < MAX_DEPTH) subfolders.push(entry);
  }
  for (const folder of subfolders) {
    let opened: OpenedEntry;
    try {
      opened = await roots.openChild(dir, folder.name, 'dir', folder.stats);
    } catch {
      continue;
    }
    try {
      yield* walk(roots, opened, true, depth + 1);
    } finally {
      await opened.handle.close();
    }
  }
}
