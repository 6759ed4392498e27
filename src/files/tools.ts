import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import type { FilesConfig } from '../config/schema.js';
import { jsonResult } from '../shape/result.js';
import { guardedTool } from '../tools/run.js';
import { registerDefined } from '../tools/define.js';
import type { ToolCall } from '../session/context.js';
import { listFiles, MAX_LIST_ENTRIES, type ListArgs } from './list.js';
import { FileRoots, MAX_PATH_CHARS } from './path-policy.js';
import { readFile, type ReadArgs } from './read.js';
import { searchFiles, type SearchArgs } from './search.js';

const PATH_HELP = 'relative to the first root, or absolute inside a root';
const path = z.string().max(MAX_PATH_CHARS);
const truncation = { truncated: z.boolean(), reason: z.string().optional() };

const resolved = new WeakMap<FilesConfig, FileRoots>();

/**
 * The configured roots, resolved with realpath once per configuration. Call it at
 * start-up to stop there on a missing root (CONFIG_INVALID) rather than at the
 * first session.
 */
export function fileRootsFor(files: FilesConfig): FileRoots {
  let roots = resolved.get(files);
  if (roots === undefined) {
    roots = FileRoots.open(files.roots);
    resolved.set(files, roots);
  }
  return roots;
}

/**
 * Registers list_files, read_file and search_files, those the caller's role
 * allows: none when no roots are configured. Every answer goes through jsonResult
 * (redaction and the untrusted-data fence), with paths relative to their root.
 */
export function registerFileTools(server: McpServer, call: ToolCall, files: FilesConfig): Map<string, RegisteredTool> {
  const tools = new Map<string, RegisteredTool>();
  if (files.roots.length === 0) return tools;
  const roots = fileRootsFor(files);
  const readOnly = { readOnlyHint: true, openWorldHint: false };

  if (call.role.tool('list_files')) {
    tools.set('list_files', registerDefined(
      server,
      call,
      'list_files',
      () => ({
        title: 'List files',
        description: `Lists a folder (${PATH_HELP}; default the first root): name, type (file, dir, symlink, other), size and mtime. Symlinks are shown, not followed; protected files are never shown.`,
        inputSchema: {
          path: path.optional(),
          recursive: z.boolean().optional(),
          max_entries: z.number().int().min(1).max(MAX_LIST_ENTRIES).optional(),
        },
        outputSchema: {
          path: z.string(),
          entries: z.array(z.object({ path: z.string(), name: z.string(), type: z.string(), size: z.number(), mtime: z.string() })),
          count: z.number(),
          ...truncation,
        },
        annotations: readOnly,
      }),
      guardedTool('list_files', call, async (args: ListArgs) => jsonResult(await listFiles(roots, files, args))),
    ));
  }

  if (call.role.tool('read_file')) {
    tools.set('read_file', registerDefined(
      server,
      call,
      'read_file',
      () => ({
        title: 'Read a file',
        description: `Reads a UTF-8 text file (${PATH_HELP}), at most ${files.max_read_bytes} bytes per call from offset; when truncated, call again with offset = next_offset. Binary files are refused.`,
        inputSchema: {
          path,
          offset: z.number().int().min(0).optional(),
          length: z.number().int().min(1).optional(),
        },
        outputSchema: {
          path: z.string(),
          size: z.number(),
          offset: z.number(),
          length: z.number(),
          text: z.string(),
          truncated: z.boolean(),
          next_offset: z.number().optional(),
        },
        annotations: readOnly,
      }),
      guardedTool('read_file', call, async (args: ReadArgs) => jsonResult(await readFile(roots, files, args))),
    ));
  }

  if (call.role.tool('search_files')) {
    tools.set('search_files', registerDefined(
      server,
      call,
      'search_files',
      () => ({
        title: 'Search files',
        description: `Finds files below a folder (${PATH_HELP}; default the first root) by name glob (*.md), by text they contain (case-sensitive), or both; content matches give the line number and the line. Stops at max_results or the time limit.`,
        inputSchema: {
          path: path.optional(),
          name: z.string().min(1).max(255).optional(),
          contains: z.string().min(1).max(1000).optional(),
          max_results: z.number().int().min(1).max(files.max_results).optional(),
        },
        outputSchema: {
          path: z.string(),
          matches: z.array(z.object({ path: z.string(), line: z.number().optional(), text: z.string().optional() })),
          count: z.number(),
          ...truncation,
        },
        annotations: readOnly,
      }),
      guardedTool('search_files', call, async (args: SearchArgs) => jsonResult(await searchFiles(roots, files, args))),
    ));
  }
  return tools;
}
