import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { visibleRelationDescription } from '../authorize/visibility.js';
import { BastionError } from '../errors/codes.js';
import { jsonResult } from '../shape/result.js';
import { guardedTool } from './run.js';
import { registerDefined } from './define.js';
import type { ToolCall } from '../session/context.js';
import { sourceArg } from './schemas.js';

export function registerDescribeTable(server: McpServer, call: ToolCall): RegisteredTool {
  return registerDefined(
    server,
    call,
    'describe_table',
    () => ({
      title: 'Describe a table',
      description: 'Columns, types, keys, indexes and comments of one table or view ("name" or "schema.name").',
      inputSchema: { source: sourceArg, table: z.string().min(1).max(300) },
      annotations: { readOnlyHint: true, openWorldHint: false },
    }),
    guardedTool('describe_table', call, async (args: { source?: string | undefined; table: string }, state) => {
      const entry = state.source();
      const visible = await visibleRelationDescription(call.role, await entry.introspector.describeTable(args.table), entry.catalog);
      if (visible === undefined) throw new BastionError('TABLE_NOT_FOUND', `No table or view named ${JSON.stringify(args.table)} is visible.`);
      return jsonResult({ ...visible });
    }),
  );
}
