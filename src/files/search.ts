import { performance } from 'node:perf_hooks';
import { BastionError } from '../errors/codes.js';
import type { FilesConfig } from '../config/schema.js';
import type { FileRoots } from './path-policy.js';
import { BINARY_SNIFF_BYTES } from './read.js';
import { walk, type WalkEntry } from './walk.js';

export interface SearchArgs {
  path?: string | undefined;
  name?: string | undefined;
  contains?: string | undefined;
  max_results?: number | undefined;
}

export interface SearchMatch {
  path: string;
  line?: number;
  text?: string;
  /** The line is longer than `text`: `text` is a window of it, marked with … where the line goes on. */
  cut?: true;
}

/** A matched line longer than this is shown as a window of this many characters around the match. */
export const MAX_LINE_CHARS = 200;

/**
 * `*` any run of characters, `?` one character, case-sensitive, over a whole file
 * name. Matched without a regular expression, in linear-times-pattern steps, so
 * no pattern can make it backtrack exponentially.
 */
export function globMatch(pattern: string, name: string): boolean {
  const p = [...pattern];
  const s = [...name];
  let pi = 0;
  let si = 0;
  let star = -1;
  let mark = 0;
  while (si < s.length) {
    if (pi < p.length && (p[pi] === '?' || (p[pi] !== '*' && p[pi] === s[si]))) {
      pi++;
      si++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = si;
    } else if (star !== -1) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (p[pi] === '*') pi++;
  return pi === p.length;
}

/** The matched line, or a window of it around the match, marked as cut, when it is long (read_file shows it whole). */
function excerpt(line: string, at: number): Pick<SearchMatch, 'text' | 'cut'> {
  if (line.length <= MAX_LINE_CHARS) return { text: line };
  const start = Math.max(0, Math.min(at - 40, line.length - MAX_LINE_CHARS));
  const end = start + MAX_LINE_CHARS;
  return { text: `${start > 0 ? '…' : ''}${line.slice(start, end)}${end < line.length ? '…' : ''}`, cut: true };
}

/** Matching lines of one file, read through its verified handle; binary, large and unopenable files give none. */
async function contentMatches(roots: FileRoots, entry: WalkEntry, needle: string, files: FilesConfig, room: number): Promise<SearchMatch[]> {
  let file;
  try {
    file = await roots.openChild(entry.parent, entry.name, 'file', entry.stats);
  } catch {
    return [];
  }
  try {
    const size = Number(file.stats.size);
    if (size > files.max_search_file_bytes) return [];
    const buffer = Buffer.alloc(size);
    const { bytesRead } = await file.handle.read(buffer, 0, size, 0);
    const content = buffer.subarray(0, bytesRead);
    if (content.subarray(0, BINARY_SNIFF_BYTES).includes(0)) return [];
    const found: SearchMatch[] = [];
    const lines = content.toString('utf8').split('\n');
    for (let i = 0; i < lines.length && found.length < room; i++) {
      const raw = lines[i] ?? '';
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      const at = line.indexOf(needle);
      if (at !== -1) found.push({ path: file.rel, line: i + 1, ...excerpt(line, at) });
    }
    return found;
  } finally {
    await file.handle.close();
  }
}

/**
 * Files below a folder by name glob, content substring or both. Never follows a
 * symlink, skips protected names, non-regular and multiply-linked files, and files
 * above max_search_file_bytes; stops at max_results or the time limit and says which.
 */
export async function searchFiles(roots: FileRoots, files: FilesConfig, args: SearchArgs): Promise<Record<string, unknown>> {
  if (args.name === undefined && args.contains === undefined) {
    throw new BastionError('INVALID_ARGUMENT', 'Give name (a glob such as *.md), contains (text to find), or both.');
  }
  const dir = await roots.openDirectory(await roots.resolve(args.path));
  const limit = Math.min(args.max_results ?? files.max_results, files.max_results);
  const deadline = performance.now() + files.search_timeout_ms;
  const matches: SearchMatch[] = [];
  let reason: 'results' | 'time' | undefined;
  try {
    for await (const entry of walk(roots, dir, true)) {
      if (performance.now() > deadline) {
        reason = 'time';
        break;
      }
      if (entry.type !== 'file' || entry.stats.nlink !== 1n) continue;
      if (args.name !== undefined && !globMatch(args.name, entry.name)) continue;
      if (args.contains !== undefined && entry.stats.size > BigInt(files.max_search_file_bytes)) continue;
      // One match past the limit tells whether the answer is cut short.
      const room = limit + 1 - matches.length;
      const found = args.contains === undefined ? [{ path: entry.rel }] : await contentMatches(roots, entry, args.contains, files, room);
      matches.push(...found);
      if (matches.length > limit) {
        matches.length = limit;
        reason = 'results';
        break;
      }
    }
  } finally {
    await dir.handle.close();
  }
  return { path: dir.rel, matches, count: matches.length, truncated: reason !== undefined, ...(reason === undefined ? {} : { reason }) };
}
