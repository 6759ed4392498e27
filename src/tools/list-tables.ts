import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { visibleRelations } from '../authorize/visibility.js';
import { jsonResult } from '../shape/result.js';
import { guardedTool } from './run.js';
import { registerDefined } from './define.js';
import type { ToolCall } from '../session/context.js';
import { orNull, sourceArg } from './schemas.js';

export function registerListTables(server: McpServer, call: ToolCall): RegisteredTool {
  return registerDefined(
    server,
    call,
    'list_tables',
    () => ({
      title: 'List tables',
      description: 'Lists tables and views with row estimates. Filter by schema and by a name pattern (* and ? wildcards).',
      inputSchema: {
        source: sourceArg,
        schema: z.string().min(1).max(63).optional(),
        pattern: z.string().min(1).max(200).optional(),
      },
      outputSchema: {
        tables: z.array(
          z.object({
            schema: z.string(),
            name: z.string(),
            kind: z.string(),
            row_estimate: orNull(z.number(), 'The engine\'s estimate of the row count, when it keeps one.'),
            comment: orNull(z.string(), 'The table comment, when there is one.'),
          }),
        ),
      },
      annotations: { readOnlyHint: true, openWorldHint: false },
    }),
    guardedTool('list_tables', call, async (args: { source?: string | undefined; schema?: string | undefined; pattern?: string | undefined }, state) => {
      const entry = state.source();
      const tables = await entry.introspector.listTables({ schema: args.schema, pattern: args.pattern });
      return jsonResult({ tables: await visibleRelations(call.role, tables, entry.catalog) });
    }),
  );
}
