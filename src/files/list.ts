import { performance } from 'node:perf_hooks';
import type { FilesConfig } from '../config/schema.js';
import type { FileRoots } from './path-policy.js';
import { walk, type EntryType } from './walk.js';

export interface ListArgs {
  path?: string | undefined;
  recursive?: boolean | undefined;
  max_entries?: number | undefined;
}

export interface ListedEntry {
  path: string;
  name: string;
  type: EntryType;
  size: number;
  mtime: string;
}

/** The hard ceiling of entries per call, whatever the caller asks. */
export const MAX_LIST_ENTRIES = 10_000;

/** A folder's entries (recursively if asked), bounded by an entry count and the search time limit. */
export async function listFiles(roots: FileRoots, files: FilesConfig, args: ListArgs): Promise<Record<string, unknown>> {
  const dir = await roots.openDirectory(await roots.resolve(args.path));
  const limit = Math.min(args.max_entries ?? files.max_results, MAX_LIST_ENTRIES);
  const deadline = performance.now() + files.search_timeout_ms;
  const entries: ListedEntry[] = [];
  let reason: 'entries' | 'time' | undefined;
  try {
    for await (const entry of walk(roots, dir, args.recursive ?? false)) {
      if (entries.length >= limit) {
        reason = 'entries';
        break;
      }
      if (performance.now() > deadline) {
        reason = 'time';
        break;
      }
      const { stats } = entry;
      entries.push({ path: entry.rel, name: entry.name, type: entry.type, size: Number(stats.size), mtime: new Date(Number(stats.mtimeMs)).toISOString() });
    }
  } finally {
    await dir.handle.close();
  }
  return { path: dir.rel, entries, count: entries.length, truncated: reason !== undefined, ...(reason === undefined ? {} : { reason }) };
}
