import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { z } from 'zod';
import { jsonResult } from '../shape/result.js';
import { guardedTool, type ToolCall } from './run.js';
import { sourceArg } from './schemas.js';

export function registerDescribeTable(server: McpServer, call: ToolCall): void {
  server.registerTool(
    'describe_table',
    {
      title: 'Describe a table',
      description: 'Columns, types, keys, indexes and comments of one table or view ("name" or "schema.name").',
      inputSchema: { source: sourceArg, table: z.string().min(1).max(300) },
      annotations: { readOnlyHint: true, openWorldHint: false },
    },
    guardedTool('describe_table', call, async (args: { source?: string | undefined; table: string }) => {
      const entry = call.ctx.sources.resolve(args.source);
      const description = await entry.introspector.describeTable(args.table);
      return jsonResult({ ...description });
    }),
  );
}
