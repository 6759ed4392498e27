import type { McpServer, RegisteredTool } from '@modelcontextprotocol/server';
import { z } from 'zod';
import { visibleRelations, visibleSchemas } from '../authorize/visibility.js';
import { jsonResult } from '../shape/result.js';
import { guardedTool } from './run.js';
import { registerDefined } from './define.js';
import type { ToolCall } from '../session/context.js';
import { orNull, sourceArg } from './schemas.js';

export function registerListSchemas(server: McpServer, call: ToolCall): RegisteredTool {
  return registerDefined(
    server,
    call,
    'list_schemas',
    () => ({
      title: 'List schemas',
      description: 'Lists the schemas of a source that you may read.',
      inputSchema: { source: sourceArg },
      outputSchema: { schemas: z.array(z.object({ schema: z.string(), comment: orNull(z.string(), 'The schema comment, when there is one.') })) },
      annotations: { readOnlyHint: true, openWorldHint: false },
    }),
    guardedTool('list_schemas', call, async (_args: { source?: string | undefined }, state) => {
      const entry = state.source();
      const schemas = await entry.introspector.listSchemas();
      if (call.role.unrestricted) return jsonResult({ schemas });
      const tables = await entry.introspector.listTables({});
      return jsonResult({ schemas: visibleSchemas(call.role, schemas, await visibleRelations(call.role, tables, entry.catalog)) });
    }),
  );
}
