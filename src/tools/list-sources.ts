import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { jsonResult } from '../shape/result.js';
import { guardedTool } from './run.js';
import { registerDefined } from './define.js';
import type { ToolCall } from '../session/context.js';

export function registerListSources(server: McpServer, call: ToolCall): RegisteredTool {
  return registerDefined(
    server,
    call,
    'list_sources',
    () => ({
      title: 'List sources',
      description: 'Lists the databases you may use, with their engine and mode.',
      inputSchema: {},
      outputSchema: {
        sources: z.array(z.object({ name: z.string(), engine: z.string(), mode: z.string() })),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    }),
    guardedTool('list_sources', call, async () =>
      jsonResult({ sources: call.ctx.sources.list(call.role).map((s) => ({ name: s.name, engine: s.engine, mode: s.mode })) }),
    ),
  );
}
